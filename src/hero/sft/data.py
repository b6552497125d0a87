"""SFT examples from the embedded world: yes/no existence questions (positives and POPE-style negatives:
random, popular, adversarial, plus colour–shape "binding" negatives) and captions, rendered on the fly.

Scenes are drawn with `hero.world.scene` from an image stream disjoint from the world's train/val/test splits
(`SFT_STREAM`), so the SFT set can be as large as the time budget allows without touching held-out images.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hero.world.config import WorldConfig
from hero.world.scene import image_rng, render, sample_scene
from hero.world.text import CAPTION_PROMPT, answer, caption, cot, question

SFT_STREAM = 100
"""`image_rng(seed, SFT_STREAM, i)` draws SFT scene i; the world's splits use stream indices 0, 1, 2."""
NEGATIVE_KINDS = ("random", "popular", "adversarial", "binding")


@dataclass(frozen=True)
class Example:
    """One SFT example: the image (uint8 H×W×3), the user's text and the assistant's target text; a multi-image
    row of a data file (hero.sft.file_data) adds its other images in `more_images`."""

    image: np.ndarray
    prompt: str
    target: str
    categories: tuple = ()
    """The categories present in the image (for analysis; not shown to the model)."""
    asked: str = ""
    """The category a question asks about ("" for captions)."""
    objects: tuple = ()
    """The scene's objects (WorldObject: category and box) — the source of the per-patch auxiliary target."""
    more_images: tuple = ()
    """The images after the first (uint8 H×W×3 each), in the row's order; the prompt shows every image."""

    @property
    def images(self) -> tuple:
        """Every image of the example, the first one first."""
        return (self.image, *self.more_images)


def world_stats(cfg: WorldConfig, n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Category frequency (C,) and co-occurrence counts (C, C) over n scenes of the SFT stream."""
    cats = cfg.categories
    index = {c: i for i, c in enumerate(cats)}
    freq = np.zeros(len(cats))
    co = np.zeros((len(cats), len(cats)))
    for i in range(n):
        present = [index[o.category] for o in sample_scene(cfg, image_rng(seed, SFT_STREAM + 1, i))]
        freq[present] += 1
        for a in present:
            co[a, present] += 1
    np.fill_diagonal(co, 0)
    return freq, co


def sub_world(cfg: WorldConfig, n_colours: int, n_shapes: int) -> WorldConfig:
    """The world restricted to its first n_colours colours and n_shapes shapes (prior pairs inside it kept)."""
    colours, shapes = cfg.colours[:n_colours], cfg.shapes[:n_shapes]
    cats = {f"{c} {s}" for c in colours for s in shapes}
    prior = [p for p in cfg.prior if p[0] in cats and p[1] in cats]
    n_max = min(cfg.max_objects, len(cats))
    return dataclasses.replace(cfg, colours=list(colours), shapes=list(shapes), prior=prior if n_max >= 2 else [],
                               max_objects=n_max, min_objects=min(cfg.min_objects, n_max))


def _binding_candidates(present: Sequence[str], absent: Sequence[str]) -> list[str]:
    """Absent categories that share a colour or a shape with a present object (need colour–shape binding)."""
    colours = {c.split(" ")[0] for c in present}
    shapes = {c.split(" ")[1] for c in present}
    return [c for c in absent if c.split(" ")[0] in colours or c.split(" ")[1] in shapes]


def pick_negative(kind: str, present: Sequence[str], cats: Sequence[str], freq: np.ndarray, co: np.ndarray,
                  rng: np.random.Generator) -> str:
    """An absent category of the given kind. popular: most frequent absent ones; adversarial: the absent ones
    co-occurring most with the present ones (POPE's definitions); binding: sharing colour or shape."""
    absent = [c for c in cats if c not in present]
    idx = np.array([cats.index(c) for c in absent])
    if kind == "random":
        return absent[int(rng.integers(len(absent)))]
    if kind == "binding":
        cand = _binding_candidates(present, absent) or absent
        return cand[int(rng.integers(len(cand)))]
    if kind == "popular":
        score = freq[idx]
    elif kind == "adversarial":
        score = co[[cats.index(c) for c in present]][:, idx].sum(0)
    else:
        raise ValueError(f"unknown negative kind {kind!r}; choose from {NEGATIVE_KINDS}")
    top = np.flatnonzero(score >= np.sort(score)[-min(3, len(score))])  # POPE samples among the top-k (k=3)
    return absent[int(top[rng.integers(len(top))])]


@dataclass
class ExampleStream:
    """Endless stream of SFT examples of one style ("answer" or "cot")."""

    cfg: WorldConfig
    style: str
    caption_frac: float = 0.25
    """Fraction of examples that are captioning ("Describe this image.") instead of questions."""
    seed: int = 0
    start: int = 0
    """Index of the next scene to draw (saved in checkpoints so a resumed run continues the stream)."""
    paired: bool = True
    """Examples come in pairs on the same scene: a positive and a negative question (or a caption and a question).
    Within a pair the image is identical and only the question changes the answer, so image-only shortcuts
    ("many objects → yes") earn nothing and the gradient pushes the answer to depend on the question."""
    group: int = 2
    """With `paired`: examples per scene (even). Examples g·j … g·j+g−1 share scene j, as g/2 positive/negative
    pairs; the scene is sampled and rendered once for the group."""
    min_objects: int = 0
    """Fewest objects per training scene (0 = the world's min_objects). The POPE splits ask about images with
    ≥ 3 objects, where binding matters most; raising it trains on such crowded scenes only."""
    listing: str = "canonical"
    """Order of objects in captions and CoT: 'canonical' (the world's category order: a listing is then a set,
    one presence decision per category) or 'spatial' (left to right, the annotation order)."""

    def __post_init__(self) -> None:
        if self.style not in ("answer", "cot"):
            raise ValueError(f"style={self.style!r}; use 'answer' or 'cot'")
        if self.listing not in ("canonical", "spatial"):
            raise ValueError(f"listing={self.listing!r}; use 'canonical' or 'spatial'")
        if self.group < 2 or self.group % 2:
            raise ValueError(f"group={self.group}: examples per scene must be even and ≥ 2 (pairs)")
        if not 0.0 <= self.caption_frac < (0.5 if self.paired else 1.0):
            raise ValueError(f"caption_frac={self.caption_frac} must be in [0, 0.5) with paired examples "
                             "(a pair holds at most one caption), [0, 1) otherwise")
        self.cfg = self.full_cfg = self._crowded(self.cfg)
        self.freq, self.co = world_stats(self.cfg, seed=self.seed)
        self._last: tuple = (None,)

    def _crowded(self, cfg: WorldConfig) -> WorldConfig:
        if not self.min_objects:
            return cfg
        return dataclasses.replace(cfg, min_objects=max(cfg.min_objects, min(self.min_objects, cfg.max_objects)))

    def set_stage(self, n_colours: int, n_shapes: int) -> None:
        """Restrict scenes and questions to the first n_colours × n_shapes of the world (a curriculum stage)."""
        self.cfg = sub_world(self.full_cfg, n_colours, n_shapes)  # keeps full_cfg's min_objects (capped at its size)
        self._last = (None,)
        self.freq, self.co = world_stats(self.cfg, seed=self.seed)

    def example(self, i: int) -> Example:
        """Example i of the stream (deterministic in (seed, i)); with `paired`, examples g·j … g·j+g−1 share
        scene j (g = `group`), and examples 2m, 2m+1 of a group form a positive/negative pair."""
        scene, k = divmod(i, self.group) if self.paired else (i, 0)
        if self._last[0] != scene:  # the other examples of a group reuse the scene, its pixels and its rng state
            rng = image_rng(self.seed, SFT_STREAM, scene)
            objects = sample_scene(self.cfg, rng)
            self._last = (scene, objects, np.asarray(render(self.cfg, objects)), rng.bit_generator.state)
        _, objects, image, state = self._last
        if k // 2:  # pairs after the first: their own draws
            rng = np.random.default_rng([self.seed, SFT_STREAM, scene, k // 2])
        else:  # the first pair continues the scene's generator (both examples of it make the same draws)
            rng = np.random.default_rng()
            rng.bit_generator.state = state
        present = [o.category for o in objects]
        return dataclasses.replace(self._example(i, rng, image, present), objects=tuple(objects))

    def _example(self, i: int, rng: np.random.Generator, image: np.ndarray, present: list[str]) -> Example:
        if self.listing == "canonical":
            present = [c for c in self.cfg.categories if c in present]
        if not self.paired:
            if rng.random() < self.caption_frac:
                return Example(image, CAPTION_PROMPT, caption(present), tuple(present))
            return self._question(present, image, rng, positive=rng.random() < 0.5)
        with_caption = rng.random() < 2 * self.caption_frac
        first_positive = rng.random() < 0.5
        if with_caption:
            if (i % 2 == 0) == first_positive:
                return Example(image, CAPTION_PROMPT, caption(present), tuple(present))
            return self._question(present, image, rng, positive=rng.random() < 0.5)
        return self._question(present, image, rng, positive=(i % 2 == 0) == first_positive)

    def _question(self, present: list[str], image: np.ndarray, rng: np.random.Generator, positive: bool) -> Example:
        if positive or len(present) == len(self.cfg.categories):  # nothing absent: ask a positive
            asked = present[int(rng.integers(len(present)))]
        else:
            kind = NEGATIVE_KINDS[int(rng.integers(len(NEGATIVE_KINDS)))]
            asked = pick_negative(kind, present, self.cfg.categories, self.freq, self.co, rng)
        target = answer(present, asked) if self.style == "answer" else cot(present, asked)
        return Example(image, question(asked), target, tuple(present), asked=asked)

    def take(self, n: int) -> list[Example]:
        out = [self.example(i) for i in range(self.start, self.start + n)]
        self.start += n
        return out
