"""The RL prompt set from a world split: yes/no existence questions (positives and the SFT negative kinds) about
the split's images, each seen under a degradation spec drawn per prompt from hero.degrade.merge_specs(sigmas,
degrade) (default noise 0, 30, 50; every level validated by hero.degrade).

Rows are plain dicts (`question_rows`): id, image_id, image_path, question, answer ("yes"/"no"), kind ("positive"
or a negative kind of `hero.sft.data.NEGATIVE_KINDS`), degrade (canonical spec), sigma (its noise σ, None if it
is not noise-only) and reference (the ground-truth caption, the premise
of the NLI reward). `rl_dataset` wraps them in a `datasets.Dataset` whose rows are rendered on access: the image is
read and degraded on the fly with `hero.degrade` (seeded by (seed, image id, op, level), so a prompt's image never
depends on batch order, rank or resume), and the prompt is the SFT prompt in TRL's conversational multimodal form
(`hero.sft.collate.user_message`: [{"type": "image"}, {"type": "text", "text": question}]), so RL starts from the
distribution the model was fine-tuned on. A row of a data file may hold several images (`row_images`): its
prompt then has one placeholder per image, in order, and TRL's `images` column carries them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hero.degrade import Degradation, merge_specs, noise_specs
from hero.io import InputError

POSITIVE = "positive"
QUESTION_STREAM = 7
"""Second element of the seed sequence (seed, QUESTION_STREAM) that draws the questions and specs of a split."""


def split_stats(annotations: Sequence[dict], categories: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Category frequency (C,) and co-occurrence counts (C, C) over a split's annotation rows (POPE's statistics
    for popular / adversarial negatives). Two images {a, b} and {a} → freq [2, 1], co [[0, 1], [1, 0]]."""
    index = {c: i for i, c in enumerate(categories)}
    freq = np.zeros(len(categories))
    co = np.zeros((len(categories), len(categories)))
    for row in annotations:
        present = sorted({index[o["category"]] for o in row["objects"]})
        freq[present] += 1
        for a in present:
            co[a, present] += 1
    np.fill_diagonal(co, 0)
    return freq, co


def check_sigmas(sigmas: Sequence[float]) -> list[float]:
    """σ list as floats, validated by hero.degrade (0 ≤ σ ≤ 255); ValueError naming the fix for an empty list."""
    if not list(sigmas):
        raise ValueError("sigmas=[]: give noise levels on the 0-255 scale, e.g. [0, 30, 50]")
    noise_specs(sigmas)
    return [float(s) for s in sigmas]


def question_rows(world_dir, split: str = "train", sigmas: Sequence[float] = (), seed: int = 0,
                  questions_per_image: int = 2, kinds: Sequence[str] | None = None, limit: int = 0,
                  degrade: Sequence[str] = ()) -> list[dict]:
    """Questions about every image of `split` (first `limit` images if > 0): per image, `questions_per_image`
    questions alternating positive / negative (so the set is balanced), the negative's kind drawn from `kinds`
    (default: all SFT kinds), each with a spec drawn from merge_specs(sigmas, degrade) (both empty → noise 0, 30,
    50; a noise-only grid draws exactly as the σ lists did). Deterministic in (world, split, seed, arguments)."""
    from hero.sft.data import NEGATIVE_KINDS, pick_negative
    from hero.world import load_annotations, load_world
    from hero.world.text import caption, question

    grid = merge_specs(sigmas, degrade)
    kinds = list(kinds or NEGATIVE_KINDS)
    bad = [k for k in kinds if k not in NEGATIVE_KINDS]
    if bad or questions_per_image < 1:
        raise ValueError(f"negative kinds {bad} not in {NEGATIVE_KINDS}" if bad else
                         f"questions_per_image={questions_per_image} must be ≥ 1")
    cfg, _ = load_world(world_dir)
    annotations = load_annotations(world_dir, split)[: limit or None]
    cats = cfg.categories
    freq, co = split_stats(annotations, cats)
    rng = np.random.default_rng((seed, QUESTION_STREAM))
    rows = []
    for ann in annotations:
        present = [c for c in cats if c in {o["category"] for o in ann["objects"]}]  # canonical order, as SFT
        for j in range(questions_per_image):
            if j % 2 == 0 or len(present) == len(cats):
                kind, asked = POSITIVE, present[int(rng.integers(len(present)))]
            else:
                kind = kinds[int(rng.integers(len(kinds)))]
                asked = pick_negative(kind, present, cats, freq, co, rng)
            rows.append({"id": f"{ann['id']}#{j}", "image_id": ann["id"],
                         "image_path": str(Path(world_dir) / split / ann["file"]), "question": question(asked),
                         "answer": "yes" if asked in present else "no", "kind": kind,
                         **_spec_fields(grid[int(rng.integers(len(grid)))]), "reference": caption(present)})
    if not rows:
        raise InputError(f"{Path(world_dir) / split}: no images in this split; build the world with more images")
    return rows


def _spec_fields(spec: str) -> dict:
    return {"degrade": spec, "sigma": Degradation.parse(spec).sigma}


def load_image(path: str, image_id: str, degrade, seed: int):
    """The RGB PIL image at `path` degraded by `degrade` (a spec, or a number = noise σ as in older rows), seeded
    by (seed, image_id, op, level) through hero.degrade."""
    from PIL import Image

    from hero.degrade import apply

    try:
        with Image.open(path) as im:
            img = im.convert("RGB")
    except OSError as e:
        raise InputError(f"{path}: cannot read image of prompt {image_id!r} ({e})") from None
    return apply(img, degrade, seed=seed, image_id=image_id)


def row_images(batch: dict) -> list[list[tuple[str, str]]]:
    """(path, image id) of every image of each stored row, in order: a file row's image_paths / image_ids
    (hero.data.training.rl_rows), else the row's one image_path / image_id (the world's rows)."""
    paths = batch.get("image_paths") or [[p] for p in batch["image_path"]]
    ids = batch.get("image_ids") or [[i] for i in batch["image_id"]]
    return [list(zip(p, i, strict=True)) for p, i in zip(paths, ids, strict=True)]


def render_batch(batch: dict, seed: int) -> dict:
    """Columns of stored rows → the columns TRL sees: prompt (conversational, one image placeholder per image),
    images (the row's degraded PIL images, in order: TRL's multi-image column), image (the first of them), answer,
    kind, degrade, sigma, id, reference. Every image of a row takes the row's spec, seeded by its own image id."""
    from hero.sft.collate import user_message

    out = {k: list(batch[k]) for k in ("id", "answer", "kind", "degrade", "sigma", "reference")}
    out["images"] = [[load_image(p, i, spec, seed) for p, i in pairs]
                     for pairs, spec in zip(row_images(batch), batch["degrade"], strict=True)]
    out["prompt"] = [user_message(q, len(ims)) for q, ims in zip(batch["question"], out["images"], strict=True)]
    out["image"] = [ims[0] for ims in out["images"]]
    return out


def rl_dataset(rows: Sequence[dict], seed: int = 0):
    """`datasets.Dataset` of the rows, rendered on access by `render_batch` (images degraded on the fly)."""
    from datasets import Dataset

    return Dataset.from_list(list(rows)).with_transform(lambda batch: render_batch(batch, seed))
