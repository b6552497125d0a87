"""Settings of the `hero data` commands (pope-train, from-world, check), one config dataclass each, and what they
do. The CLI (`hero.cli.data`) generates its options from these classes. Every output file is written atomically
(a temporary file renamed into place): a failed command leaves no half-written file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hero.io import ImageFolder, check_out_folder, write_jsonl_atomic


def _check_out_file(out: str) -> None:
    if not str(out).strip():
        raise ValueError("--out is required: the JSONL file to write")
    if Path(out).is_dir():
        raise ValueError(f"{out}: is a folder, but --out is the JSONL file to write; pass a file path")
    check_out_folder(Path(out).parent or ".", "--out's folder")


@dataclass
class DataPopeTrainConfig:
    """`hero data pope-train`: yes/no training questions from COCO-format annotations (hero.data.pope_train)."""

    coco: str
    """COCO instances file (instances_train2014.json or any COCO-format export) of the *training* images."""
    out: str
    """The JSONL file to write (one training row per line)."""
    captions: str = ""
    """COCO captions file; each image's first caption becomes its rows' 'reference' (the NLI reward's premise)."""
    per_image: int = 6
    """Questions per image (even: yes/no pairs; fewer for an image with fewer objects than pairs)."""
    seed: int = 0
    """Seed of the positives and the random negatives."""

    def __post_init__(self) -> None:
        if self.per_image < 2 or self.per_image % 2:
            raise ValueError(f"--per-image {self.per_image}: must be even and ≥ 2 (yes/no pairs)")
        _check_out_file(self.out)


@dataclass
class DataFromWorldConfig:
    """`hero data from-world`: the world split's training questions written as a data file."""

    world: str
    """A built world folder (`hero world build`)."""
    out: str
    """The JSONL file to write; the rows' image paths are relative to the world folder (--images WORLD)."""
    split: str = "train"
    """World split whose images the questions are about."""
    questions_per_image: int = 2
    """Questions per image, alternating positive / negative (the RL prompt set's rule, hero.rl.world_data)."""
    max_images: int = 0
    """Use only the split's first N images (0 = all)."""
    seed: int = 0
    """Seed of the questions."""

    def __post_init__(self) -> None:
        if self.questions_per_image < 1 or self.max_images < 0:
            raise ValueError(f"--questions-per-image {self.questions_per_image} must be ≥ 1 and --max-images "
                             f"{self.max_images} ≥ 0")
        _check_out_file(self.out)


@dataclass
class DataCheckConfig:
    """`hero data check`: validate a data file and count its rows and images."""

    data: str = field(metadata={"argument": True})
    """A JSONL file, a JSON list or a `datasets.save_to_disk` folder."""
    images: str = ""
    """The image folder the rows' paths are relative to; without it, images are not looked at."""
    allow_outside_images: bool = False
    """Accept image paths that resolve outside --images (absolute, '..', a symlink out)."""


# ---------------------------------------------------------------------------------------------- what they do
def pope_train(cfg: DataPopeTrainConfig) -> dict:
    """Write the training rows; returns {"rows", "images", "yes", "out"}."""
    from hero.data.pope_train import coco_images, first_captions, train_questions

    images = coco_images(cfg.coco)
    captions = first_captions(cfg.captions) if cfg.captions else None
    rows = train_questions(images, cfg.per_image, cfg.seed, captions)
    write_jsonl_atomic(cfg.out, rows)
    return {"rows": len(rows), "images": len({r["image"] for r in rows}),
            "yes": sum(r["answer"] == "yes" for r in rows), "out": cfg.out}


def world_data_rows(rows: Sequence[dict], world_dir) -> list[dict]:
    """hero.rl.world_data.question_rows → data rows (id, image relative to the world folder, question, answer,
    reference, kind)."""
    return [{"id": r["id"], "image": os.path.relpath(r["image_path"], world_dir), "question": r["question"],
             "answer": r["answer"], "reference": r["reference"], "kind": r["kind"]} for r in rows]


def check_counts(cfg: DataCheckConfig) -> dict:
    """{"rows", "yes", "no", "open", "references", "images", "found", "missing", "unreadable", "first_bad"}: the
    file validated row by row (InputError at the first bad row); image counts only with --images (else None)."""
    from hero.data.rows import image_status, load_rows

    folder = ImageFolder(cfg.images or ".", allow_outside=cfg.allow_outside_images or not cfg.images)
    rows = load_rows(cfg.data, folder)
    out = {"rows": len(rows), "yes": sum(r.answer == "yes" for r in rows), "no": sum(r.answer == "no" for r in rows),
           "open": sum(r.answer is None for r in rows), "references": sum(r.reference is not None for r in rows),
           "images": None, "found": None, "missing": None, "unreadable": None, "first_bad": None}
    if cfg.images:
        status = image_status(rows)
        out.update(images=len(status), found=sum(v is None for v in status.values()),
                   missing=sum(v == "missing" for v in status.values()),
                   unreadable=sum(v not in (None, "missing") for v in status.values()))
        out["first_bad"] = next((f"{r.where}: field 'image' of row {r.id!r}: {status[p]} under {cfg.images}"
                                 for r in rows for p in r.image_paths if status[p]), None)
    return out
