"""`hero eval` — not built yet (see the issue tracker)."""

from __future__ import annotations

import typer

app = typer.Typer(help="(not built yet)", no_args_is_help=True)
