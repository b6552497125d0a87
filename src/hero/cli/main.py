"""Entry point of the `hero` console script.

Every command group lives in its own module under `hero.cli` and exposes a `typer.Typer` named `app`;
this file only wires them together. Heavy libraries (torch, transformers, spaCy) are imported inside
the command functions so that `hero --help` and `hero world ...` stay fast.
"""

from __future__ import annotations

import atexit

import typer

from hero.cli import data, demo, eval as eval_cli, model, score, train, trap, world
from hero.distributed import close_process_group

atexit.register(close_process_group)  # registered first, so it runs last: after any handler a command adds

app = typer.Typer(
    name="hero",
    help=(
        "HERO — diagnose and cure confident hallucination in vision-language models.\n\n"
        "Typical flow: `hero world build` (embedded image world) → `hero model init` → `hero train sft` → "
        "`hero trap` (diagnose the Confidence Trap) → `hero train hero` → `hero eval` / `hero score`. "
        "`hero demo` runs all of it end to end."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    add_completion=False,
)
app.add_typer(world.app, name="world")
app.add_typer(model.app, name="model")
app.add_typer(data.app, name="data")
app.add_typer(train.app, name="train")
app.add_typer(trap.app, name="trap")
app.add_typer(score.app, name="score")
app.add_typer(eval_cli.app, name="eval")
app.add_typer(demo.app, name="demo")


if __name__ == "__main__":  # pragma: no cover
    app()
