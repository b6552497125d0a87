"""Small file helpers shared by every command: atomic writes and JSON/JSONL reading with located errors.

Rules they enforce (DEVELOPERS.md): a crash never leaves a half-written file under its final name, and bad input
names the file and line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


class InputError(ValueError):
    """Bad user input; the message says which file/line/field and how to fix it."""


def guard_malformed(fn, *args, **kwargs):
    """fn(*args, **kwargs) where a malformed input structure (a KeyError/TypeError/AttributeError/IndexError deep
    inside a scorer) becomes a ValueError saying what to check; used by `hero score` and `hero eval` alike."""
    try:
        return fn(*args, **kwargs)
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise ValueError(f"malformed input ({type(e).__name__}: {e}); check the file formats in "
                         "docs/benchmarks.md") from None


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():  # mkstemp creates 0600; give the file the mode a plain open() would
            os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` atomically (temporary file + rename)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    """Write `obj` as JSON atomically."""
    write_text_atomic(path, json.dumps(obj, indent=indent) + "\n")


def write_jsonl_atomic(path: str | os.PathLike, rows: list[dict]) -> None:
    """Write one JSON object per line atomically."""
    write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in rows))


def check_out_folder(path: str | os.PathLike, flag: str = "--out") -> Path:
    """`path` as a Path if it can be a run folder (missing or a folder); a file there → InputError naming the flag."""
    path = Path(path)
    if not str(path).strip():
        raise InputError(f"{flag} is required: pass a folder path")
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: is a file, but a folder is expected ({flag}); pass a new folder path")
    return path


@contextlib.contextmanager
def staged_folder(out: str | os.PathLike, last: str | None = None) -> Iterator[Path]:
    """Yield a hidden temporary folder beside `out` (a crash never leaves a half-written folder under its final
    name); when the block succeeds its entries move into `out` (created if needed; same-named entries replaced,
    other files in `out` kept; `last` — a completion marker such as world.json — moves last). When the block fails
    the temporary folder is removed and `out` is untouched. `out` being a file → InputError before anything is
    written. The temporary folder's name carries the pid: one left by a killed run (kill -9, the pid gone) is
    removed by the next call for the same `out`."""
    out = check_out_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.*.tmp"):
        pid = stale.name[len(out.name) + 2:].split(".")[0]
        if stale.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
        out.mkdir(exist_ok=True)
        if last and (out / last).is_file():
            (out / last).unlink()  # `out` reads as unfinished until the new marker lands
        names = sorted(p.name for p in tmp.iterdir() if p.name != last) + ([last] if last else [])
        for name in names:
            src, dst = tmp / name, out / name
            if dst.is_dir() and not dst.is_symlink():
                shutil.rmtree(dst)
            os.replace(src, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, streamed in `chunk`-byte reads (question files, data files, model weights)."""
    h = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


@contextlib.contextmanager
def removed_on_failure(out: str | os.PathLike, holds_work: Callable[[Path], bool]) -> Iterator[Path]:
    """Run the block; when it fails (any exception, Ctrl-C included) and `out` did not exist before it, remove `out`
    unless `holds_work(out)` (finished results stay for the resume). A folder that existed is never touched."""
    out = Path(out)
    existed = out.exists() or out.is_symlink()
    try:
        yield out
    except BaseException:
        if not existed and out.is_dir() and not out.is_symlink() and not holds_work(out):
            shutil.rmtree(out, ignore_errors=True)
        raise


def cache_dir() -> Path:
    """hero's own cache folder (model fingerprints, error logs): $HERO_CACHE_DIR, else $XDG_CACHE_HOME/hero, else
    ~/.cache/hero."""
    if os.environ.get("HERO_CACHE_DIR"):
        return Path(os.environ["HERO_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "hero"


def read_text(path: str | os.PathLike, what: str = "file") -> str:
    """The UTF-8 text of a user's file, or an InputError naming the path and the fix: missing, a folder, unreadable,
    not UTF-8. `what` names the file's role in the message ("questions file", "config file", ...)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, but a {what} is expected; pass the file inside it")
    if not path.exists():
        raise InputError(f"{path}: {what} not found")
    try:
        return path.read_text(encoding="utf-8")
    except PermissionError:
        raise InputError(f"{path}: permission denied reading the {what}; check its permissions") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
                         f"save the {what} as UTF-8") from None


def parse_json(text: str, where: str):
    """json.loads with located errors: malformed JSON → 'where:line: ...', nesting deeper than Python's recursion
    limit → a one-line InputError instead of a RecursionError traceback."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{where}:{e.lineno}: malformed JSON ({e.msg})") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply to read; flatten the structure") from None


def read_jsonl_located(path: str | os.PathLike) -> list[tuple[str, dict]]:
    """(location, row) pairs of a JSONL file: location 'file:line' (1-based; blank lines skipped), or
    'file: item i' for a file holding one JSON list (some tools write that). Malformed input → InputError there."""
    path = Path(path)
    text = read_text(path)
    if text.lstrip().startswith("["):
        data = parse_json(text, str(path))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(f"{path}: expected a list of JSON objects")
        return [(f"{path}: item {i}", r) for i, r in enumerate(data, start=1)]
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{lineno}: malformed JSON line ({e.msg}, column {e.colno})") from None
        except RecursionError:
            raise InputError(f"{path}:{lineno}: JSON nested too deeply to read; flatten the structure") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
        rows.append((f"{path}:{lineno}", row))
    return rows


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Rows of a JSONL file (or of a file holding one JSON list); errors name the file and the 1-based line."""
    return [row for _, row in read_jsonl_located(path)]


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file; errors name the file and line."""
    return parse_json(read_text(path), str(path))


class RunLock:
    """`<folder>/.lock` holding the owner's pid: a live owner → InputError; a dead one (kill -9) is taken over."""

    def __init__(self, out: str | os.PathLike, tool: str = "hero") -> None:
        self.path = Path(out) / ".lock"
        self.tool = tool

    def __enter__(self) -> "RunLock":
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                owner = pid_in(self.path)
                if owner is not None and pid_alive(owner):
                    raise InputError(f"{self.path.parent} is in use by another {self.tool} (pid {owner}); wait for "
                                     "it, use another --out folder, or — if no run is active (the pid was reused) "
                                     f"— delete {self.path}") from None
                self.path.unlink(missing_ok=True)
                continue
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            return self
        raise InputError(f"{self.path}: could not take the run lock; remove the file if no run is active")

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


def pid_in(lock: Path) -> int | None:
    """The pid written in a lock file, or None (missing, empty or garbled)."""
    try:
        text = lock.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def pid_alive(pid: int) -> bool:
    """True if another process with this pid exists (our own pid counts as dead: a stale lock of ours)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------------------------- image folders


@dataclasses.dataclass(frozen=True)
class ImageFolder:
    """The image folder a command reads (`hero trap --images`, `hero eval --images`, the world's images of `hero
    eval world`): `flag` is how the user names it, `allow_flag` the flag that lifts the containment rule (None:
    the command has none), `allow_outside` whether it was given."""

    path: str | Path
    flag: str = "--images"
    allow_outside: bool = False
    allow_flag: str | None = "--allow-outside-images"

    def file(self, name: str, where: str, field: str = "image") -> Path:
        """folder / name, refused (InputError at `where`, naming `field`; the value is not echoed) when it resolves
        outside the folder after symlinks (Path.resolve): an absolute path, a '..' climb or a symlink out."""
        path = Path(self.path) / str(name)
        if self.allow_outside:
            return path
        root = Path(self.path).resolve()
        if not path.resolve().is_relative_to(root):
            how = ("is an absolute path" if Path(str(name)).is_absolute() else "climbs out with '..'"
                   if ".." in Path(str(name)).parts else "is a symlink that leads out")
            fix = f", or pass {self.allow_flag} to read it anyway" if self.allow_flag else ""
            raise InputError(f"{where}: field {field!r} {how} of the image folder {self.path} ({self.flag}); "
                             f"images must lie under {self.flag} — move the file there{fix}")
        return path
