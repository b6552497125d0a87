"""`hero data pope-train`: yes/no training questions from COCO-format annotations of *training* images, with the
POPE builder's sampling (hero.official.pope) and its three negative kinds, references from the captions.

Per image (images in the file's order; an image without objects is skipped): its objects are the unique category
names of its annotations, in annotation order; `pairs = min(per_image // 2, number of objects)` positives are drawn
without replacement (`random.Random(seed)`), and each positive is followed by one negative, so the file is
balanced yes / no. The negative kind of pair j of the k-th used image is ("random", "popular",
"adversarial")[(k + j) % 3] — with the default 6 questions per image every image gets one of each — and it is
sampled with POPE's rules over the whole file's statistics: popular = the first valid object by frequency,
adversarial = the first valid object by co-occurrence with the positive, random (and the fallback of the other two)
= a random known object; valid = not in the image and not asked about this image before. A pair for which no
negative is left (the image holds every known object) is not asked.

A row: {"id": "<image_id>#<k>", "image": file_name, "question": "Is there a dog in the image?", "answer": "yes",
"kind": "positive" | "random" | "popular" | "adversarial", "object": "dog", "reference": first caption} (reference
only with --captions; an image without a caption gets none).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from hero.io import InputError
from hero.official.coco import read_captions, read_instances
from hero.official.pope import (STRATEGIES, _first_valid, _random_negative, co_occurrence, ground_truth_objects,
                                make_question)


def coco_images(path) -> list[dict]:
    """[{"image_id", "image": file_name, "objects": [unique category names, annotation order]}] of an instances
    file, in its images' order; located InputError for a malformed file or an annotation of an unknown image."""
    coco = read_instances(path)
    images = coco.get("images")
    if not isinstance(images, list):
        raise InputError(f"{path}: missing field 'images' (a list of {{'id', 'file_name'}}); pope-train needs the "
                         "image file names")
    out, by_id = [], {}
    for i, img in enumerate(images, start=1):
        if not isinstance(img, dict) or not isinstance(img.get("file_name"), str) or "id" not in img:
            raise InputError(f"{path}: images item {i}: needs 'id' and 'file_name' (text)")
        by_id[img["id"]] = {"image_id": img["id"], "image": img["file_name"], "objects": []}
        out.append(by_id[img["id"]])
    names = {c["id"]: c["name"] for c in coco["categories"]}
    for i, a in enumerate(coco["annotations"], start=1):
        if a["image_id"] not in by_id:
            raise InputError(f"{path}: annotations item {i}: image_id {a['image_id']} is not among the images")
        objs = by_id[a["image_id"]]["objects"]
        if names[a["category_id"]] not in objs:
            objs.append(names[a["category_id"]])
    return out


def first_captions(path) -> dict:
    """{image_id: its first caption in file order} of a COCO captions file."""
    out: dict = {}
    for a in read_captions(path)["annotations"]:
        out.setdefault(a["image_id"], a["caption"].strip())
    return out


def _negative(kind: str, pos: str, banned: set[str], stats: dict, rng: random.Random, image: str) -> str:
    neg = None
    if kind == "popular":
        neg = _first_valid(stats["popular"], banned)
    elif kind == "adversarial":
        neg = _first_valid(stats["co"].get(pos, []), banned)
    return neg if neg is not None else _random_negative(rng, stats["pool"], banned, image)


def train_questions(images: Sequence[dict], per_image: int = 6, seed: int = 0,
                    captions: dict | None = None) -> list[dict]:
    """The training rows of `images` (see the module docstring)."""
    if per_image < 2 or per_image % 2:
        raise ValueError(f"--per-image {per_image}: must be even and ≥ 2 (yes/no pairs)")
    used = [img for img in images if img["objects"]]
    gt = ground_truth_objects(used)
    stats = {"pool": list(gt), "popular": [o for o, _ in sorted(gt.items(), key=lambda kv: kv[1], reverse=True)],
             "co": co_occurrence(used)}
    rng, rows = random.Random(seed), []
    for k, img in enumerate(used):
        objs, history, n = img["objects"], [], 0
        for j, pos in enumerate(rng.sample(objs, min(per_image // 2, len(objs)))):
            banned = set(history) | set(objs) | {pos}
            if all(o in banned for o in stats["pool"]):
                break
            kind = STRATEGIES[(k + j) % len(STRATEGIES)]
            neg = _negative(kind, pos, banned, stats, rng, img["image"])
            history += [pos, neg]
            for name, label, what in ((pos, "yes", "positive"), (neg, "no", kind)):
                q = make_question(0, img["image"], name, label)
                row = {"id": f"{img['image_id']}#{n}", "image": img["image"], "question": q["text"], "answer": label,
                       "kind": what, "object": name}
                if captions and img["image_id"] in captions:
                    row["reference"] = captions[img["image_id"]]
                rows.append(row)
                n += 1
    if not rows:
        raise InputError("pope-train: no image with an annotated object; nothing to ask")
    return rows
