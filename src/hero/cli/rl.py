"""`hero train hero|grpo|dpo` — RL (HERO, plain GRPO) and the offline DPO baseline on the world.

    hero train hero --model SFT_DIR --world WORLD_DIR --out OUT [--config run.yaml] [--set key=value ...]
                    [--budget-min 1.5] [--max-steps N] [--lr 1e-4] [--lora] [--resume]
    hero train hero --model SFT_DIR --data train.jsonl --images DIR --out OUT     # your files (hero.data.rows)
    hero train hero ... --set weight_mode=none        # ablations: gate=false, balancer=fixed
    hero train grpo ...                                # the same settings without HERO's three mechanisms
    hero train grpo ... --gate                         # + the zero-variance filter HERO's gate applies
    hero train dpo  ... [--dpo-samples 8]              # pairs from the model's own samples, TRL's DPOTrainer

Flags are the fields of RLRunConfig and TrainerFlags (hero.rl.settings). Every field of the trainer's config
(HeroConfig / GRPOConfig / DPOConfig) can also be set in the YAML file (a flat mapping) or with `--set key=value`;
flags and --set override the file. Under `torchrun --nproc_per_node N -m hero.cli.main train hero ...` every
process runs the command.
"""

from __future__ import annotations

import dataclasses
import os

import typer

from hero import options
from hero.cli.train import app
from hero.rl.settings import (
    DPO_ONLY_FIELDS, GRPO_ONLY_FLAGS, HERO_ONLY_FLAGS, RLRunConfig, TrainerFlags, trainer_defaults,
)

HELP = {
    "hero": "HERO: GRPO with the entropy-aware weight, the variance gate and the KL balancer (each switchable).",
    "grpo": "Plain GRPO (TRL's GRPOTrainer) with HERO's settings but none of its mechanisms (fixed β = 0.04); "
            "--gate adds HERO's zero-variance filter (and --set hard_negatives=true its hard negatives) as a fair "
            "control.",
    "dpo": "Offline DPO: right/wrong pairs from the model's own samples, trained with TRL's DPOTrainer.",
}


def method_options(method: str) -> list[options.Opt]:
    """RLRunConfig's fields and the trainer flags that apply to `method`, run defaults shown in the help."""
    skip = {"hero": DPO_ONLY_FIELDS, "grpo": DPO_ONLY_FIELDS + HERO_ONLY_FLAGS,
            "dpo": HERO_ONLY_FLAGS + GRPO_ONLY_FLAGS}[method]
    shown = trainer_defaults(method, cuda=False)
    trainer = [dataclasses.replace(o, default=shown.get(o.key, o.default)) for o in options.options_of(TrainerFlags)]
    return options.options_of(RLRunConfig, exclude=("method",) + skip) + [o for o in trainer if o.key not in skip]


def run_command(method: str, settings: options.Settings) -> dict:
    """Settings (YAML < flags < --set) resolved into run and trainer fields and run; prints a one-line summary."""
    from hero.rl.pipeline import run_resolved
    from hero.rl.settings import resolve

    run_kw, trainer_kw = resolve(method, settings)
    missing = [k for k in ("model", "out") if not run_kw.get(k)]
    if missing:
        raise ValueError(f"missing {', '.join('--' + k for k in missing)} (or `{missing[0]}:` in the --config file)")
    s = run_resolved(RLRunConfig(method=method, **run_kw), trainer_kw)
    if os.environ.get("RANK", "0") != "0":  # under torchrun: one summary line, from the main process
        return s
    extra = f", {s['pairs']} pairs" if "pairs" in s else ""
    typer.echo(f"{method}: {s['steps']} steps in {s['seconds']}s{extra}; model in {s['out']}, curves in "
               f"{s['log_history']} and {s['tensorboard']}")
    return s


for _method in ("hero", "grpo", "dpo"):
    options.command(app, _method, method_options(_method),
                    lambda settings, m=_method: run_command(m, settings), HELP[_method])
