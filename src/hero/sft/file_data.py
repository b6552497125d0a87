"""`hero train sft --data FILE --images DIR`: supervised fine-tuning on the rows of a data file (hero.data.rows)
instead of the world's scene stream, with the same trainer, collator, schedule, budget clock and checkpoints.

Each row is one example: its images (one or a list, each resized to the model's input size with the image
processor's resampling; the prompt shows them in the row's order, one image placeholder each), its question and
the target `hero.data.training.sft_target` (answer style: "yes"/"no"; CoT style: the reference then
"Answer: yes|no."; an open question: its reference). Rows are visited in a fresh seeded order every epoch
(`epoch_order`); the run stops at the budget or --max-steps. The world-only settings (curriculum, --cot-first,
--caption-frac) are refused with --data, and the auxiliary losses (which need the world's object boxes) are off.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hero.data.rows import DataRow
from hero.data.training import load_training_rows, sft_target, source_identity
from hero.sft.settings import SFT_NOT_IDENTITY, SFTRunConfig


def check_file_run(cfg: SFTRunConfig) -> list[DataRow]:
    """The rows (all validated, every image opened) and the start model's folder, before any model loads."""
    from hero.model.load import check_vlm_folder

    rows = load_training_rows(cfg.data, cfg.images, cfg.allow_outside_images)
    check_vlm_folder(cfg.model)
    return rows


def file_identity(cfg: SFTRunConfig) -> dict:
    """The run's identity (hero.runid): start model, the data file's bytes, the images folder, the settings."""
    from dataclasses import asdict

    config = {k: v for k, v in asdict(cfg).items() if k not in SFT_NOT_IDENTITY}
    return source_identity("sft", cfg.model, cfg.data, cfg.images, config)


def epoch_order(i: int, n: int, seed: int) -> int:
    """The row of stream index i: epoch e = i // n visits the rows in permutation (seed, e) of range(n).
    Deterministic in (i, n, seed), so a resumed run continues the same order."""
    epoch, k = divmod(i, n)
    return int(np.random.default_rng((seed, 13, epoch)).permutation(n)[k])


def row_image(path: str, size: tuple[int, int], resample) -> np.ndarray:
    """(H, W, 3) uint8 of the image at `path`, RGB, resized to size = (height, width) (None: kept as it is)."""
    from PIL import Image

    with Image.open(path) as im:
        img = im.convert("RGB")
    if size is not None and img.size != (size[1], size[0]):
        img = img.resize((size[1], size[0]), resample)
    return np.asarray(img)


class FileCollator:
    """Dataset rows {"idx": i} → the SFT batch of the file's examples (hero.sft.collate.SFTCollator)."""

    def __init__(self, rows: Sequence[DataRow], style: str, seed: int, collator, size, resample):
        self.rows, self.style, self.seed, self.collator = list(rows), style, seed, collator
        self.size, self.resample = size, resample

    def example(self, i: int):
        from hero.sft.data import Example

        row = self.rows[epoch_order(i, len(self.rows), self.seed)]
        first, *more = (row_image(p, self.size, self.resample) for p in row.image_paths)
        return Example(first, row.question, sft_target(row, self.style), more_images=tuple(more))

    def __call__(self, batch):
        return self.collator([self.example(int(r["idx"])) for r in batch])


def _image_size(processor, model) -> tuple[int, int]:
    size = getattr(processor.image_processor, "size", None) or {}
    if "height" in size and "width" in size:
        return int(size["height"]), int(size["width"])
    side = int(model.config.vision_config.image_size)
    return side, side


def _callback(clock):
    from transformers import TrainerCallback

    from hero.budget import write_state

    class FileCallback(TrainerCallback):
        """Budget stop (and save) and the clock in every checkpoint."""

        def on_step_end(self, args, state, control, **kw):
            clock.step = state.global_step
            if clock.spent():
                control.should_training_stop = control.should_save = True

        def on_save(self, args, state, control, **kw):
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if ckpt.is_dir():
                write_state(ckpt, {"seconds": clock.elapsed(), "step": state.global_step})

    return FileCallback()


def build_file_trainer(cfg: SFTRunConfig, rows: Sequence[DataRow], state: dict):
    """(trainer, RunContext) for the file's rows; `state` is a checkpoint's hero_state.json ({} when fresh)."""
    from PIL import Image

    from hero.budget import BudgetClock
    from hero.model.load import checkpoints_in_model_format, load_vlm
    from hero.sft.collate import fixed_size, make_collator
    from hero.sft.settings import device_precision
    from hero.sft.trainer import RunContext, _budget_progress, _sft_trainer_class, index_dataset, optimizer, sft_config

    model, processor = load_vlm(cfg.model)
    checkpoints_in_model_format(model)
    cuda, precision = device_precision(cfg.precision)
    size = _image_size(processor, model) if fixed_size(model) else None  # other families take any size
    collator = make_collator(processor, model, size and size[0])
    clock = BudgetClock(cfg.budget_min * 60.0, cfg.max_steps, used_s=float(state.get("seconds", 0.0)))
    ctx = RunContext(cfg, None, collator, clock, processor, precision=precision)
    resample = getattr(processor.image_processor, "resample", None) or Image.Resampling.BICUBIC
    opt, sched = optimizer(model, cfg, clock)
    trainer = _sft_trainer_class()(
        model=model, args=sft_config(cfg, precision, cuda),
        train_dataset=index_dataset(int(state.get("step", 0)) * cfg.batch_size), data_collator=FileCollator(rows, cfg.style, cfg.seed, collator, size, resample),
        processing_class=processor, optimizers=(opt, sched), callbacks=[_callback(clock)])
    if cfg.progress:
        from transformers.trainer_callback import ProgressCallback

        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(_budget_progress(clock))
    return trainer, ctx
