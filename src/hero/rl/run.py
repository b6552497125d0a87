"""`run_rl`: train a VLM on the world with HERO, plain GRPO or DPO (`hero train hero|grpo|dpo`).

    run_rl("hero", "runs/sft_cot", "runs/world", "runs/hero", budget_min=1.5)
    run_rl("hero", sft, world, out, weight_mode="none")   # ablation: no entropy weight (gate=False, balancer="fixed")

Writes to `out`: the trained model + processor (loadable by `hero.model.load.load_vlm` and `hero.scoring`; the start
model's `hero_style` kept, the run recorded as `hero_rl` in its config), `checkpoints/checkpoint-N/` (with HERO's
β state and the run clock), `tensorboard/`, `log_history.json` (the trainer's log history, rewritten at every log),
`rl_config.json` (the resolved settings) and `rl_summary.json` (the returned summary). Under `torchrun` every rank
runs the same call; only the main process writes files.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

from hero.io import InputError, latest_checkpoint, write_json_atomic
from hero.model.load import checkpoints_in_model_format, undo_checkpoint_format
from hero.rl.run_config import RLRunConfig, config_class, resolve, trainer_defaults

STATE_FILE = "hero_run.json"
"""Per-checkpoint run state: {"seconds": training time used, "step": ...} (the budget clock survives resume)."""




def run_rl(method: str, model_dir, world_dir, out_dir, *, reward_funcs=None, callbacks=None, **overrides) -> dict:
    """Train with `method` ('grpo' | 'hero' | 'dpo') from `model_dir` on the world at `world_dir` into `out_dir`.

    `overrides`: any RLRunConfig field (budget_min, max_steps, seed, sigmas, lora, resume, ...) or any field of the
    method's trainer config (HeroConfig / GRPOConfig / DPOConfig: learning_rate, beta, weight_mode, gate,
    balancer, ...). `reward_funcs` (grpo/hero): TRL reward functions replacing the configured `reward`;
    `callbacks`: extra transformers TrainerCallbacks.
    Returns {"method", "steps", "seconds", "out", "model", "log_history", "tensorboard", "checkpoints",
    "resumed_from", "prompts", "beta", "processes"} (+ "pairs", "prompts_sampled", "sampling_seconds" for dpo)."""
    given = [k for k in ("model", "world", "out") if k in overrides]
    if given:
        raise ValueError(f"run_rl: {given} are the positional arguments model_dir, world_dir, out_dir; "
                         "do not pass them again as keywords")
    settings = {k: (v, f"run_rl({k}=...)") for k, v in overrides.items()}
    run_kw, trainer_kw = resolve(method, settings)
    run = RLRunConfig(method=method, model=str(model_dir), world=str(world_dir), out=str(out_dir), **run_kw)
    return run_resolved(run, trainer_kw, reward_funcs=reward_funcs, callbacks=callbacks)


def run_resolved(run: RLRunConfig, trainer_kw: dict, reward_funcs=None, callbacks=None) -> dict:
    """`run_rl` after settings are resolved (the CLI enters here)."""
    import torch

    if run.threads:
        torch.set_num_threads(run.threads)
    torch.set_flush_denormal(True)  # tiny weights drift into denormals and slow CPU math 10× (as in SFT)
    if run.method == "dpo":
        from hero.rl.dpo import run_dpo

        return run_dpo(run, trainer_kw, callbacks)
    return run_grpo(run, trainer_kw, reward_funcs, callbacks)


# ---------------------------------------------------------------------------------------------------- shared parts
def trainer_args(run: RLRunConfig, trainer_kw: dict):
    """The method's trainer config: run defaults < user fields; output_dir, seed, max_steps from the run."""
    import torch

    import os

    from hero.rl.run_config import field_types

    defaults = trainer_defaults(run.method, torch.cuda.is_available(), int(os.environ.get("WORLD_SIZE", "1")))
    if "activation_checkpointing" in field_types(config_class(run.method)):  # transformers ≥ 5: the new name
        defaults.pop("gradient_checkpointing")
        if "gradient_checkpointing" not in trainer_kw:
            defaults["activation_checkpointing"] = False
    kw = {**defaults, **trainer_kw}
    kw.update(output_dir=str(Path(run.out) / "checkpoints"), seed=run.seed, data_seed=run.seed,
              max_steps=run.max_steps or 10**9, disable_tqdm=not run.progress)
    if run.method == "grpo":  # plain GRPO with HERO's GRPO settings (β_0, ε_high), not TRL's defaults
        from hero.rl.config import HeroConfig

        hero = HeroConfig.__dataclass_fields__
        kw = {"beta": hero["beta"].default, "epsilon_high": hero["epsilon_high"].default, **kw}
    report = kw.get("report_to")
    report = [report] if isinstance(report, str) else list(report or [])
    kw["report_to"] = [r for r in report if r not in ("tensorboard", "none")]  # TensorBoard: our own callback
    return config_class(run.method)(**kw), "tensorboard" in report


def load_start_model(run: RLRunConfig):
    """(model, processor, world config) with the model's image size checked against the world's."""
    from hero.model.load import load_vlm
    from hero.world import load_world

    world_cfg, _ = load_world(run.world)
    model, processor = load_vlm(run.model)
    checkpoints_in_model_format(model)
    size = getattr(getattr(model.config, "vision_config", None), "image_size", None)
    if size is not None and size != world_cfg.image_size:
        raise InputError(f"{run.model}: the model takes {size}px images but the world {run.world} has "
                         f"{world_cfg.image_size}px; train a model for this world")
    return model, processor, world_cfg


def lora_config(run: RLRunConfig):
    """peft.LoraConfig from the run's lora_* fields, or None without --lora."""
    if not run.lora:
        return None
    from peft import LoraConfig

    targets = run.lora_target_modules
    return LoraConfig(r=run.lora_r, lora_alpha=run.lora_alpha, lora_dropout=run.lora_dropout,
                      target_modules="all-linear" if targets == ["all-linear"] else list(targets))


def prompt_rows(run: RLRunConfig) -> list[dict]:
    from hero.rl.world_data import question_rows

    return question_rows(run.world, run.split, run.sigmas, run.seed, run.questions_per_image, limit=run.max_images,
                         degrade=run.degrade)


def make_callbacks(run: RLRunConfig, used_s: float, tensorboard: bool, extra=None) -> tuple[list, object]:
    """[budget clock, log_history writer, (TensorBoard), *extra] and the clock."""
    from transformers import TrainerCallback

    out = Path(run.out)

    class RunClock(TrainerCallback):
        """Stops (and saves) once the budget is used, on every rank at the same step; saves the clock."""

        def __init__(self):
            self.used, self.t0 = used_s, None

        def elapsed(self) -> float:
            return self.used + (time.perf_counter() - self.t0 if self.t0 is not None else 0.0)

        def on_train_begin(self, args, state, control, **kw):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            if any_rank(self.elapsed() >= run.budget_min * 60.0, args.device):
                control.should_training_stop = control.should_save = True

        def on_save(self, args, state, control, **kw):
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and ckpt.is_dir():
                write_json_atomic(ckpt / STATE_FILE, {"seconds": self.elapsed(), "step": state.global_step})

    class LogWriter(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if state.is_world_process_zero:
                write_json_atomic(out / "log_history.json", state.log_history)

    clock = RunClock()
    callbacks = [clock, LogWriter()]
    if tensorboard:
        from transformers.integrations import TensorBoardCallback

        tb = TensorBoardCallback()
        tb.logging_dir = str(out / "tensorboard")
        callbacks.append(tb)
    return callbacks + list(extra or []), clock


def quiet(trainer, run: RLRunConfig) -> None:
    """Without a progress bar, transformers prints every log dict; they are in log_history.json and TensorBoard."""
    from transformers.trainer_callback import PrinterCallback

    if not run.progress:
        trainer.remove_callback(PrinterCallback)


def any_rank(flag: bool, device) -> bool:
    """True when `flag` is True on any process (so every rank stops at the same step); the flag itself alone."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def resume_point(run: RLRunConfig) -> tuple[Path | None, float]:
    """(checkpoint to resume from, training seconds already used) — (None, 0) for a fresh run."""
    if not run.resume:
        return None, 0.0
    ckpt_dir = Path(run.out) / "checkpoints"
    ckpt = latest_checkpoint(ckpt_dir)
    if ckpt is None:
        raise InputError(f"{ckpt_dir}: --resume given but no checkpoint-* folder there; drop --resume to start")
    state = ckpt / STATE_FILE
    return ckpt, float(json.loads(state.read_text())["seconds"]) if state.exists() else 0.0


def save_final(trainer, processor, run: RLRunConfig, summary: dict) -> None:
    """Main process: the trained model (LoRA merged; the adapter also in OUT/adapter) + processor + summaries."""
    from accelerate.utils import is_peft_model

    out = Path(run.out)
    model = trainer.accelerator.unwrap_model(trainer.model)
    if trainer.accelerator.is_main_process:
        if is_peft_model(model):
            model.save_pretrained(out / "adapter")
            model = model.merge_and_unload()
        undo_checkpoint_format(model)  # the final model in the standard layout
        model.config.hero_rl = {"method": run.method, "steps": summary["steps"], "seconds": summary["seconds"],
                                "start_model": run.model, "lora": run.lora}
        model.save_pretrained(out)
        processor.save_pretrained(out)
        write_json_atomic(out / "log_history.json", trainer.state.log_history)
        write_json_atomic(out / "rl_summary.json", summary)
    trainer.accelerator.wait_for_everyone()


def write_config(run: RLRunConfig, args) -> None:
    """OUT/rl_config.json: the run fields and the full trainer config (main process only)."""
    if args.process_index == 0:
        Path(run.out).mkdir(parents=True, exist_ok=True)
        write_json_atomic(Path(run.out) / "rl_config.json",
                          {"run": asdict(run), "trainer": json.loads(args.to_json_string())})


def summarize(run: RLRunConfig, trainer, clock, resumed_from, n_prompts: int, **extra) -> dict:
    out = Path(run.out)
    beta = getattr(trainer, "beta", None)
    return {"method": run.method, "steps": trainer.state.global_step, "seconds": round(clock.elapsed(), 1),
            "out": str(out), "model": str(out), "log_history": str(out / "log_history.json"),
            "tensorboard": str(out / "tensorboard"), "checkpoints": str(out / "checkpoints"),
            "resumed_from": str(resumed_from) if resumed_from else None, "prompts": n_prompts,
            "beta": float(beta) if beta is not None else None, "processes": trainer.accelerator.num_processes,
            **extra}


# ---------------------------------------------------------------------------------------------------- GRPO / HERO
def make_rewards(run: RLRunConfig) -> list:
    """The configured reward functions: the exact yes/no verifier (column "answer") and/or the NLI claims reward
    against the ground-truth caption (column "reference")."""
    from hero.rewards import YesNoReward

    funcs = []
    if run.reward in ("yes_no", "yes_no+nli"):
        funcs.append(YesNoReward("answer"))
    if run.reward in ("nli", "yes_no+nli"):
        from hero.rewards.nli import NLIReward

        funcs.append(NLIReward.from_pretrained(run.nli_model, premise_column="reference"))
    return funcs


def run_grpo(run: RLRunConfig, trainer_kw: dict, reward_funcs=None, extra_callbacks=None) -> dict:
    """GRPO ('grpo': TRL's GRPOTrainer) or HERO ('hero': HeroGRPOTrainer) on the world's prompts."""
    from trl import GRPOTrainer

    from hero.rl.trainer import HeroGRPOTrainer
    from hero.rl.world_data import rl_dataset

    args, tensorboard = trainer_args(run, trainer_kw)
    resume_from, used_s = resume_point(run)
    model, processor, _ = load_start_model(run)
    rows = prompt_rows(run)
    callbacks, clock = make_callbacks(run, used_s, tensorboard, extra_callbacks)
    cls = HeroGRPOTrainer if run.method == "hero" else GRPOTrainer
    trainer = cls(model=model, reward_funcs=reward_funcs or make_rewards(run), args=args,
                  train_dataset=rl_dataset(rows, run.seed), processing_class=processor, callbacks=callbacks,
                  peft_config=lora_config(run))
    quiet(trainer, run)
    write_config(run, args)
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    summary = summarize(run, trainer, clock, resume_from, len(rows))
    save_final(trainer, processor, run, summary)
    return summary
