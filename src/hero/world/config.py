"""Configuration of the embedded image world (`hero world build`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

SHAPES_KNOWN = ("circle", "square", "triangle", "star", "diamond", "cross")
COLOURS_KNOWN = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 90, 230),
    "yellow": (235, 215, 40),
    "purple": (150, 60, 200),
    "orange": (245, 140, 30),
    "white": (240, 240, 240),
    "cyan": (40, 210, 210),
}


def _default_prior() -> list[list]:
    return [
        ["red circle", "blue square", 0.85],
        ["green triangle", "yellow circle", 0.85],
        ["purple square", "red triangle", 0.85],
    ]


@dataclass
class WorldConfig:
    """Everything that defines a world; saved to `world.json` so a build can be reproduced byte for byte."""

    seed: int = 0
    """Global seed. Each split draws from its own seed sequence derived from (seed, split), so splits are disjoint."""
    image_size: int = 64
    """Side of the square RGB canvas in pixels (≥ 16)."""
    colours: list[str] = field(default_factory=lambda: ["red", "green", "blue", "yellow", "purple"])
    """Object colours; names from COLOURS_KNOWN. A category is "<colour> <shape>"."""
    shapes: list[str] = field(default_factory=lambda: ["circle", "square", "triangle"])
    """Object shapes; names from SHAPES_KNOWN."""
    min_objects: int = 1
    """Fewest objects in an image (≥ 1)."""
    max_objects: int = 4
    """Most objects in an image; every object category in an image is distinct."""
    min_size: int = 14
    """Smallest object bounding-box side in pixels."""
    max_size: int = 20
    """Largest object bounding-box side in pixels."""
    min_contrast: float = 1.0
    """Lowest object contrast c in (0, 1]: an object is painted background + c·(colour − background), c drawn
    uniformly from [min_contrast, max_contrast] per object after its layout (1 = the plain colour; equal bounds
    draw nothing, so the default world renders as before this knob existed)."""
    max_contrast: float = 1.0
    """Highest object contrast c (≥ min_contrast, ≤ 1)."""
    max_overlap: float = 0.1
    """Largest allowed intersection area between two objects, as a fraction of the smaller box's area."""
    background: tuple[int, int, int] = field(default=(96, 96, 96), metadata={"cli": False})
    """Background RGB colour (mid grey: Gaussian noise then hides colour in both directions)."""
    prior: list[list] = field(default_factory=_default_prior, metadata={"cli": False})
    """Language prior: [category_a, category_b, p]. Given that an image contains a or b, it contains both with
    probability p. Categories must exist in the world; each category may appear in at most one pair."""
    train_images: int = field(default=2000, metadata={"flag": "--images"})
    """Images in the train split."""
    val_images: int = 500
    """Images in the val split."""
    test_images: int = 500
    """Images in the test split."""

    def __post_init__(self) -> None:
        self.background = tuple(int(v) for v in self.background)
        self.prior = [list(p) for p in self.prior]
        self._validate()

    # -- validation ---------------------------------------------------------------------------------
    def _validate(self) -> None:
        def bad(msg: str) -> None:
            raise ValueError(f"WorldConfig: {msg}")

        if self.seed < 0:
            bad(f"seed={self.seed} must be ≥ 0 (numpy seed sequences take non-negative integers)")
        if self.image_size < 16:
            bad(f"image_size={self.image_size} is too small; use at least 16 pixels")
        for c in self.colours:
            if c not in COLOURS_KNOWN:
                bad(f"unknown colour {c!r}; choose from {sorted(COLOURS_KNOWN)}")
        for s in self.shapes:
            if s not in SHAPES_KNOWN:
                bad(f"unknown shape {s!r}; choose from {list(SHAPES_KNOWN)}")
        if len(set(self.colours)) != len(self.colours) or len(set(self.shapes)) != len(self.shapes):
            bad("colours and shapes must not repeat")
        if not 1 <= self.min_objects <= self.max_objects:
            bad(f"need 1 ≤ min_objects ≤ max_objects, got {self.min_objects}, {self.max_objects}")
        if self.max_objects > len(self.categories):
            bad(f"max_objects={self.max_objects} exceeds the {len(self.categories)} distinct categories; "
                "lower max_objects or add colours/shapes")
        if not 4 <= self.min_size <= self.max_size:
            bad(f"need 4 ≤ min_size ≤ max_size, got {self.min_size}, {self.max_size}")
        if self.max_size > self.image_size:
            bad(f"max_size={self.max_size} exceeds image_size={self.image_size}")
        if not 0.0 < self.min_contrast <= self.max_contrast <= 1.0:
            bad(f"need 0 < min_contrast ≤ max_contrast ≤ 1, got {self.min_contrast}, {self.max_contrast} "
                "(1 = full colour; e.g. min_contrast=0.3 max_contrast=1)")
        if not 0.0 <= self.max_overlap < 1.0:
            bad(f"max_overlap={self.max_overlap} must be in [0, 1)")
        # Room check: the largest objects must fit with the allowed overlap, with slack for random placement.
        need = self.max_objects * self.max_size**2 * (1.0 - self.max_overlap)
        if need > 0.5 * self.image_size**2:
            bad(f"{self.max_objects} objects of side {self.max_size} do not fit reliably on a "
                f"{self.image_size}x{self.image_size} canvas (they would cover {need / self.image_size**2:.0%}, "
                "limit 50%); lower max_objects or max_size, or raise image_size")
        if len(self.background) != 3 or not all(0 <= v <= 255 for v in self.background):
            bad(f"background={self.background} must be three integers in 0..255")
        self._validate_prior()
        for name in ("train_images", "val_images", "test_images"):
            if getattr(self, name) < 0:
                bad(f"{name} must be ≥ 0")

    def _validate_prior(self) -> None:
        cats = set(self.categories)
        seen: set[str] = set()
        for i, entry in enumerate(self.prior):
            if len(entry) != 3:
                raise ValueError(f"WorldConfig: prior[{i}]={entry} must be [category_a, category_b, p]")
            a, b, p = entry
            for c in (a, b):
                if c not in cats:
                    raise ValueError(f"WorldConfig: prior[{i}] names unknown category {c!r}; categories are "
                                     f"'<colour> <shape>' from colours={self.colours} and shapes={self.shapes}")
                if c in seen:
                    raise ValueError(f"WorldConfig: category {c!r} appears in more than one prior pair; "
                                     "give each category at most one partner")
                seen.add(c)
            if a == b:
                raise ValueError(f"WorldConfig: prior[{i}] pairs {a!r} with itself")
            if not 0.0 <= float(p) <= 1.0:
                raise ValueError(f"WorldConfig: prior[{i}] probability {p} must be in [0, 1]")
        if self.prior and self.max_objects < 2:
            raise ValueError("WorldConfig: a co-occurrence prior needs max_objects ≥ 2; set prior=[] or raise max_objects")

    # -- derived --------------------------------------------------------------------------------------
    @property
    def categories(self) -> list[str]:
        """All categories "<colour> <shape>", colour-major order."""
        return [f"{c} {s}" for c in self.colours for s in self.shapes]

    def partner_of(self) -> dict[str, tuple[str, float]]:
        """Category → (partner, p) for every category in a prior pair (both directions)."""
        out: dict[str, tuple[str, float]] = {}
        for a, b, p in self.prior:
            out[a] = (b, float(p))
            out[b] = (a, float(p))
        return out

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["background"] = list(self.background)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "WorldConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"WorldConfig: unknown field(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)

    @classmethod
    def from_json(cls, path) -> "WorldConfig":
        from hero.io import InputError, read_json

        d = read_json(path)
        if not isinstance(d, dict):
            raise InputError(f"{path}: expected a JSON object of world settings (as world.json holds)")
        return cls.from_dict(d.get("config", d))
