"""A prior-balanced trap question set: `hero world priorset` (issue 13's "trap question set split 50/50 into
prior-consistent and prior-violating items").

A world's own POPE files hold few prior-violating questions (an image with one side of a prior pair and not the
other is rare when p is high), so the set is drawn from fresh images of the same world: N scenes rendered with the
world's generator from their own seed sequence (split index PRIORSET_INDEX, disjoint from train / val / test) into
WORLD/<name>/ (images/, annotations.jsonl — a split folder `hero trap` tags by prior, hero.trap.prior). Candidates
(`prior_candidates`): for every image and every paired category c whose prior partner is in the image, the
question "Is there a c in the image?" — consistent (c present, label yes) or violating (c absent, label no: the
prior says yes, the image says no). The set: k = min(questions / 2, #consistent, #violating) of each, drawn by the
seed, at most one question per (image, category); written as official POPE lines in WORLD/<name>/prior_questions.json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hero.io import InputError, staged_folder, write_json_atomic

PRIORSET_INDEX = 3
"""image_rng split index of prior-set images (train / val / test are 0 / 1 / 2)."""
QUESTIONS_FILE = "prior_questions.json"


@dataclass
class WorldPriorSetConfig:
    """`hero world priorset`: fresh images of a built world and a 50/50 prior-consistent / prior-violating question
    set on them (hero.world.priorset)."""

    world: str
    """A built world folder (its world.json gives the generator and the prior pairs)."""
    name: str = "prior"
    """Folder under the world for the images, annotations.jsonl and prior_questions.json (not train / val / test)."""
    images: int = 3000
    """Fresh scenes to render (more images → more prior-violating candidates; they are rare when p is high)."""
    questions: int = 600
    """Questions in the set, half consistent and half violating (fewer when candidates run short; the summary says)."""
    seed: int = 0
    """Seed of the question sampling (the images follow the world's seed)."""

    def __post_init__(self) -> None:
        if self.name in ("train", "val", "test") or not self.name or "/" in self.name:
            raise ValueError(f"--name {self.name!r}: give a new folder name (not train / val / test), e.g. 'prior'")
        if self.images < 1:
            raise ValueError(f"--images {self.images}: must be ≥ 1")
        if self.questions < 2 or self.questions % 2:
            raise ValueError(f"--questions {self.questions}: must be an even number ≥ 2 (half of each tag)")


def prior_candidates(rows: Sequence[dict], partners: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(image file name, category, tag) for every paired category whose partner is in the image, in row order; tag
    = hero.world.priortags.prior_tag ("consistent": present, "violating": absent). partners {"a": "b", "b": "a"}: a row
    with objects {a} gives [(img, "b", "violating")]; {a, b} gives [(img, "a", "consistent"), (img, "b",
    "consistent")]; {c} gives []."""
    from hero.world.priortags import prior_tag

    out = []
    for r in rows:
        present = {o["category"] for o in r["objects"]}
        tags = ((cat, prior_tag(cat, present, partners)) for cat in sorted(partners))
        out += [(Path(r["file"]).name, cat, tag) for cat, tag in tags if tag != "none"]
    return out


def balanced_set(candidates: Sequence[tuple[str, str, str]], half: int, seed: int) -> list[tuple[str, str, str]]:
    """hero.world.priortags.balanced_indices over the candidates' tags, at most `half` of each: k = min(half,
    #consistent, #violating), in candidate order."""
    from hero.world.priortags import balanced_indices

    return [candidates[i] for i in balanced_indices([c[2] for c in candidates], seed, cap=half)]


def build_priorset(cfg: WorldPriorSetConfig) -> dict:
    """Render the images, draw the balanced set, write WORLD/<name>/ atomically; returns the summary
    (also written as WORLD/<name>/priorset.json)."""
    from hero.official.pope import make_question
    from hero.world.build import load_world, render_rows

    wcfg, _ = load_world(cfg.world)
    partners = {c: p for c, (p, _) in wcfg.partner_of().items()}
    if not partners:
        raise InputError(f"{cfg.world}/world.json: the world has no prior pairs (`prior` is empty), so no question "
                         "is prior-consistent or prior-violating; build a world with a prior (e.g. --preset trap)")
    out = Path(cfg.world) / cfg.name
    with staged_folder(out, last=QUESTIONS_FILE) as tmp:
        rows = render_rows(wcfg, PRIORSET_INDEX, cfg.name, cfg.images, tmp)
        cands = prior_candidates(rows, partners)
        chosen = balanced_set(cands, cfg.questions // 2, cfg.seed)
        if not chosen:
            raise InputError(f"{cfg.world}: {cfg.images} images gave no prior-violating or no prior-consistent "
                             "candidate; render more (--images)")
        lines = [make_question(i + 1, img, cat, "yes" if tag == "consistent" else "no")
                 for i, (img, cat, tag) in enumerate(chosen)]
        (tmp / QUESTIONS_FILE).write_text("".join(json.dumps(q) + "\n" for q in lines), encoding="utf-8")
        summary = {"world": str(cfg.world), "name": cfg.name, "images": cfg.images, "seed": cfg.seed,
                   "candidates": {t: sum(c[2] == t for c in cands) for t in ("consistent", "violating")},
                   "questions": len(lines), "per_tag": len(lines) // 2,
                   "questions_file": str(out / QUESTIONS_FILE), "images_folder": str(out / "images")}
        write_json_atomic(tmp / "priorset.json", summary)
    return summary
