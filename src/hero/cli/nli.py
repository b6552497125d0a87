"""`hero train nli` — train the world's tiny NLI cross-encoder (the NLI reward's model) from scratch.

    hero train nli --world WORLD_DIR --out OUT [--budget-min 2] [--seed 0] [--max-steps 800]

Options are the fields of `hero.rewards.nli_config.NLITrainConfig`.
"""

from __future__ import annotations

import typer

from hero import options
from hero.cli.train import app
from hero.rewards.nli_config import NLITrainConfig


def _run(settings: options.Settings) -> None:
    from hero.display import number
    from hero.rewards.nli_train import run_nli

    s = run_nli(options.build(NLITrainConfig, settings, command="train nli"))
    typer.echo(f"trained {s['steps']} steps in {s['train_seconds']}s ({s['stopped_by']}); held-out accuracy "
               f"{number(s['heldout_accuracy'])} on {s['heldout']['n']} pairs (unseen pairs "
               f"{number(s['heldout_unseen_accuracy'])} on {s['heldout_unseen_n']}); model in {s['out']}")


options.command(app, "nli", options.options_of(NLITrainConfig), _run,
                "Train an NLI cross-encoder on (scene description, claim) pairs; report held-out accuracy.")
