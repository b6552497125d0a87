"""The CLI edge: every exception class a command can meet becomes one located line on stderr.

Rule (docs/errors.md): bad input → `error: <where>: <what> — <fix>` and exit code 2; an interruption → exit 130
with a note that finished work is kept; anything else is a bug in hero → one line naming the exception and the log
file that holds the traceback, exit code 1. Set HERO_DEBUG=1 to get the raw traceback instead.

Classes, not cases: `describe` maps an exception *class* (OSError subclasses carry the path they failed on) to a
message; code that reads user files adds the path where the exception itself has none (UnicodeDecodeError,
RecursionError) through `hero.io.read_text`.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

INPUT_EXIT = 2
INTERNAL_EXIT = 1
INTERRUPT_EXIT = 130


def _where(e: OSError) -> str:
    names = [n for n in (e.filename, getattr(e, "filename2", None)) if n]
    return " -> ".join(str(n) for n in names) or "a path"


def _os_error(e: OSError) -> str:
    """One line for an OSError subclass, naming the path it failed on and the usual fix."""
    where = _where(e)
    fixes = {
        FileNotFoundError: "not found; check the path",
        IsADirectoryError: "is a folder, but a file is expected here; pass the file inside it",
        NotADirectoryError: "is not a folder (a file is in the way); pass a folder or remove the file",
        FileExistsError: "already exists; choose another path or remove it",
        PermissionError: "permission denied; check the file's permissions (chmod) or pass a path you can access",
    }
    for cls, fix in fixes.items():
        if isinstance(e, cls):
            return f"{where}: {fix}"
    if e.errno == errno.ENOSPC:
        return f"{where}: no space left on the device; free space or write elsewhere (--out)"
    return f"{where}: {e.strerror or e} (OS error {e.errno}); check the path and the disk"


def describe(e: BaseException) -> str | None:
    """The one-line message for an exception a bad input or the environment can raise; None for an internal bug.
    ValueError (hero.io.InputError included) carries its own located message."""
    if isinstance(e, UnicodeDecodeError):  # before ValueError: it is one, but names no file
        return (f"an input file is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
                "save it as UTF-8")
    if isinstance(e, ValueError):
        return str(e)
    if isinstance(e, OSError):
        return _os_error(e)
    if isinstance(e, RecursionError):
        return "an input file is nested too deeply to read (e.g. thousands of nested JSON lists); flatten it"
    if isinstance(e, MemoryError):
        return "out of memory; use a smaller --batch-size or a machine with more memory"
    return None


def log_dir() -> Path:
    """Where tracebacks of internal errors go: $HERO_LOG_DIR, else logs/ in hero's cache folder (hero.io.cache_dir:
    ~/.cache/hero/logs by default)."""
    from hero.io import cache_dir

    return Path(os.environ["HERO_LOG_DIR"]) if os.environ.get("HERO_LOG_DIR") else cache_dir() / "logs"


def write_log(e: BaseException, argv: list[str]) -> Path | None:
    """Write the command line and the traceback of `e` to a new log file; its path, or None if it cannot be written."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"hero-{stamp}-{os.getpid()}.log"
        text = "command: " + " ".join(argv) + "\n\n" + "".join(traceback.format_exception(e))
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None


def _is_click_flow(e: BaseException) -> bool:
    """click's own control flow (usage errors, --help, typer.Exit, aborts) passes through untouched."""
    import click

    return isinstance(e, (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort))


def at_cli_edge(fn: Callable, *args, **kwargs):
    """Run a command function; map what it raises to one line on stderr and an exit code (see the module doc)."""
    try:
        return fn(*args, **kwargs)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("interrupted: finished results are kept; rerun the same command to resume", file=sys.stderr)
        sys.exit(INTERRUPT_EXIT)
    except Exception as e:  # noqa: BLE001 - this is the one place that sees every class
        if _is_click_flow(e) or os.environ.get("HERO_DEBUG"):
            raise
        msg = describe(e)
        if msg is not None:
            print(f"error: {msg}", file=sys.stderr)
            sys.exit(INPUT_EXIT)
        log = write_log(e, sys.argv)
        where = f"the traceback is in {log}" if log else "set HERO_DEBUG=1 to see the traceback"
        first = str(e).splitlines()[0][:200] if str(e) else ""
        print(f"internal error: {type(e).__name__}: {first} — a bug in hero, not in your input; {where} "
              "(please attach it to an issue)", file=sys.stderr)
        sys.exit(INTERNAL_EXIT)
