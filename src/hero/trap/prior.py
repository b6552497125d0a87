"""Prior tags of `hero trap` questions (does the world's co-occurrence prior predict the answer?) and the
prior-balanced question set (`hero trap --prior-balance`).

The rule (`prior_tag`): the world's prior pairs categories [a, b, p] (WorldConfig.prior; `partner_of` maps each
side to the other). For a question about category c in an image:
* c is in a prior pair and c's partner is present in the image → the prior predicts "c present":
  ``consistent`` when c is present (label yes), ``violating`` when c is absent (label no);
* otherwise (c in no pair, or its partner absent from the image) → ``none``.

Which questions are tagged: those whose --images folder is a split of a built world (`hero world build`:
``WORLD/<split>/images`` with ``WORLD/<split>/annotations.jsonl`` and ``WORLD/world.json``) and whose text names one
of the world's categories ("Is there a red circle in the image?"; or a "category" field). Every other question
(another image folder, a text naming no category, an image without annotations) is ``none``.

The prior-balanced set (`balanced_indices`): k = min(#consistent, #violating) questions of each tag, drawn without
replacement by the seed, kept in question-file order; ``none`` questions are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hero.world.priortags import PRIOR_TAGS, balanced_indices, prior_tag  # noqa: F401 (also this module's API)

_ASKED = re.compile(r"^\s*is there an? (.+?) in the image\??\s*$", re.IGNORECASE)


def question_category(text: str, categories: Sequence[str]) -> str | None:
    """The category a POPE question asks about: 'Is there a red circle in the image?' → 'red circle' when it is
    one of `categories` (case-insensitive), else None."""
    m = _ASKED.match(text or "")
    if not m:
        return None
    name = m.group(1).strip().lower()
    return next((c for c in categories if c.lower() == name), None)


def world_of(images: str | Path) -> tuple[dict[str, str], dict[str, set[str]], list[str]] | None:
    """(partner of each paired category, image file name → its categories, all categories) when `images` is the
    images/ folder of a built world's split; None otherwise."""
    from hero.io import read_jsonl
    from hero.world import load_world

    split = Path(images).resolve().parent
    world = split.parent
    if Path(images).resolve().name != "images" or not (split / "annotations.jsonl").is_file() \
            or not (world / "world.json").is_file():
        return None
    cfg, meta = load_world(world)
    partners = {c: partner for c, (partner, _p) in cfg.partner_of().items()}
    present = {Path(r["file"]).name: {o["category"] for o in r["objects"]}
               for r in read_jsonl(split / "annotations.jsonl")}
    return partners, present, list(meta.get("categories") or cfg.categories)


def tag_questions(questions: Sequence[dict], images: str | Path) -> dict[str, int]:
    """Set q["prior"] (PRIOR_TAGS) on every question (module docstring: who is tagged); return the tag counts."""
    world = world_of(images)
    counts = dict.fromkeys(PRIOR_TAGS, 0)
    for q in questions:
        tag = "none"
        if world is not None:
            partners, present, categories = world
            cat = q.get("category") if q.get("category") in categories else question_category(q["text"], categories)
            if Path(q["image"]).name in present:
                tag = prior_tag(cat, present[Path(q["image"]).name], partners)
        q["prior"] = tag
        counts[tag] += 1
    return counts


def by_prior(tags: Sequence[str], correct: np.ndarray, entropy: np.ndarray, threshold: float) -> dict[str, dict]:
    """Per prior tag (PRIOR_TAGS, all three always present): n, accuracy, and the confident bin (entropy ≤
    threshold, as the group's "trap" record): its count, its share of the tag's samples and its accuracy. Undefined
    values (no sample) are None. (N,) tags, (N,) bool, (N,) nats →
    {tag: {"n", "accuracy", "trap": {"count", "share", "accuracy"}}}."""
    t = np.asarray(tags, dtype=object)
    ok, h = np.asarray(correct, dtype=bool), np.asarray(entropy, dtype=float)
    out = {}
    for tag in PRIOR_TAGS:
        sel = t == tag  # (N,)
        conf = sel & (h <= threshold)  # (N,)
        n, n_conf = int(sel.sum()), int(conf.sum())
        out[tag] = {"n": n, "accuracy": float(ok[sel].mean()) if n else None,
                    "trap": {"count": n_conf, "share": n_conf / n if n else None,
                             "accuracy": float(ok[conf].mean()) if n_conf else None}}
    return out
