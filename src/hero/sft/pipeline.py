"""`hero train sft`: supervised fine-tuning of a HERO VLM on the world's yes/no questions and captions, with
TRL's SFTTrainer (custom collator, time budget, curriculum, checkpoints, resume).

Examples are rendered on the fly from an endless scene stream (hero.sft.data); the collator turns stream indices
into batches, so the dataset is just the index sequence. The learning-rate schedule and the stop condition follow
the wall-clock budget (or --max-steps, whichever ends first); the clock and the curriculum stage are saved in
every checkpoint (`hero_state.json`, `hero.budget`) so a resumed run continues where it stopped.
Settings: `hero.sft.settings`; the Trainer subclass, collator and callbacks: `hero.sft.trainer`.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from hero.budget import read_state
from hero.checkpoint import note_fresh_start, resume_checkpoint
from hero.io import write_json_atomic
from hero.sft.settings import SFT_NOT_IDENTITY, SFTRunConfig
from hero.threads import torch_threads


def resume_state(cfg: SFTRunConfig) -> tuple[Path | None, dict]:
    """(checkpoint to resume from, its hero_state.json) — (None, {}) for a fresh run; the newest complete
    checkpoint with --resume (hero.checkpoint)."""
    if not cfg.resume:
        note_fresh_start(Path(cfg.out) / "checkpoints")
        return None, {}
    ckpt = resume_checkpoint(Path(cfg.out) / "checkpoints")
    return ckpt, read_state(ckpt)


def sft_identity(cfg: SFTRunConfig) -> dict:
    """The run's identity (hero.runid): start model, world and the settings that define the run."""
    from hero.runid import identity

    config = {k: v for k, v in asdict(cfg).items() if k not in SFT_NOT_IDENTITY}
    return identity("sft", cfg.model, cfg.world, Path(cfg.world) / "world.json", config)


def run_sft(cfg: SFTRunConfig) -> dict:
    """Check the inputs (world, model folder and image size, the folder's identity) before anything loads, then
    train in the locked folder and save; returns a summary {steps, examples, seconds, stage, out}."""
    from hero.hardware import check_precision, machine
    from hero.model.load import check_vlm_folder
    from hero.runid import training_folder
    from hero.world import load_world

    check_precision(cfg.precision == "bf16", False, machine(), flag="--precision bf16")  # before anything loads
    if cfg.data:  # a data file (hero.sft.file_data): rows and images checked here, before anything loads
        from hero.sft.file_data import check_file_run, file_identity

        source, ident = check_file_run(cfg), file_identity(cfg)
    else:
        source, _ = load_world(cfg.world)
        check_vlm_folder(cfg.model, source.image_size, cfg.world)
        ident = sft_identity(cfg)
    with training_folder(cfg.out, ident, tool="hero train sft"), torch_threads(cfg.threads):
        resume_from, state = resume_state(cfg)
        return _train(cfg, source, resume_from, state)


def _train(cfg: SFTRunConfig, source, resume_from: Path | None, state: dict) -> dict:
    """Train on `source`: the world's config (the scene stream) or a data file's rows (hero.sft.file_data)."""
    import torch

    from hero.model.load import undo_checkpoint_format
    from hero.sft.file_data import build_file_trainer
    from hero.sft.trainer import build_trainer, detach_aux_heads

    torch.set_flush_denormal(True)  # tiny weights/moments drift into denormals and slow CPU math 10×
    out = Path(cfg.out)
    trainer, ctx = (build_file_trainer if cfg.data else build_trainer)(cfg, source, state)
    ctx.clock.start()
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    ctx.clock.pause()
    model = trainer.model
    detach_aux_heads(model, ctx.taps)  # training-only: the saved model is the plain HF model
    undo_checkpoint_format(model)
    model.config.hero_style = cfg.style
    model.config.hero_sft = {k: v for k, v in asdict(cfg).items() if k not in ("progress",)}
    model.save_pretrained(out)
    ctx.processor.save_pretrained(out)
    summary = {"steps": trainer.state.global_step, "examples": ctx.stream_index(trainer.state.global_step),
               "threads": torch.get_num_threads(), "precision": ctx.precision,
               "seconds": round(ctx.clock.elapsed(), 1), "stage": ctx.stage, "out": str(out)}
    write_json_atomic(out / "sft_summary.json", summary)
    return summary
