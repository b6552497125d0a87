"""(premise, claim, label) pairs for training the world's NLI cross-encoder (`hero train nli`).

Premise: the ground-truth description of a scene, `hero.world.text.caption(categories)` —
"There is a red circle and a blue square." — read under the **closed-world** assumption: it lists every object
of the scene, so an object it does not list is absent.

Claims are written exactly as `hero.rewards.nli.NLIReward` hands them to the model: one sentence with its end mark
stripped (`split_claims("There is a red circle.")` → "There is a red circle"). Five kinds, labelled from the
set P of categories in the scene (labels: entailment, neutral, contradiction):

| kind       | claim                                                    | label                                     |
| ---------- | -------------------------------------------------------- | ----------------------------------------- |
| exists     | "There is a red circle", "I see a red circle and a blue  | entailment if all are in P, else          |
|            | square" (1–3 objects)                                    | contradiction                             |
| not_exists | "There is no red circle"                                 | contradiction if in P, else entailment    |
| attribute  | "The red circle is large", "… is at the top"             | neutral if in P, else contradiction       |
| relation   | "The red circle is above the blue square"                | neutral if both are in P, else contradiction |

The **neutral** class is what the description cannot decide: it names objects but never their size or position,
so a size/position claim about a listed object is neither entailed nor contradicted. Such a claim also presupposes
that its objects exist; under the closed world an unlisted object does not, so the same claim about an absent
object is a contradiction — the model has to check the objects for every kind, not just spot a template.
Left/right claims are left out on purpose: captions list objects left to right, so they would be decidable from
the word order. Kinds outside the world's vocabulary ("There is a dog") are left out too: under the closed world
they would be contradictions, while a reader might call them undecidable, so they have no honest single label.

Sampling is class-balanced: a label is drawn uniformly, then a kind that can yield it for this scene, then its
objects. All functions here are pure over category lists and a `random.Random`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from hero.world.text import article, caption

LABELS = ("entailment", "neutral", "contradiction")
"""Label names by class id: the saved model's `id2label` (what `hero.rewards.nli.label_indices` maps)."""
ENT, NEU, CON = 0, 1, 2
ATTRIBUTES = ("large", "small", "big", "tiny", "at the top", "at the bottom", "in the middle", "in a corner")
"""Properties of one object the caption never states (size, vertical position)."""
RELATIONS = ("above", "below", "next to", "bigger than", "smaller than", "as big as")
"""Relations between two objects the caption never states."""
PREFIXES = ("There is", "I see")
"""Openings of an existence claim (a caption's and the chain-of-thought's)."""
MAX_LISTED = 3
"""Most objects one existence claim lists."""


@dataclass(frozen=True)
class Claim:
    """A claim before rendering: kind (exists / not_exists / attribute / relation), its categories in order, and
    the prefix (exists) or the attribute / relation words."""

    kind: str
    categories: tuple[str, ...]
    words: str = "There is"

    def text(self) -> str:
        """The claim as the reward sees it (no end mark)."""
        cats = self.categories
        if self.kind == "exists":
            listed = [f"{article(c)} {c}" for c in cats]
            body = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
            return f"{self.words} {body}"
        if self.kind == "not_exists":
            return f"There is no {cats[0]}"
        if self.kind == "attribute":
            return f"The {cats[0]} is {self.words}"
        if self.kind == "relation":
            return f"The {cats[0]} is {self.words} the {cats[1]}"
        raise ValueError(f"unknown claim kind {self.kind!r}; use exists, not_exists, attribute or relation")


def premise(categories: Sequence[str]) -> str:
    """The reference description of a scene: its caption (objects in annotation order)."""
    return caption(list(categories))


def label_claim(present: Sequence[str] | set[str], claim: Claim) -> int:
    """Class id of `claim` given the categories present in the scene (closed world; see the module table)."""
    inside = [c in set(present) for c in claim.categories]
    if claim.kind == "exists":
        return ENT if all(inside) else CON
    if claim.kind == "not_exists":
        return CON if inside[0] else ENT
    if claim.kind in ("attribute", "relation"):
        return NEU if all(inside) else CON
    raise ValueError(f"unknown claim kind {claim.kind!r}; use exists, not_exists, attribute or relation")


def _pick(rng: random.Random, items: Sequence[str], k: int) -> tuple[str, ...]:
    return tuple(rng.sample(list(items), k))


def _mixed(rng: random.Random, present: Sequence[str], absent: Sequence[str]) -> tuple[str, ...]:
    """2–3 categories with at least one absent, in random order."""
    k = rng.randint(2, min(MAX_LISTED, len(present) + len(absent)))
    n_absent = rng.randint(1, min(k, len(absent)))
    n_absent = max(n_absent, k - len(present))
    cats = list(_pick(rng, absent, n_absent) + _pick(rng, present, k - n_absent))
    rng.shuffle(cats)
    return tuple(cats)


def _two_with_absent(rng: random.Random, present: Sequence[str], absent: Sequence[str]) -> tuple[str, str]:
    """Two distinct categories, at least one absent, in random order."""
    a = rng.choice(list(absent))
    b = rng.choice([c for c in list(present) + list(absent) if c != a])
    return (a, b) if rng.random() < 0.5 else (b, a)


def claim_options(present: Sequence[str], absent: Sequence[str], label: int) -> list[str]:
    """Recipes that can yield `label` for this scene (each draws a claim in `sample_claim`)."""
    two_p, any_a, two_all = len(present) >= 2, len(absent) >= 1, len(present) + len(absent) >= 2
    if label == ENT:
        return [r for r, ok in (("exists_p", bool(present)), ("exists_pp", two_p), ("not_exists_a", any_a)) if ok]
    if label == NEU:
        return [r for r, ok in (("attribute_p", bool(present)), ("relation_pp", two_p)) if ok]
    if label == CON:
        return [r for r, ok in (("exists_a", any_a), ("exists_mixed", any_a and two_all),
                                ("not_exists_p", bool(present)), ("attribute_a", any_a),
                                ("relation_a", any_a and two_all)) if ok]
    raise ValueError(f"label {label} is not a class id; use 0 (entailment), 1 (neutral) or 2 (contradiction)")


def sample_claim(rng: random.Random, present: Sequence[str], absent: Sequence[str], label: int) -> Claim:
    """A claim of class `label` about a scene with `present` categories (`absent` = the world's others)."""
    options = claim_options(present, absent, label)
    if not options:
        raise ValueError(f"no claim of class {LABELS[label]!r} exists for a scene with objects {list(present)}; "
                         "scenes need at least one object (WorldConfig.min_objects ≥ 1)")
    recipe = rng.choice(options)
    prefix = rng.choice(PREFIXES)
    if recipe == "exists_p":
        return Claim("exists", _pick(rng, present, 1), prefix)
    if recipe == "exists_pp":
        return Claim("exists", _pick(rng, present, rng.randint(2, min(MAX_LISTED, len(present)))), prefix)
    if recipe == "exists_a":
        return Claim("exists", _pick(rng, absent, 1), prefix)
    if recipe == "exists_mixed":
        return Claim("exists", _mixed(rng, present, absent), prefix)
    if recipe in ("not_exists_a", "not_exists_p"):
        return Claim("not_exists", _pick(rng, absent if recipe.endswith("_a") else present, 1))
    if recipe in ("attribute_p", "attribute_a"):
        return Claim("attribute", _pick(rng, present if recipe.endswith("_p") else absent, 1), rng.choice(ATTRIBUTES))
    if recipe == "relation_pp":
        return Claim("relation", _pick(rng, present, 2), rng.choice(RELATIONS))
    return Claim("relation", _two_with_absent(rng, present, absent), rng.choice(RELATIONS))


def scene_pairs(rng: random.Random, scene: Sequence[str], world: Sequence[str], per_label: int = 1
                ) -> list[tuple[str, str, int]]:
    """`per_label` (premise, claim, label) pairs of each class for one scene (its categories in annotation order)
    in a world whose categories are `world`; labels are checked against `label_claim`."""
    absent = [c for c in world if c not in set(scene)]
    out = []
    for label in (ENT, NEU, CON):
        for _ in range(per_label):
            claim = sample_claim(rng, scene, absent, label)
            assert label_claim(scene, claim) == label, (scene, claim)
            out.append((premise(scene), claim.text(), label))
    return out


def pair_stream(scenes: Sequence[Sequence[str]], world: Sequence[str], seed: int):
    """Endless class-balanced pairs: each round visits the scenes in a fresh shuffled order and draws one pair of a
    uniformly drawn class per scene."""
    rng = random.Random(seed)
    order = list(range(len(scenes)))
    if not order:
        raise ValueError("no scenes to draw NLI pairs from; the world's train split is empty (train_images = 0)")
    absent_of = [[c for c in world if c not in set(s)] for s in scenes]
    while True:
        rng.shuffle(order)
        for i in order:
            label = rng.randrange(3)
            yield premise(scenes[i]), sample_claim(rng, scenes[i], absent_of[i], label).text(), label


def heldout_pairs(scenes: Sequence[Sequence[str]], world: Sequence[str], seed: int, per_label: int = 1
                  ) -> list[tuple[str, str, int]]:
    """A fixed, exactly balanced evaluation set: `per_label` pairs of each class for every scene."""
    rng = random.Random(seed)
    return [p for s in scenes for p in scene_pairs(rng, s, world, per_label)]


def annotation_scenes(rows: Sequence[dict]) -> list[list[str]]:
    """Category lists (annotation order) of annotation rows from `hero.world.load_annotations`."""
    return [[o["category"] for o in r["objects"]] for r in rows]


def nli_words(colours: Sequence[str], shapes: Sequence[str]) -> list[str]:
    """Every lower-case word / punctuation token the premises and claims of this world can contain."""
    import re

    from hero.world.text import WORD_RE, vocabulary

    texts = [" ".join(vocabulary(colours, shapes)), " ".join(ATTRIBUTES), " ".join(RELATIONS), " ".join(PREFIXES),
             "There is no The is the nothing , ."]
    return list(dict.fromkeys(w.lower() for t in texts for w in re.findall(WORD_RE, t)))
