"""POPE question builder, following the official RUCAIBox/POPE `main.py` + `utils.py` sampling rules.

Input: annotation rows `{"image": str, "objects": [...]}` — objects as names, or as dicts with a "category" key
(the embedded world's annotations.jsonl; its "file" key is used as the image name when "image" is absent).

Rules (see ../shared/benchmarks/specs/pope.md):
* keep images with ≥ sample_num objects; `rng.sample(eligible, img_num)` (the sampled order is the file order);
* ground_truth_objects: object → count over the sampled images' object lists, in first-appearance order;
* per image, for i < sample_num: positive = objects[i] (label yes), then one negative not in the image's objects and
  not in this image's history (positives and negatives asked so far):
  random — `rng.choice(all gt objects)` until valid; popular — first valid by count desc (stable), else random;
  adversarial — first valid in the positive's co-occurrence list (count desc, stable, over the sampled images),
  else random;
* the three splits draw from ONE random stream in the official order (sample, random, popular, adversarial).
Deviations: seeded (`random.Random(seed)`), "an" written only before a vowel-initial object name (the official
`template.replace("a", "an")` bug that produced "imange" is not reproduced), and an impossible negative (every
known object already in the image or its history) raises an error instead of looping forever.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path

from hero.io import InputError, read_jsonl, write_jsonl_atomic

STRATEGIES = ("random", "popular", "adversarial")
DEFAULT_TEMPLATE = "Is there a {} in the image?"


def object_names(row: dict) -> list[str]:
    """The object list of an annotation row as names."""
    return [o["category"] if isinstance(o, dict) else o for o in row["objects"]]


def normalise_rows(rows: Sequence[dict], source: str = "<rows>") -> list[dict]:
    """Validate rows and return `{"image", "objects": [names]}` dicts; errors name the source and 1-based row."""
    out = []
    for i, row in enumerate(rows, start=1):
        image = row.get("image", os.path.basename(row["file"]) if "file" in row else None)
        if image is None or not isinstance(row.get("objects"), list):
            raise InputError(f"{source}:{i}: a row needs 'image' (or 'file') and an 'objects' list, got keys {sorted(row)}")
        try:
            names = object_names(row)
        except (KeyError, TypeError):
            raise InputError(f"{source}:{i}: each object must be a name or a dict with a 'category'") from None
        out.append({"image": image, "objects": names})
    return out


def ground_truth_objects(images: Sequence[dict]) -> dict[str, int]:
    """Object → occurrences over the images' object lists, in first-appearance order."""
    counts: dict[str, int] = {}
    for img in images:
        for o in img["objects"]:
            counts[o] = counts.get(o, 0) + 1
    return counts


def co_occurrence(images: Sequence[dict]) -> dict[str, list[str]]:
    """Object → the objects seen with it, by co-occurrence count descending (stable: first-seen order on ties)."""
    co: dict[str, dict[str, int]] = {}
    for img in images:
        objs = img["objects"]
        for o in objs:
            row = co.setdefault(o, {})
            for other in objs:
                if other != o:
                    row[other] = row.get(other, 0) + 1
    return {o: [k for k, _ in sorted(row.items(), key=lambda kv: kv[1], reverse=True)] for o, row in co.items()}


def make_question(question_id: int, image: str, name: str, label: str, template: str = DEFAULT_TEMPLATE) -> dict:
    """One POPE line; 'an' replaces the 'a' right before the name when the name starts with a lowercase vowel."""
    if name[:1] in ("a", "e", "i", "o", "u"):
        template = template.replace("a {}", "an {}")
    return {"question_id": question_id, "image": image, "text": template.format(name), "label": label}


def _random_negative(rng: random.Random, pool: list[str], banned: set[str], image: str) -> str:
    if all(o in banned for o in pool):
        raise InputError(f"POPE: no negative object left for image {image!r}: every known object is in the image "
                         "or already asked; use images from a larger vocabulary")
    while True:
        cand = rng.choice(pool)
        if cand not in banned:
            return cand


def _first_valid(ordered: Sequence[str], banned: set[str]) -> str | None:
    for cand in ordered:
        if cand not in banned:
            return cand
    return None


def build_split(images: Sequence[dict], strategy: str, rng: random.Random, sample_num: int = 3,
                template: str = DEFAULT_TEMPLATE) -> list[dict]:
    """Questions of one split for already-sampled images (official order: pos1, neg1, pos2, neg2, ...)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown POPE strategy {strategy!r}; choose from {STRATEGIES}")
    gt = ground_truth_objects(images)
    pool = list(gt)
    popular = [o for o, _ in sorted(gt.items(), key=lambda kv: kv[1], reverse=True)]
    co = co_occurrence(images)
    questions: list[dict] = []
    for img in images:
        history: list[str] = []
        for i in range(sample_num):
            pos = img["objects"][i]
            history.append(pos)
            questions.append(make_question(len(questions) + 1, img["image"], pos, "yes", template))
            banned = set(history) | set(img["objects"])
            neg = None
            if strategy == "popular":
                neg = _first_valid(popular, banned)
            elif strategy == "adversarial":
                neg = _first_valid(co.get(pos, []), banned)
            if neg is None:
                neg = _random_negative(rng, pool, banned, img["image"])
            history.append(neg)
            questions.append(make_question(len(questions) + 1, img["image"], neg, "no", template))
    return questions


def build_pope(rows: Sequence[dict], img_num: int = 500, sample_num: int = 3, seed: int = 0,
               template: str = DEFAULT_TEMPLATE, source: str = "<rows>") -> dict[str, list[dict]]:
    """All three splits from annotation rows: {"random": [...], "popular": [...], "adversarial": [...]}."""
    if sample_num < 1 or img_num < 1:
        raise ValueError(f"POPE: sample_num ({sample_num}) and img_num ({img_num}) must be ≥ 1")
    if "{}" not in template:
        raise ValueError(f"POPE: template {template!r} needs a '{{}}' placeholder for the object name")
    eligible = [r for r in normalise_rows(rows, source) if len(r["objects"]) >= sample_num]
    if len(eligible) < img_num:
        raise InputError(f"POPE: {source} has only {len(eligible)} images with ≥ {sample_num} objects, "
                         f"{img_num} requested; lower --num-images (or --sample-num) or add images")
    rng = random.Random(seed)
    images = rng.sample(eligible, img_num)
    return {s: build_split(images, s, rng, sample_num, template) for s in STRATEGIES}


def write_pope(splits: dict[str, list[dict]], out_dir: str | os.PathLike, dataset: str) -> list[Path]:
    """Write `<dataset>_pope_<split>.json` (JSONL, as the official files) atomically; return the paths."""
    out_dir = Path(out_dir)
    paths = []
    for name, qs in splits.items():
        p = out_dir / f"{dataset}_pope_{name}.json"
        write_jsonl_atomic(p, qs)
        paths.append(p)
    return paths


def build_pope_from_file(annotations: str | os.PathLike, out_dir: str | os.PathLike, dataset: str,
                         img_num: int = 500, sample_num: int = 3, seed: int = 0,
                         template: str = DEFAULT_TEMPLATE) -> list[Path]:
    """`hero world pope`: annotation JSONL → the three POPE files (+ ground-truth objects and co-occurrence)."""
    rows = read_jsonl(annotations)
    splits = build_pope(rows, img_num, sample_num, seed, template, source=str(annotations))
    paths = write_pope(splits, out_dir, dataset)
    return paths
