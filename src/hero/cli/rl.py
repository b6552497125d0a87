"""`hero train hero|grpo|dpo` — RL (HERO, plain GRPO) and the offline DPO baseline on the world.

    hero train hero --model SFT_DIR --world WORLD_DIR --out OUT [--config run.yaml] [--set key=value ...]
                    [--budget-min 1.5] [--max-steps N] [--lr 1e-4] [--lora] [--resume]
    hero train hero ... --set weight_mode=none        # ablations: gate=false, balancer=fixed
    hero train grpo ...                                # the same settings without HERO's three mechanisms
    hero train dpo  ... [--dpo-samples 8]              # pairs from the model's own samples, TRL's DPOTrainer

Every field of the run (RLRunConfig) and of the trainer's config (HeroConfig / GRPOConfig / DPOConfig) can be set in
the YAML file (a flat mapping) or with `--set key=value` (YAML values: 0.1, true, [0, 50]); flags and --set override
the file. Under `torchrun --nproc_per_node N -m hero.cli.main train hero ...` every process runs the command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from hero.cli.common import fail_on_input_errors
from hero.cli.train import app

_MODEL = typer.Option(None, "--model", help="Start model folder (a `hero train sft` output).")
_WORLD = typer.Option(None, "--world", help="World folder from `hero world build`.")
_OUT = typer.Option(None, "--out", help="Output folder: model, checkpoints/, tensorboard/, log_history.json.")
_CONFIG = typer.Option(None, "--config", help="YAML file of settings (any run or trainer config field).")
_SET = typer.Option([], "--set", help="key=value for any field (repeatable), e.g. --set beta=0.02.")
_BUDGET = typer.Option(None, "--budget-min", help="Wall-clock training budget in minutes (default 1.5).")
_STEPS = typer.Option(None, "--max-steps", help="Stop after N optimizer steps (0 = budget only) (default 0).")
_SEED = typer.Option(None, "--seed", help="Seed of prompts, noise, sampling and training (default 0).")
_LR = typer.Option(None, "--lr", help="Learning rate (learning_rate) (default 1e-4, constant).")
_BATCH = typer.Option(None, "--batch-size", help="Completions (GRPO) / pairs (DPO) per device per step.")
_BETA = typer.Option(None, "--beta", help="KL weight β (HERO: β_0, moved by the balancer) (default 0.04; DPO 0.1).")
_WEIGHT = typer.Option(None, "--weight-mode", help="none | softmax | neg_exp (default neg_exp).")
_GATE = typer.Option(None, "--gate/--no-gate", help="Variance gate on/off (default on).")
_BALANCER = typer.Option(None, "--balancer", help="adaptive | pid | fixed (default adaptive).")
_SAMPLES = typer.Option(None, "--dpo-samples", help="Samples per prompt (k) (default 8).")
_PROMPTS = typer.Option(None, "--dpo-prompts", help="Prompts sampled for pairs (default 512).")
_SIGMAS = typer.Option(None, "--sigmas", help="Noise levels drawn per prompt, e.g. 0,30,50 (default 0,30,50).")
_SAVE = typer.Option(None, "--save-steps", help="Checkpoint every N steps (default 50).")
_LORA = typer.Option(None, "--lora/--no-lora", help="Train LoRA adapters (reference = adapter-disabled base).")
_RESUME = typer.Option(False, "--resume", help="Continue from the newest checkpoint in OUT/checkpoints.")
_THREADS = typer.Option(None, "--threads", help="torch CPU threads (0 = default).")
_PROGRESS = typer.Option(None, "--progress/--no-progress", help="Show a progress bar.")
_GENS = typer.Option(None, "--num-generations", help="Completions per prompt (group size G) (default 8).")
_LEN = typer.Option(None, "--max-completion-length", help="Longest sampled completion in tokens (default 48).")


def _flags(**kw) -> dict[str, tuple[object, str]]:
    names = {"learning_rate": "--lr", "per_device_train_batch_size": "--batch-size"}
    return {k: (v, names.get(k, "--" + k.replace("_", "-"))) for k, v in kw.items() if v is not None}


_SETTING = {"lr": "learning_rate", "batch_size": "per_device_train_batch_size"}
_NOT_FLAGS = ("model", "world", "out", "config", "sets")


def _command_flags(params: dict) -> dict[str, tuple[object, str]]:
    """A command's own options (its `locals()` on entry, minus model/world/out/config/--set) as run settings: --lr and
    --batch-size under their trainer names, an unset --resume left to the YAML file."""
    kw = {_SETTING.get(k, k): v for k, v in params.items() if k not in _NOT_FLAGS}
    kw["resume"] = kw["resume"] or None
    return _flags(**kw)


def run_command(method: str, model, world, out, config, sets: list[str], flags: dict) -> dict:
    """Settings from YAML < flags < --set, resolved and run; prints a one-line summary."""
    from hero.rl.pipeline import run_resolved
    from hero.rl.settings import RLRunConfig, parse_set, read_yaml, resolve

    settings = read_yaml(config) if config else {}
    settings.update(flags)
    settings.update(_flags(**{k: str(v) for k, v in (('model', model), ('world', world), ('out', out)) if v}))
    settings.update(parse_set(sets))
    run_kw, trainer_kw = resolve(method, settings)
    missing = [k for k in ("model", "world", "out") if not run_kw.get(k)]
    if missing:
        raise ValueError(f"missing {', '.join('--' + k for k in missing)} (or `{missing[0]}:` in the --config file)")
    run = RLRunConfig(method=method, **run_kw)
    s = run_resolved(run, trainer_kw)
    if os.environ.get("RANK", "0") != "0":  # under torchrun: one summary line, from the main process
        return s
    extra = f", {s['pairs']} pairs" if "pairs" in s else ""
    typer.echo(f"{method}: {s['steps']} steps in {s['seconds']}s{extra}; model in {s['out']}, curves in "
               f"{s['log_history']} and {s['tensorboard']}")
    return s


@app.command("hero")
@fail_on_input_errors
def hero(model: Optional[Path] = _MODEL, world: Optional[Path] = _WORLD, out: Optional[Path] = _OUT,
         config: Optional[Path] = _CONFIG, sets: list[str] = _SET, budget_min: Optional[float] = _BUDGET,
         max_steps: Optional[int] = _STEPS, seed: Optional[int] = _SEED, lr: Optional[float] = _LR,
         batch_size: Optional[int] = _BATCH, beta: Optional[float] = _BETA, sigmas: Optional[str] = _SIGMAS,
         num_generations: Optional[int] = _GENS, max_completion_length: Optional[int] = _LEN,
         weight_mode: Optional[str] = _WEIGHT, gate: Optional[bool] = _GATE, balancer: Optional[str] = _BALANCER,
         save_steps: Optional[int] = _SAVE, lora: Optional[bool] = _LORA, resume: bool = _RESUME,
         threads: Optional[int] = _THREADS, progress: Optional[bool] = _PROGRESS) -> None:
    """HERO: GRPO with the entropy-aware weight, the variance gate and the KL balancer (each switchable)."""
    run_command("hero", model, world, out, config, sets, _command_flags(locals()))


@app.command("grpo")
@fail_on_input_errors
def grpo(model: Optional[Path] = _MODEL, world: Optional[Path] = _WORLD, out: Optional[Path] = _OUT,
         config: Optional[Path] = _CONFIG, sets: list[str] = _SET, budget_min: Optional[float] = _BUDGET,
         max_steps: Optional[int] = _STEPS, seed: Optional[int] = _SEED, lr: Optional[float] = _LR,
         batch_size: Optional[int] = _BATCH, beta: Optional[float] = _BETA, sigmas: Optional[str] = _SIGMAS,
         num_generations: Optional[int] = _GENS, max_completion_length: Optional[int] = _LEN,
         save_steps: Optional[int] = _SAVE, lora: Optional[bool] = _LORA, resume: bool = _RESUME,
         threads: Optional[int] = _THREADS, progress: Optional[bool] = _PROGRESS) -> None:
    """Plain GRPO (TRL's GRPOTrainer) with HERO's settings but none of its mechanisms (fixed β = 0.04)."""
    run_command("grpo", model, world, out, config, sets, _command_flags(locals()))


@app.command("dpo")
@fail_on_input_errors
def dpo(model: Optional[Path] = _MODEL, world: Optional[Path] = _WORLD, out: Optional[Path] = _OUT,
        config: Optional[Path] = _CONFIG, sets: list[str] = _SET, budget_min: Optional[float] = _BUDGET,
        max_steps: Optional[int] = _STEPS, seed: Optional[int] = _SEED, lr: Optional[float] = _LR,
        batch_size: Optional[int] = _BATCH, beta: Optional[float] = _BETA, sigmas: Optional[str] = _SIGMAS,
        dpo_samples: Optional[int] = _SAMPLES, dpo_prompts: Optional[int] = _PROMPTS,
        save_steps: Optional[int] = _SAVE, lora: Optional[bool] = _LORA, resume: bool = _RESUME,
        threads: Optional[int] = _THREADS, progress: Optional[bool] = _PROGRESS) -> None:
    """Offline DPO: right/wrong pairs from the model's own samples, trained with TRL's DPOTrainer."""
    run_command("dpo", model, world, out, config, sets, _command_flags(locals()))
