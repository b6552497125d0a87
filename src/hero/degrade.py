"""Image degradation applied to uint8 pixels before any model preprocessing.

Ops (spec strings "op:level"):
* ``noise:σ``   — Gaussian noise, x' = clip(round(x + N(0, σ²)), 0, 255), σ on the 0–255 scale (paper: 0/30/50);
* ``blur:r``    — Gaussian blur of radius r pixels (PIL);
* ``down:f``    — downsample by an integer factor f (box filter) then upsample back (bilinear);
* ``occlude:q`` — a random axis-aligned rectangle covering a fraction q of the image is set to mid-grey (128).
Randomness is seeded by (global seed, image id, op, level) through SHA-256, so an image's degraded version never
depends on batch order, batch size or worker count. Level 0 (or ``none``) returns the image unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from hero import seeding

OPS = ("noise", "blur", "down", "occlude")


@dataclass(frozen=True)
class DegradeSpec:
    """One degradation: `op` in OPS and its `level` (σ, radius, factor or fraction)."""

    op: str
    level: float

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown degradation {self.op!r}; choose from {OPS} (e.g. 'noise:30')")
        if self.level < 0:
            raise ValueError(f"degradation level must be ≥ 0, got {self.op}:{self.level}")
        if self.op == "down" and self.level != 0 and (self.level < 1 or self.level != int(self.level)):
            raise ValueError(f"down factor must be an integer ≥ 1, got {self.level}")
        if self.op == "occlude" and self.level > 1:
            raise ValueError(f"occlude fraction must be in [0, 1], got {self.level}")

    @classmethod
    def parse(cls, text: str | float | int) -> "DegradeSpec":
        """'noise:30' → DegradeSpec('noise', 30.0); a bare number means Gaussian noise σ; 'none' → noise:0."""
        if isinstance(text, (int, float)):
            return cls("noise", float(text))
        text = text.strip()
        if text in ("", "none", "clean"):
            return cls("noise", 0.0)
        op, _, level = text.partition(":")
        if not level:
            try:
                return cls("noise", float(op))
            except ValueError:
                raise ValueError(f"bad degradation {text!r}; write 'op:level', e.g. 'noise:30' or 'blur:1.5'") from None
        try:
            return cls(op, float(level))
        except ValueError as e:
            if "could not convert" in str(e):
                raise ValueError(f"bad level in {text!r}; write a number, e.g. 'noise:30'") from None
            raise

    @property
    def is_identity(self) -> bool:
        return self.level == 0 or (self.op == "down" and self.level == 1)

    def __str__(self) -> str:
        return f"{self.op}:{self.level:g}"


def derive_seed(seed: int, image_id: str, op: str, level: float) -> int:
    """64-bit seed from (global seed, image id, op, level); stable across processes and Python versions."""
    return seeding.derive_seed(int(seed), image_id, op, repr(float(level)), bits=64)


def gaussian_noise(pixels: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """x' = clip(round(x + N(0, σ²)), 0, 255) on a uint8 array of any shape; returns uint8 of the same shape."""
    if sigma == 0:
        return pixels.copy()
    noisy = pixels.astype(np.float64) + rng.normal(0.0, sigma, size=pixels.shape)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def occlude(pixels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Grey out one random rectangle with the image's aspect ratio covering ≈ `fraction` of the (H, W, C) image."""
    out = pixels.copy()
    if fraction == 0:
        return out
    h, w = pixels.shape[:2]
    rh, rw = max(1, round(h * fraction**0.5)), max(1, round(w * fraction**0.5))
    y0 = int(rng.integers(0, h - rh + 1))
    x0 = int(rng.integers(0, w - rw + 1))
    out[y0:y0 + rh, x0:x0 + rw] = 128
    return out


def apply(image: Image.Image, spec: DegradeSpec | str | float, seed: int = 0, image_id: str = "") -> Image.Image:
    """Degrade a PIL image (converted to RGB) according to `spec`; deterministic in (seed, image_id, spec)."""
    if not isinstance(spec, DegradeSpec):
        spec = DegradeSpec.parse(spec)
    image = image.convert("RGB")
    if spec.is_identity:
        return image.copy()
    if spec.op == "blur":
        return image.filter(ImageFilter.GaussianBlur(radius=spec.level))
    if spec.op == "down":
        f = int(spec.level)
        w, h = image.size
        small = image.resize((max(1, w // f), max(1, h // f)), Image.Resampling.BOX)
        return small.resize((w, h), Image.Resampling.BILINEAR)
    rng = np.random.default_rng(derive_seed(seed, image_id, spec.op, spec.level))
    pixels = np.asarray(image, dtype=np.uint8)  # (H, W, 3)
    fn = gaussian_noise if spec.op == "noise" else occlude
    return Image.fromarray(fn(pixels, spec.level, rng), mode="RGB")


def parse_list(text: str) -> list[DegradeSpec]:
    """'0,30,50' → three noise specs; 'noise:30,blur:2' → mixed. Errors say what to write."""
    items = [t for t in (s.strip() for s in text.split(",")) if t]
    if not items:
        raise ValueError(f"empty degradation list {text!r}; write e.g. '0,30,50'")
    return [DegradeSpec.parse(t) for t in items]
