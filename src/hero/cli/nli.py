"""`hero train nli` — train the world's tiny NLI cross-encoder (the NLI reward's model) from scratch.

    hero train nli --world WORLD_DIR --out OUT [--budget-min 2] [--seed 0] [--max-steps 800]
"""

from __future__ import annotations

from pathlib import Path

import typer

from hero.cli.common import fail_on_input_errors
from hero.cli.train import app


@app.command("nli")
@fail_on_input_errors
def nli(
    world: Path = typer.Option(..., "--world", help="World folder from `hero world build` (train and test splits)."),
    out: Path = typer.Option(..., "--out", help="Output folder: model + tokenizer + nli_train.json."),
    budget_min: float = typer.Option(2.0, "--budget-min", help="Wall-clock cap on training in minutes."),
    seed: int = typer.Option(0, "--seed", help="Seed of the weights and the pair stream."),
    max_steps: int = typer.Option(800, "--max-steps", help="Optimizer steps (the LR schedule spans them)."),
    threads: int = typer.Option(0, "--threads", help="torch CPU threads (0 = default)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Train an NLI cross-encoder on (scene description, claim) pairs; report held-out accuracy."""
    from hero.rewards.nli_train import NLITrainConfig, run_nli

    cfg = NLITrainConfig(world=str(world), out=str(out), budget_min=budget_min, seed=seed, max_steps=max_steps,
                         threads=threads, progress=progress)
    s = run_nli(cfg)
    typer.echo(f"trained {s['steps']} steps in {s['train_seconds']}s ({s['stopped_by']}); held-out accuracy "
               f"{s['heldout_accuracy']:.4f} on {s['heldout']['n']} pairs (unseen pairs "
               f"{s['heldout_unseen_accuracy']:.4f} on {s['heldout_unseen_n']}); model in {s['out']}")
