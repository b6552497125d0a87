"""`hero world` — build the embedded image world (stub while being written)."""

from __future__ import annotations

import typer

app = typer.Typer(help="The embedded image world.", no_args_is_help=True)
