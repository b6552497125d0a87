"""Shared CLI plumbing: turn input errors into one clear line and exit code 2 (never a bare traceback)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

import typer

F = TypeVar("F", bound=Callable)


def fail_on_input_errors(fn: F) -> F:
    """Decorator for command functions: ValueError/InputError/FileNotFoundError → `error: ...`, exit 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, FileNotFoundError) as e:
            typer.echo(f"error: {e}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]
