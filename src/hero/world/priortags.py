"""The prior tag of a question about a category in a world scene, and the 50/50 prior-balanced draw — pure rules
over a scene's categories, shared by `hero trap` (hero.trap.prior, which documents the rule) and `hero world
priorset`."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

PRIOR_TAGS = ("consistent", "violating", "none")


def prior_tag(category: str | None, present: set[str] | frozenset[str], partners: Mapping[str, str]) -> str:
    """The prior tag of a question about `category` in an image holding the categories `present` (the rule:
    hero.trap.prior's docstring).
    partners {"red circle": "blue square", "blue square": "red circle"}: "red circle" with present {"blue square",
    "red circle"} → consistent; with present {"blue square"} → violating; with present {"red circle"} → none."""
    partner = partners.get(category) if category is not None else None
    if partner is None or partner not in present:
        return "none"
    return "consistent" if category in present else "violating"


def balanced_indices(tags: Sequence[str], seed: int, cap: int | None = None) -> list[int]:
    """Indices of a 50/50 prior-balanced subset: k = min(#consistent, #violating, cap) of each tag, drawn with
    random.Random(seed).sample, returned sorted (file order). tags [c, v, c, n, c] → k = 1: the one violating
    index 1 plus one of the consistent indices 0, 2, 4."""
    cons = [i for i, t in enumerate(tags) if t == "consistent"]
    viol = [i for i, t in enumerate(tags) if t == "violating"]
    k = min(len(cons), len(viol), len(tags) if cap is None else cap)
    rng = random.Random(seed)
    return sorted(rng.sample(cons, k) + rng.sample(viol, k))
