"""Where `hero score` may write: `--out` / `--details` are checked before anything is read or written.

Refused, each with a one-line error naming the flag: a path that is an existing folder; a path below an existing
file; a path that is one of the command's input files (compared after resolving symlinks, and by inode for hard
links); a path inside one of its input folders (THRONE's --evaluations, CHAIR's --coco: a result written there
would be read as an input next time); --out and --details naming the same file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hero.io import InputError


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_target(path: Path, flag: str) -> None:
    """The path can become a file: not a folder, and no existing ancestor is a file."""
    if path.is_dir():
        raise InputError(f"{path}: a folder, expected a file ({flag}); give a file name, e.g. {path / 'scores.json'}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{path}: {parent} is a file, not a folder ({flag})")
            return


def check_output(path: str | os.PathLike, flag: str, inputs: Sequence[tuple[str, str]]) -> None:
    """`path` (given as `flag`) is writable as a result file and is none of `inputs` ((flag, path) pairs)."""
    out = Path(path)
    _check_target(out, flag)
    for in_flag, in_path in inputs:
        src = Path(in_path)
        if src.is_dir():
            if src.resolve() == out.resolve() or src.resolve() in out.resolve().parents:
                raise InputError(f"{out}: inside the input folder {src} ({in_flag}); write {flag} elsewhere")
        elif _same_file(out, src):
            raise InputError(f"{out}: this is the input file {in_path} ({in_flag}); refusing to overwrite an input — "
                             f"write {flag} elsewhere")


def check_outputs(outputs: Sequence[tuple[str, str | None]], inputs: Sequence[tuple[str, str]]) -> None:
    """Every given output checked (`check_output`), and no two outputs the same file."""
    given = [(flag, p) for flag, p in outputs if p is not None]
    for flag, p in given:
        check_output(p, flag, inputs)
    for i, (flag, p) in enumerate(given):
        for other_flag, q in given[i + 1:]:
            if _same_file(Path(p), Path(q)):
                raise InputError(f"{p}: {flag} and {other_flag} name the same file; give two different files")
