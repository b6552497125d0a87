"""Exporters: the embedded world in the official AMBER, COCO (CHAIR / THRONE) formats, so every benchmark runs on it.

AMBER (`export_amber`): `annotations.json` (entry k at index k−1, as the official code indexes), `query_all.json`,
`query_generative.json`, `query_discriminative.json`, `relation.json`, `safe_words.txt`, `metrics.txt`.
* generative, ids 1..N: "Describe this image."; truth = the shape nouns present, hallu = the shape nouns absent.
  AMBER scores nouns only, so on this world the generative metrics measure shape-level hallucination; colour-level
  hallucination is measured by the discriminative questions and by CHAIR on category bigrams.
* discriminative, in the official id order (attribute first, then existence):
  `discriminative-attribute-state` — "Is the <shape> <colour> in the image?" for a shape in the image, asked once with
  a true colour (yes) and once with a colour no object of that shape has (no);
  `discriminative-hallucination` — "Is there a <category> in the image?" for one present category (yes) and one absent
  category (no; the prior partner of a present category when absent, else a random absent one).
COCO (`export_coco`): `instances_world_<split>.json`, `captions_world_<split>.json` (one ground-truth caption per image)
and `synonyms.txt` (one line per category: "red circle, red circles"); categories are the world's categories. CHAIR on
category bigrams needs the scorer's synonym-bigram option (multi-word synonyms merged like the official double words).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from hero.io import write_json_atomic, write_text_atomic
from hero.world.build import load_annotations, load_world
from hero.world.text import CAPTION_PROMPT, caption, question

AMBER_COUNTERS = [f"{p}_{k}" for p in ("chair", "safe_cover", "hallu_cover", "non_hallu", "qa_correct", "qa_no",
                                        "qa_ans_no", "as_qa_correct", "as_qa_no", "as_qa_ans_no", "an_qa_correct",
                                        "an_qa_no", "an_qa_ans_no", "aa_qa_correct", "aa_qa_no", "aa_qa_ans_no",
                                        "asso_qa_correct", "asso_qa_no", "asso_qa_ans_no", "ha_qa_correct", "ha_qa_no",
                                        "ha_qa_ans_no") for k in ("num", "score")]


def _image_name(row: dict) -> str:
    return os.path.basename(row["file"])


def _attribute_items(row: dict, colours: list[str], rng: random.Random) -> list[tuple[str, str]]:
    by_shape: dict[str, set[str]] = {}
    for o in row["objects"]:
        by_shape.setdefault(o["shape"], set()).add(o["colour"])
    shape = sorted(by_shape)[rng.randrange(len(by_shape))]
    true_colour = sorted(by_shape[shape])[rng.randrange(len(by_shape[shape]))]
    wrong = [c for c in colours if c not in by_shape[shape]]
    items = [(f"Is the {shape} {true_colour} in the image?", "yes")]
    if wrong:
        items.append((f"Is the {shape} {wrong[rng.randrange(len(wrong))]} in the image?", "no"))
    return items


def _existence_items(row: dict, categories: list[str], partners: dict, rng: random.Random) -> list[tuple[str, str]]:
    present = [o["category"] for o in row["objects"]]
    absent_partners = [partners[c][0] for c in present if c in partners and partners[c][0] not in present]
    absent = [c for c in categories if c not in present]
    neg = absent_partners[0] if absent_partners else absent[rng.randrange(len(absent))]
    return [(question(present[rng.randrange(len(present))]), "yes"), (question(neg), "no")]


def export_amber(world_dir: str | os.PathLike, split: str, out_dir: str | os.PathLike, seed: int = 0) -> dict:
    """Write the AMBER-format files for one split; returns {"generative": n, "attribute": n, "existence": n}."""
    cfg, _ = load_world(world_dir)
    rows = load_annotations(world_dir, split)
    rng = random.Random(seed)
    annotations, queries = [], []

    def add(kind: str, image: str, query: str, **fields) -> None:
        k = len(annotations) + 1
        annotations.append({"id": k, "type": kind, **fields})
        queries.append({"id": k, "image": image, "query": query})

    for row in rows:
        shapes = sorted({o["shape"] for o in row["objects"]})
        add("generative", _image_name(row), CAPTION_PROMPT, truth=shapes,
            hallu=[s for s in cfg.shapes if s not in shapes])
    n_gen = len(annotations)
    for row in rows:
        for q, label in _attribute_items(row, cfg.colours, rng):
            add("discriminative-attribute-state", _image_name(row), q, truth=label)
    n_attr = len(annotations) - n_gen
    partners = cfg.partner_of()
    for row in rows:
        for q, label in _existence_items(row, cfg.categories, partners, rng):
            add("discriminative-hallucination", _image_name(row), q, truth=label)
    out = Path(out_dir)
    write_json_atomic(out / "annotations.json", annotations)
    write_json_atomic(out / "query_all.json", queries)
    write_json_atomic(out / "query_generative.json", queries[:n_gen])
    write_json_atomic(out / "query_discriminative.json", queries[n_gen:])
    write_json_atomic(out / "relation.json", {s: [] for s in cfg.shapes})
    write_text_atomic(out / "safe_words.txt", "")
    write_text_atomic(out / "metrics.txt", "\n".join(f"{k}={'0.001' if k.endswith('_num') else '0'}"
                                                     for k in AMBER_COUNTERS))
    return {"generative": n_gen, "attribute": n_attr, "existence": len(annotations) - n_gen - n_attr}


def export_coco(world_dir: str | os.PathLike, split: str, out_dir: str | os.PathLike) -> dict:
    """Write COCO instances + captions + a synonyms file for one split; returns file paths."""
    cfg, _ = load_world(world_dir)
    rows = load_annotations(world_dir, split)
    cat_id = {c: i + 1 for i, c in enumerate(cfg.categories)}
    images, anns, caps = [], [], []
    for image_id, row in enumerate(rows, start=1):
        images.append({"id": image_id, "file_name": _image_name(row), "width": cfg.image_size,
                       "height": cfg.image_size})
        for o in row["objects"]:
            x0, y0, x1, y1 = o["bbox"]
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cat_id[o["category"]],
                         "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0), "iscrowd": 0})
        caps.append({"id": image_id, "image_id": image_id, "caption": caption([o["category"] for o in row["objects"]])})
    categories = [{"id": i, "name": c, "supercategory": c.split(" ")[1]} for c, i in cat_id.items()]
    out = Path(out_dir)
    paths = {"instances": out / f"instances_world_{split}.json", "captions": out / f"captions_world_{split}.json",
             "synonyms": out / "synonyms.txt"}
    write_json_atomic(paths["instances"], {"images": images, "annotations": anns, "categories": categories}, indent=None)
    write_json_atomic(paths["captions"], {"images": images, "annotations": caps}, indent=None)
    write_text_atomic(paths["synonyms"], "".join(f"{c}, {c}s\n" for c in cfg.categories))
    return {k: str(v) for k, v in paths.items()}
