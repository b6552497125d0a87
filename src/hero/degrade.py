"""Image degradation applied to uint8 pixels before any model preprocessing — the one spec language and the one
place every degradation level is validated (trap, eval, scoring and RL training all parse through here).

Spec strings: ``op:level``, composed left to right with ``+``. Built-in ops (registered with `register_op`):
* ``noise:σ``   — Gaussian noise, x' = clip(round(x + N(0, σ²)), 0, 255), σ in [0, 255] on the 0–255 scale;
* ``grain:σ``   — the same per-pixel Gaussian σ, spatially correlated (white noise low-passed by a Gaussian of std
  GRAIN_LENGTH × the shorter image side, rescaled so every pixel's std is exactly σ): like real sensor noise after
  demosaicing / denoising / compression, it does not average out over an object, so colours become confusable;
* ``blur:r``    — Gaussian blur of radius r ≥ 0 pixels (PIL);
* ``down:f``    — downsample by an integer factor f ≥ 1 (box filter) then upsample back (bilinear);
* ``occlude:q`` — a random axis-aligned rectangle covering a fraction q ∈ [0, 1] of the image is set to grey 128.
``noise:30+blur:1`` adds noise, then blurs. A bare number means noise σ (``30`` = ``noise:30``).

Identity: level 0 of every op (and ``down:1``) leaves the image unchanged; identity steps are dropped from a
composition, and the identity itself is written ``none`` (also accepted: ``clean``, ``''``, ``noise:0``, ``0``).
Canonical strings (`str(Degradation)`): levels with ``:g`` (``noise:30``, ``blur:1.5``), steps in the given order.

Families (`Degradation.family`): the ops joined by ``+`` ("noise", "blur", "noise+blur"); the identity's family is
"none" and it belongs to every single-op family as its level-0 point (trend lines include the clean point).

Seeding: each seeded step draws from numpy's generator seeded by `derive_seed(seed, image_id, op, level)` — for a
single noise spec exactly as before this module learned composition — so an image's degraded version never depends
on batch order, batch size or worker count.

New ops: decorate ``fn(image: PIL RGB, level: float, rng: numpy Generator | None) -> PIL image`` with
``@register_op("name", check=..., seeded=...)``; trap, eval and RL training then accept ``name:level``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from hero import seeding

OpFn = Callable[[Image.Image, float, "np.random.Generator | None"], Image.Image]
Check = Callable[[float], "str | None"]


@dataclass(frozen=True)
class Op:
    """A registered degradation: its function, level check (message or None), seeding and identity levels."""

    name: str
    fn: OpFn
    check: Check | None
    seeded: bool
    identity_levels: tuple[float, ...]
    sigma: bool = False


_OPS: dict[str, Op] = {}


def register_op(name: str, check: Check | None = None, seeded: bool = False,
                identity_levels: Sequence[float] = (0.0,), sigma: bool = False) -> Callable[[OpFn], OpFn]:
    """Decorator registering `fn(image, level, rng)` as op `name`. `check(level)` returns None when the level is
    valid, else what a valid level is ("must be in [0, 1]"); levels must also be finite and ≥ 0. `seeded` ops get
    a numpy Generator seeded by (seed, image id, op, level), others rng=None. `sigma`: the level is a per-pixel
    noise σ on the 0–255 scale (`pixel_sigma`). Re-registering a name replaces it."""
    if not name or not name.isidentifier():
        raise ValueError(f"op name {name!r}: use a plain word such as 'invert'")

    def deco(fn: OpFn) -> OpFn:
        _OPS[name] = Op(name, fn, check, seeded, tuple(float(v) for v in identity_levels), sigma)
        return fn

    return deco


def registered_ops() -> tuple[str, ...]:
    """Names of the registered ops, in registration order."""
    return tuple(_OPS)


def get_op(name: str) -> Op:
    if name not in _OPS:
        raise ValueError(f"unknown degradation {name!r}; registered ops: {', '.join(_OPS)} (e.g. 'noise:30')")
    return _OPS[name]


@dataclass(frozen=True)
class DegradeSpec:
    """One degradation step: a registered `op` and its `level` (σ, radius, factor, fraction, ...)."""

    op: str
    level: float

    def __post_init__(self) -> None:
        op = get_op(self.op)
        lvl = self.level
        if not isinstance(lvl, (int, float)) or not math.isfinite(lvl) or lvl < 0:
            raise ValueError(f"degradation level must be a finite number ≥ 0, got {self.op}:{lvl}")
        object.__setattr__(self, "level", float(lvl))
        msg = op.check(self.level) if op.check and not self.is_identity else None
        if msg:
            raise ValueError(f"{self}: {self.op} level {msg}")

    @classmethod
    def parse(cls, text: str | float | int) -> "DegradeSpec":
        """'noise:30' → DegradeSpec('noise', 30.0); a bare number means noise σ; 'none'/'clean' → noise:0."""
        if isinstance(text, (int, float)):
            return cls("noise", float(text))
        text = text.strip()
        if text in ("", "none", "clean"):
            return cls("noise", 0.0)
        op, sep, level = text.partition(":")
        if not sep:
            try:
                return cls("noise", float(op))
            except ValueError:
                raise ValueError(f"bad degradation {text!r}; write 'op:level', e.g. 'noise:30' or 'blur:1.5' "
                                 f"(registered ops: {', '.join(_OPS)})") from None
        try:
            value = float(level)
        except ValueError:
            raise ValueError(f"bad level in {text!r}; write a number, e.g. 'noise:30'") from None
        return cls(op.strip(), value)

    @property
    def is_identity(self) -> bool:
        return self.level in get_op(self.op).identity_levels

    def __str__(self) -> str:
        return f"{self.op}:{self.level:g}"


@dataclass(frozen=True)
class Degradation:
    """A composed degradation: non-identity steps applied left to right; () is the identity ('none')."""

    steps: tuple[DegradeSpec, ...] = ()

    def __post_init__(self) -> None:
        steps = tuple(s for s in self.steps if not s.is_identity)
        ops = [s.op for s in steps]
        if len(set(ops)) != len(ops):
            raise ValueError(f"{'+'.join(map(str, steps))}: an op appears twice; give each op once per spec")
        object.__setattr__(self, "steps", steps)

    @classmethod
    def parse(cls, text: "str | float | int | DegradeSpec | Degradation | None") -> "Degradation":
        """'noise:30+blur:1' → two steps; 30 → noise:30; None, '', 'none', 'noise:0' → identity."""
        if isinstance(text, Degradation):
            return text
        if isinstance(text, DegradeSpec):
            return cls((text,))
        if text is None or isinstance(text, (int, float)):
            return cls((DegradeSpec.parse(text or 0.0),))
        if not isinstance(text, str):
            raise ValueError(f"bad degradation {text!r}: give a spec string such as 'noise:30' or a number (σ)")
        return cls(tuple(DegradeSpec.parse(part) for part in text.split("+")))

    @property
    def is_identity(self) -> bool:
        return not self.steps

    @property
    def family(self) -> str:
        """'noise', 'blur', 'noise+blur', ...; 'none' for the identity."""
        return "+".join(s.op for s in self.steps) or "none"

    @property
    def level(self) -> float | None:
        """The level of a single-step spec, 0.0 for the identity, None for a composition."""
        return 0.0 if not self.steps else self.steps[0].level if len(self.steps) == 1 else None

    @property
    def sigma(self) -> float | None:
        """Noise σ of a noise-only spec (one noise step or the identity → 0.0); None for anything else."""
        return self.level if self.family in ("none", "noise") else None

    def __str__(self) -> str:
        return "+".join(map(str, self.steps)) or "none"


def pixel_sigma(spec: "str | float | int | DegradeSpec | Degradation | None") -> float | None:
    """The per-pixel noise σ of a single-step spec whose op's level is one (noise, grain; 0.0 for the identity);
    None for anything else. Unlike `Degradation.sigma` (noise only, what older run folders recorded) it reads
    'grain:50' as 50 too: a run holding one σ op is read by level ('σ = 0 / 30 / 50') whatever the op."""
    d = Degradation.parse(spec)
    if not d.steps:
        return 0.0
    return d.steps[0].level if len(d.steps) == 1 and get_op(d.steps[0].op).sigma else None


def sigma_ops() -> tuple[str, ...]:
    """Names of the registered ops whose level is a per-pixel σ (registration order): ('noise', 'grain')."""
    return tuple(n for n, o in _OPS.items() if o.sigma)


def level_spec(op: str, sigma: float) -> str:
    """The canonical spec of σ op `op` at level σ: level_spec('grain', 30) = 'grain:30', level 0 = 'none'."""
    if op not in sigma_ops():
        raise ValueError(f"{op!r} is not a noise op with a σ level; use one of {', '.join(sigma_ops())}")
    return canonical(f"{op}:{float(sigma):g}")


def canonical(spec: "str | float | int | DegradeSpec | Degradation | None") -> str:
    """The validated canonical string of any accepted spec form ('30' → 'noise:30', 'noise:0' → 'none')."""
    return str(Degradation.parse(spec))


def derive_seed(seed: int, image_id: str, op: str, level: float) -> int:
    """64-bit seed from (global seed, image id, op, level); stable across processes and Python versions."""
    return seeding.derive_seed(int(seed), image_id, op, repr(float(level)), bits=64)


def apply(image: Image.Image, spec: "str | float | DegradeSpec | Degradation | None", seed: int = 0,
          image_id: str = "") -> Image.Image:
    """Degrade a PIL image (converted to RGB) step by step; deterministic in (seed, image_id, spec)."""
    image = image.convert("RGB")
    out = image.copy()
    for step in Degradation.parse(spec).steps:
        op = get_op(step.op)
        rng = np.random.default_rng(derive_seed(seed, image_id, step.op, step.level)) if op.seeded else None
        out = op.fn(out, step.level, rng).convert("RGB")
    return out


def parse_list(text: "str | Iterable") -> list[Degradation]:
    """'0,30,50' → three noise specs; 'noise:30,blur:2' → mixed; a list of specs/numbers likewise."""
    items = [t for t in (s.strip() for s in text.split(","))] if isinstance(text, str) else list(text)
    items = [t for t in items if not (isinstance(t, str) and not t)]
    if not items:
        raise ValueError(f"empty degradation list {text!r}; write e.g. '0,30,50' or 'noise:30,blur:1'")
    return [Degradation.parse(t) for t in items]


def noise_specs(sigmas: "str | Iterable[float] | None") -> list[str]:
    """The --noise shorthand → canonical noise specs: '0,30,50' → ['none', 'noise:30', 'noise:50']."""
    if sigmas is None or (isinstance(sigmas, str) and not sigmas.strip()):
        return []
    vals = sigmas.split(",") if isinstance(sigmas, str) else list(sigmas)
    out = []
    for v in vals:
        if isinstance(v, str) and not v.strip():
            continue
        try:
            sigma = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"bad noise σ {v!r}: write comma-separated numbers, e.g. 0,30,50") from None
        out.append(str(Degradation((DegradeSpec("noise", sigma),))))
    return out


DEFAULT_NOISE = (0.0, 30.0, 50.0)


def merge_specs(noise: "str | Iterable[float] | None" = None, degrade: "str | Iterable | None" = None,
                default_noise: Sequence[float] = DEFAULT_NOISE) -> list[str]:
    """The degradation grid: noise shorthand specs, then explicit specs, canonical and de-duplicated in first-seen
    order; both empty → `default_noise`. noise [0, 30], degrade ['blur:1', 'noise:30'] →
    ['none', 'noise:30', 'blur:1']."""
    specs = noise_specs(noise)
    if isinstance(degrade, str):
        degrade = [degrade]
    specs += [canonical(d) for d in (degrade or [])]
    if not specs:
        specs = noise_specs(default_noise)
    return list(dict.fromkeys(specs))


# -- built-in ops -------------------------------------------------------------------------------------------------
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


GRAIN_LENGTH = 3 / 64
"""Correlation length of `grain` (the std of its Gaussian low-pass) as a fraction of the shorter image side: 3 px
on the 64-px world canvas, chosen on validation world seed 101 against the trap world's answer-only targets
(benchmarks/trap_world.md)."""


def smooth_noise(shape: tuple[int, int, int], sigma: float, length: float, rng: np.random.Generator) -> np.ndarray:
    """(H, W, C) float noise: white N(0, 1) noise per channel, low-passed by a Gaussian of std `length` pixels
    (in Fourier space, periodic), scaled so each pixel's std is exactly σ. Parseval: a pixel of the filtered field
    has variance mean_f G(f)² with G(f) = exp(−2π² ℓ² |f|²), so the scale is σ / √mean G². ℓ = 0 is white noise."""
    h, w, c = shape
    fy = np.fft.fftfreq(h)[:, None]  # (H, 1) cycles per pixel
    fx = np.fft.fftfreq(w)[None, :]  # (1, W)
    g = np.exp(-2 * np.pi**2 * length**2 * (fx**2 + fy**2))  # (H, W) transfer function, G(0) = 1
    white = rng.normal(0.0, 1.0, size=(c, h, w))  # (C, H, W)
    field = np.real(np.fft.ifft2(np.fft.fft2(white) * g))  # (C, H, W)
    return (field * (sigma / np.sqrt(np.mean(g**2)))).transpose(1, 2, 0)  # (H, W, C)


def grain_noise(pixels: np.ndarray, sigma: float, rng: np.random.Generator, length: float | None = None) -> np.ndarray:
    """x' = clip(round(x + smooth_noise(σ, ℓ)), 0, 255) on a uint8 (H, W, C) array; ℓ defaults to GRAIN_LENGTH ×
    min(H, W)."""
    if sigma == 0:
        return pixels.copy()
    ell = GRAIN_LENGTH * min(pixels.shape[:2]) if length is None else length
    noisy = pixels.astype(np.float64) + smooth_noise(pixels.shape, sigma, ell, rng)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def _sigma_check(s: float) -> str | None:
    return None if s <= 255 else "σ must be in [0, 255] (0–255 pixel scale)"


@register_op("noise", check=_sigma_check, seeded=True, sigma=True)
def _noise(image: Image.Image, sigma: float, rng) -> Image.Image:
    return Image.fromarray(gaussian_noise(np.asarray(image, dtype=np.uint8), sigma, rng), mode="RGB")  # (H, W, 3)


@register_op("grain", check=_sigma_check, seeded=True, sigma=True)
def _grain(image: Image.Image, sigma: float, rng) -> Image.Image:
    return Image.fromarray(grain_noise(np.asarray(image, dtype=np.uint8), sigma, rng), mode="RGB")  # (H, W, 3)


@register_op("blur")
def _blur(image: Image.Image, radius: float, rng) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius=radius))


@register_op("down", check=lambda f: None if f >= 1 and f == int(f) else "factor must be an integer ≥ 1",
             identity_levels=(0.0, 1.0))
def _down(image: Image.Image, factor: float, rng) -> Image.Image:
    f, (w, h) = int(factor), image.size
    small = image.resize((max(1, w // f), max(1, h // f)), Image.Resampling.BOX)
    return small.resize((w, h), Image.Resampling.BILINEAR)


@register_op("occlude", check=lambda q: None if q <= 1 else "fraction must be in [0, 1]", seeded=True)
def _occlude(image: Image.Image, fraction: float, rng) -> Image.Image:
    return Image.fromarray(occlude(np.asarray(image, dtype=np.uint8), fraction, rng), mode="RGB")  # (H, W, 3)
