"""Sampling and drawing one scene of the embedded world. Pure functions of (config, rng)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from hero.world.config import COLOURS_KNOWN, WorldConfig

MAX_PLACEMENT_TRIES = 200


@dataclass(frozen=True)
class WorldObject:
    """One object: category = "<colour> <shape>", bbox = [x0, y0, x1, y1) in pixels, size = bbox side, contrast =
    how far its paint goes from the background toward its colour (1 = the plain colour; see WorldConfig)."""

    colour: str
    shape: str
    bbox: tuple[int, int, int, int]
    contrast: float = 1.0

    @property
    def category(self) -> str:
        return f"{self.colour} {self.shape}"

    @property
    def size(self) -> int:
        return self.bbox[2] - self.bbox[0]

    def fill(self, background: tuple[int, int, int]) -> tuple[int, int, int]:
        """The RGB paint: background + contrast · (colour − background), rounded; the colour itself at contrast 1."""
        rgb = COLOURS_KNOWN[self.colour]
        if self.contrast == 1.0:
            return rgb
        return tuple(int(round(b + self.contrast * (v - b))) for v, b in zip(rgb, background))  # type: ignore

    def to_dict(self) -> dict:
        """Annotation record; "contrast" only when below 1, so full-contrast worlds annotate as before the knob."""
        d = {"category": self.category, "shape": self.shape, "colour": self.colour,
             "bbox": list(self.bbox), "size": self.size}
        if self.contrast != 1.0:
            d["contrast"] = self.contrast
        return d


def sample_categories(cfg: WorldConfig, rng: np.random.Generator) -> list[str]:
    """Draw the distinct categories of one image, honouring the co-occurrence prior.

    n ~ U{min_objects..max_objects}. Categories are drawn uniformly among those still allowed. When a category of
    a prior pair (a, b, p) is drawn, its partner is added with probability p and otherwise excluded, so
    P(both | either) = p exactly. A pair member is only drawable when there is room for its partner (a slot left,
    or n may still grow to max_objects).
    """
    cats = cfg.categories
    partners = cfg.partner_of()
    n = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    present: list[str] = []
    excluded: set[str] = set()
    while len(present) < n:
        no_room = n - len(present) == 1 and n == cfg.max_objects
        cands = [c for c in cats if c not in present and c not in excluded and not (no_room and c in partners)]
        if not cands:
            break
        c = cands[int(rng.integers(len(cands)))]
        present.append(c)
        if c in partners:
            partner, p = partners[c]
            if rng.random() < p:
                if len(present) == n:
                    n += 1
                present.append(partner)
            else:
                excluded.add(partner)
    return present


def _overlap_ok(box: tuple[int, int, int, int], others: list[tuple[int, int, int, int]], max_overlap: float) -> bool:
    x0, y0, x1, y1 = box
    for a0, b0, a1, b1 in others:
        iw = min(x1, a1) - max(x0, a0)
        ih = min(y1, b1) - max(y0, b0)
        if iw > 0 and ih > 0:
            smaller = min((x1 - x0) * (y1 - y0), (a1 - a0) * (b1 - b0))
            if iw * ih > max_overlap * smaller:
                return False
    return True


def place_objects(cfg: WorldConfig, categories: list[str], rng: np.random.Generator) -> list[WorldObject]:
    """Give each category a size and a non-overlapping position; objects returned left to right (by centre x)."""
    for _ in range(MAX_PLACEMENT_TRIES):
        boxes: list[tuple[int, int, int, int]] = []
        for _c in categories:
            for _try in range(MAX_PLACEMENT_TRIES):
                s = int(rng.integers(cfg.min_size, cfg.max_size + 1))
                x0 = int(rng.integers(0, cfg.image_size - s + 1))
                y0 = int(rng.integers(0, cfg.image_size - s + 1))
                box = (x0, y0, x0 + s, y0 + s)
                if _overlap_ok(box, boxes, cfg.max_overlap):
                    boxes.append(box)
                    break
            else:
                break  # restart the whole layout
        if len(boxes) == len(categories):
            contrasts = draw_contrasts(cfg, len(boxes), rng)
            objs = [WorldObject(c.split(" ")[0], c.split(" ")[1], b, k)
                    for c, b, k in zip(categories, boxes, contrasts)]
            return sorted(objs, key=lambda o: (o.bbox[0] + o.bbox[2], o.bbox[1]))
    raise RuntimeError(f"could not place {len(categories)} objects without overlap on a {cfg.image_size}px canvas; "
                       "lower max_objects/max_size or raise max_overlap")


def draw_contrasts(cfg: WorldConfig, n: int, rng: np.random.Generator) -> list[float]:
    """n object contrasts ~ U[min_contrast, max_contrast], rounded to 3 decimals (the annotation holds the value the
    paint is computed from). Equal bounds draw nothing from `rng`: the default world's scenes stay as they were."""
    if cfg.min_contrast == cfg.max_contrast:
        return [float(cfg.min_contrast)] * n
    return [round(float(v), 3) for v in rng.uniform(cfg.min_contrast, cfg.max_contrast, size=n)]


def _star(x0: float, y0: float, x1: float, y1: float, points: int = 5) -> list[tuple[float, float]]:
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
    out = []
    for k in range(2 * points):
        rad = r if k % 2 == 0 else r * 0.45
        ang = -math.pi / 2 + k * math.pi / points
        out.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
    return out


def draw_object(draw: ImageDraw.ImageDraw, obj: WorldObject, fill: tuple[int, int, int] | None = None) -> None:
    """Draw one filled shape inside its bbox (PIL's inclusive corner convention: x1-1, y1-1) in `fill` (default: the
    object's plain colour)."""
    x0, y0, x1, y1 = obj.bbox
    x1, y1 = x1 - 1, y1 - 1
    fill = COLOURS_KNOWN[obj.colour] if fill is None else fill
    if obj.shape == "circle":
        draw.ellipse((x0, y0, x1, y1), fill=fill)
    elif obj.shape == "square":
        draw.rectangle((x0, y0, x1, y1), fill=fill)
    elif obj.shape == "triangle":
        draw.polygon([((x0 + x1) / 2, y0), (x0, y1), (x1, y1)], fill=fill)
    elif obj.shape == "diamond":
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        draw.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=fill)
    elif obj.shape == "star":
        draw.polygon(_star(x0, y0, x1, y1), fill=fill)
    elif obj.shape == "cross":
        w = max(2, (x1 - x0) // 3)
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        draw.rectangle((cx - w // 2, y0, cx - w // 2 + w - 1, y1), fill=fill)
        draw.rectangle((x0, cy - w // 2, x1, cy - w // 2 + w - 1), fill=fill)
    else:  # pragma: no cover - config validation forbids it
        raise ValueError(f"unknown shape {obj.shape!r}")


def object_mask(obj: WorldObject, image_size: int) -> np.ndarray:
    """(H, W) bool: the pixels `draw_object` paints for this object on an image_size² canvas (drawn on a canvas of
    the object's box only, then placed: shapes never leave their box)."""
    x0, y0, x1, y1 = obj.bbox
    local = Image.new("RGB", (x1 - x0, y1 - y0), (0, 0, 0))
    box = WorldObject(obj.colour, obj.shape, (0, 0, x1 - x0, y1 - y0))
    draw_object(ImageDraw.Draw(local), box, (255, 255, 255))
    mask = np.zeros((image_size, image_size), bool)  # (H, W)
    mask[y0:y1, x0:x1] = np.asarray(local).any(-1)
    return mask


def render(cfg: WorldConfig, objects: list[WorldObject]) -> Image.Image:
    """Draw a scene as an RGB PIL image of cfg.image_size² pixels."""
    img = Image.new("RGB", (cfg.image_size, cfg.image_size), tuple(cfg.background))
    draw = ImageDraw.Draw(img)
    for obj in objects:
        draw_object(draw, obj, obj.fill(cfg.background))
    return img


def image_rng(seed: int, split_index: int, index: int) -> np.random.Generator:
    """Independent generator per (global seed, split, image index): images never depend on each other."""
    return np.random.default_rng([seed, split_index, index])


def sample_scene(cfg: WorldConfig, rng: np.random.Generator) -> list[WorldObject]:
    """Categories then layout of one scene."""
    return place_objects(cfg, sample_categories(cfg, rng), rng)
