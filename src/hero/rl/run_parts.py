"""The parts every `hero train grpo|hero|dpo` run shares (`hero.rl.pipeline` for GRPO/HERO, `hero.rl.dpo` for
DPO): the trainer config from the run settings, the start model, LoRA, the prompt rows, the callbacks (budget clock,
log writer, TensorBoard), resume, the final save and the summary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from hero.budget import BudgetClock, read_state, write_state
from hero.checkpoint import note_fresh_start, resume_checkpoint
from hero.io import write_json_atomic
from hero.model.load import checkpoints_in_model_format, undo_checkpoint_format
from hero.rl.gpu import check_run, load_4bit, translate
from hero.rl.settings import (DPO_ONLY_FIELDS, RUN_NOT_IDENTITY, TRAINER_NOT_IDENTITY, RLRunConfig, config_class,
                              field_types, trainer_defaults)


def trainer_args(run: RLRunConfig, trainer_kw: dict):
    """The method's trainer config: run defaults < user fields; output_dir, seed, max_steps from the run."""
    import os

    import torch

    defaults = trainer_defaults(run.method, torch.cuda.is_available(), int(os.environ.get("WORLD_SIZE", "1")))
    if "activation_checkpointing" in field_types(config_class(run.method)):  # transformers ≥ 5: the new name
        defaults.pop("gradient_checkpointing")
        if "gradient_checkpointing" not in trainer_kw and "activation_checkpointing" not in trainer_kw:
            defaults["activation_checkpointing"] = False
    kw = {**defaults, **translate(trainer_kw, field_types(config_class(run.method)))}
    kw.update(output_dir=str(Path(run.out) / "checkpoints"), seed=run.seed, data_seed=run.seed,
              max_steps=run.max_steps or 10**9, disable_tqdm=not run.progress)
    cls = config_class(run.method)
    if run.method == "grpo":  # plain GRPO with HERO's GRPO settings (β_0, ε_high), not TRL's defaults
        from hero.rl.hero_config import GRPO_CONTROLS, GRPO_MECHANISMS_OFF, HeroConfig

        hero = HeroConfig.__dataclass_fields__
        kw = {"beta": hero["beta"].default, "epsilon_high": hero["epsilon_high"].default, **kw}
        if any(k in kw for k in GRPO_CONTROLS):  # the gate / hard negatives: HeroGRPOTrainer, HERO's own off
            cls, kw = HeroConfig, {**kw, **GRPO_MECHANISMS_OFF}
            kw.setdefault("gate", False)  # grpo's default: no gate
    report = kw.get("report_to")
    report = [report] if isinstance(report, str) else list(report or [])
    kw["report_to"] = [r for r in report if r not in ("tensorboard", "none")]  # TensorBoard: our own callback
    return cls(**kw), "tensorboard" in report


@dataclass
class Plan:
    """A run whose inputs are checked: the trainer config, the prompt rows and where it resumes."""

    args: object
    """The method's trainer config (`trainer_args`)."""
    tensorboard: bool
    """Log to OUT/tensorboard."""
    rows: list[dict]
    """The world's prompt rows (`prompt_rows`)."""
    resume_from: Path | None = None
    """The checkpoint to resume from (None: a fresh run)."""
    used_s: float = 0.0
    """Training seconds the checkpoint had used."""


def check_start_model(run: RLRunConfig):
    """The world's config, after checking (without loading weights) the start model's folder and image size and
    the NLI reward model's folder."""
    from hero.model.load import check_vlm_folder
    from hero.world import load_world

    world_cfg = load_world(run.world)[0] if run.world else None  # --data: the processor resizes the images
    check_vlm_folder(run.model, world_cfg.image_size if world_cfg else None, run.world)
    if run.nli_model:
        check_vlm_folder(run.nli_model)
    return world_cfg


def preflight(run: RLRunConfig, trainer_kw: dict) -> Plan:
    """Every input check that needs no model, before any model loads: the trainer config (built, so its own
    checks run), the world, the start model's folder, the split's prompts; first the GPU options (`hero.rl.gpu`)."""
    check_run(run, trainer_kw)
    args, tensorboard = trainer_args(run, trainer_kw)
    check_start_model(run)
    return Plan(args, tensorboard, prompt_rows(run))


def run_identity(run: RLRunConfig, args) -> dict:
    """The run's identity (hero.runid): method, start model, world, the run fields that define it and the trainer
    fields that differ from the trainer config's defaults, budget-like and operational ones left out
    (RUN_NOT_IDENTITY, TRAINER_NOT_IDENTITY; DPO's fields for grpo / hero)."""
    from hero.runid import identity

    skip = RUN_NOT_IDENTITY + (() if run.method == "dpo" else DPO_ONLY_FIELDS)
    config = {k: v for k, v in asdict(run).items() if k not in skip}
    defaults = type(args)(output_dir=args.output_dir, use_cpu=args.use_cpu, bf16=args.bf16, fp16=args.fp16)
    base, mine = json.loads(defaults.to_json_string()), json.loads(args.to_json_string())
    trainer = {k: v for k, v in mine.items() if not k.startswith(TRAINER_NOT_IDENTITY) and base.get(k) != v}
    if run.data:
        from hero.data.training import source_identity

        return source_identity(run.method, run.model, run.data, run.images, config, trainer)
    return identity(run.method, run.model, run.world, Path(run.world) / "world.json", config, trainer)


def load_start_model(run: RLRunConfig):
    """(model, processor, world config); the folder checked first (`check_start_model`)."""
    from hero.model.load import load_vlm

    world_cfg = check_start_model(run)
    if run.load_in_4bit:  # QLoRA: the weights in 4-bit on this process's GPU
        from hero.model.load import load_processor

        model, processor = load_4bit(run.model), load_processor(run.model)
    else:
        model, processor = load_vlm(run.model)
    checkpoints_in_model_format(model)
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
    """The prompt rows: the world split's questions, or the --data file's rows (hero.rl.file_rows)."""
    from hero.rl.world_data import question_rows

    if run.data:
        from hero.rl.file_rows import file_prompt_rows

        return file_prompt_rows(run)

    return question_rows(run.world, run.split, run.sigmas, run.seed, run.questions_per_image, limit=run.max_images,
                         degrade=run.degrade)


def make_callbacks(run: RLRunConfig, used_s: float, tensorboard: bool, extra=None) -> tuple[list, object]:
    """[budget clock, log_history writer, (TensorBoard), *extra] and the clock."""
    from transformers import TrainerCallback

    out = Path(run.out)

    clock = BudgetClock(run.budget_min * 60.0, used_s=used_s)

    class ClockCallback(TrainerCallback):
        """Stops (and saves) once the budget is used, on every rank at the same step; saves the clock."""

        def on_train_begin(self, args, state, control, **kw):
            clock.start()

        def on_step_end(self, args, state, control, **kw):
            if any_rank(clock.spent(), args.device):
                control.should_training_stop = control.should_save = True

        def on_save(self, args, state, control, **kw):
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and ckpt.is_dir():
                write_state(ckpt, {"seconds": clock.elapsed(), "step": state.global_step})

    class LogWriter(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if state.is_world_process_zero:
                write_json_atomic(out / "log_history.json", state.log_history)

    callbacks = [ClockCallback(), LogWriter()]
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
        note_fresh_start(Path(run.out) / "checkpoints")
        return None, 0.0
    ckpt = resume_checkpoint(Path(run.out) / "checkpoints")  # the newest complete one (hero.checkpoint)
    return ckpt, float(read_state(ckpt).get("seconds", 0.0))


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


def rl_stats(log_history: list[dict]) -> dict:
    """What a GRPO / HERO run did, from the trainer's log history (one entry per logging window; the run default
    logs every optimizer step): gated_share = mean of hero/gated_frac (share of prompt groups the gate dropped; 0.0
    when no entry has it: TRL's own GRPOTrainer drops nothing), kl_final / kl_mean = the last / mean logged `kl`
    (TRL's k3 estimate, nats per token; None when none was logged: β = 0), hard_negative_share = mean of
    hero/hard_negative_frac (share of groups that were all wrong; None when hard negatives are off)."""
    def values(key: str) -> list[float]:
        return [float(h[key]) for h in log_history if key in h]

    def mean(xs: list[float]) -> float | None:
        return sum(xs) / len(xs) if xs else None

    gated, kl, hard = values("hero/gated_frac"), values("kl"), values("hero/hard_negative_frac")
    return {"gated_share": mean(gated) if gated else 0.0, "kl_final": kl[-1] if kl else None, "kl_mean": mean(kl),
            "hard_negative_share": mean(hard)}
