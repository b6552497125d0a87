"""Fast batch encoding for scoring: the processor's outputs, equal to
`processor(text=prompts, images=[[im] ...], padding=True, return_tensors="pt")` tensor for tensor, built faster.

Two facts make the shortcut exact:
1. A row's text-side outputs (input_ids with the image placeholder expanded, attention_mask, token-type ids)
   depend only on the prompt and the image's size (the number of image tokens is a function of the size for every
   family). A batch holding a (prompt, size) not seen before is encoded by the processor itself — never slower
   than before — and its rows (padding removed) are cached; a batch of known rows left-pads cached rows (pad id for
   input_ids, 0 for the masks and type ids, as the tokenizer pads) and takes the fast image path below.
2. The image-side outputs come from the image processor alone. Where its class has a vectorised equivalent —
   in FAST_IMAGES by class name (Qwen2-VL's PIL processor: resize, rescale, normalise, patchify), or transformers'
   plain PIL pipeline (SigLIP / CLIP: resize, centre crop, rescale, normalise) — the batch goes through one numpy
   pass; rescale + normalise of uint8 pixels is a per-channel lookup table built with the processor's own
   float64-then-float32 arithmetic, so every value is bit-identical. Other classes call the image processor once.

`BatchEncoder` checks itself: every batch that brings an image size not seen before is also encoded by the processor,
and any difference in keys, shapes or values (or any error of the shortcut) switches the fast path off for good,
with a warning, so a family or transformers version where the facts above do not hold still gets the processor's
exact outputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch

from hero.registry import Registry

FAST_IMAGES = Registry("fast image processor")
"""Image-processor class name → fn(image_processor, list of RGB PIL images) → dict of numpy arrays."""


def normalise_table(rescale_factor: float, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """(C, 256) float32: the value transformers' PIL backend gives each uint8 level v in channel c —
    float32(float64(v) · rescale_factor), then (x − mean_c) / std_c in float32.
    E.g. factor 1/255, mean 0.5, std 0.5: v = 255 → 1.0 → (1 − 0.5) / 0.5 = 1.0; v = 0 → −1.0."""
    levels = (np.arange(256, dtype=np.float64) * rescale_factor).astype(np.float32)  # (256,)
    m = np.asarray(mean, dtype=np.float32)[:, None]  # (C, 1)
    s = np.asarray(std, dtype=np.float32)[:, None]  # (C, 1)
    return (levels[None, :] - m) / s  # (C, 256)


def patchify(chw: np.ndarray, patch: int, merge: int, temporal: int) -> np.ndarray:
    """Qwen2-VL's patch layout for a batch of same-size images. (N, C, H, W) → (N · gh · gw, C · temporal · p²),
    rows ordered image by image, each image's rows as `Qwen2VLImageProcessorPil.patchify` orders them."""
    N, C, H, W = chw.shape
    gh, gw = H // patch, W // patch
    x = chw.reshape(N, C, gh // merge, merge, patch, gw // merge, merge, patch)
    x = x.transpose(0, 2, 5, 3, 6, 1, 4, 7)  # (N, gh/m, gw/m, m, m, C, p, p)
    x = np.broadcast_to(x[:, :, :, :, :, :, None], (*x.shape[:6], temporal, patch, patch))
    return x.reshape(N * gh * gw, C * temporal * patch * patch)


@FAST_IMAGES.register("Qwen2VLImageProcessorPil")
def qwen2_vl_pixels(ip, images: Sequence) -> dict:
    """pixel_values (Σ gh·gw, C·t·p²) float32 and image_grid_thw (N, 3) int64 for RGB PIL images, as the processor
    computes them (smart_resize with the processor's size bounds, its resample filter; images grouped by size)."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

    factor = ip.patch_size * ip.merge_size
    table = normalise_table(ip.rescale_factor, ip.image_mean, ip.image_std) if ip.do_normalize else None
    arrays = []
    for im in images:
        w, h = im.size
        th, tw = smart_resize(h, w, factor=factor, min_pixels=ip.size["shortest_edge"],
                              max_pixels=ip.size["longest_edge"]) if ip.do_resize else (h, w)
        arrays.append(np.asarray(im if (th, tw) == (h, w) else im.resize((tw, th), resample=ip.resample)))
    patches, grids = [None] * len(arrays), []
    for shape in dict.fromkeys(a.shape for a in arrays):
        idx = [i for i, a in enumerate(arrays) if a.shape == shape]
        hwc = np.stack([arrays[i] for i in idx])  # (n, H, W, C) uint8
        chw = np.stack([table[c][hwc[..., c]] for c in range(hwc.shape[-1])], axis=1)  # (n, C, H, W) float32
        flat = patchify(chw, ip.patch_size, ip.merge_size, ip.temporal_patch_size)
        for j, rows in zip(idx, np.split(flat, len(idx))):
            patches[j] = rows
    for a in arrays:
        grids.append([1, a.shape[0] // ip.patch_size, a.shape[1] // ip.patch_size])
    return {"pixel_values": np.concatenate(patches), "image_grid_thw": np.asarray(grids, dtype=np.int64)}


def pil_base_pixels(ip, images: Sequence) -> dict:
    """pixel_values (N, C, H, W) float32 for processors that run transformers' plain PIL pipeline (`PilBackend.
    _preprocess`: resize → centre crop → rescale → normalise → stack; SigLIP / CLIP, LLaVA's): resize and crop per
    image with the processor's own methods, then one table lookup for rescale + normalise over the batch."""
    table = normalise_table(ip.rescale_factor, ip.image_mean, ip.image_std) if ip.do_normalize else None
    arrays = []
    for im in images:
        chw = np.moveaxis(np.asarray(im), -1, 0)  # (C, H, W) uint8, as the backend's process_image
        if ip.do_resize:
            chw = ip.resize(image=chw, size=ip.size, resample=ip.resample)
        if getattr(ip, "do_center_crop", False):
            chw = ip.center_crop(chw, ip.crop_size)
        if chw.dtype != np.uint8:
            raise ValueError(f"resized pixels are {chw.dtype}, the table needs uint8")
        arrays.append(chw)
    chw = np.stack(arrays)  # (N, C, H, W) uint8
    values = np.stack([table[c][chw[:, c]] for c in range(chw.shape[1])], axis=1)  # (N, C, H, W) float32
    return {"pixel_values": values}


def fast_images(ip) -> Callable | None:
    """The vectorised image path for this image processor: by class name (FAST_IMAGES), else the plain PIL pipeline
    when the class runs `PilBackend._preprocess` unchanged without padding; None = call the image processor."""
    if not _usable(ip):
        return None
    name = type(ip).__name__
    if name in FAST_IMAGES:
        return FAST_IMAGES.get(name)
    try:
        from transformers.image_processing_backends import PilBackend
    except ImportError:
        return None
    plain = type(ip)._preprocess is PilBackend._preprocess and not getattr(ip, "do_pad", False)
    return pil_base_pixels if plain and getattr(ip, "do_normalize", False) else None


def _usable(ip) -> bool:
    """The Qwen fast path covers uint8 RGB input with rescale on (the processor's defaults)."""
    return bool(getattr(ip, "do_rescale", False)) and getattr(ip, "rescale_factor", None) is not None


class BatchEncoder:
    """Processor outputs for (prompts, images) batches; see the module docstring."""

    def __init__(self, processor, pad_id: int):
        self.processor, self.pad_id = processor, int(pad_id)
        ip = processor.image_processor
        fast = fast_images(ip)
        self._images: Callable | None = (lambda ims: fast(ip, ims)) if fast else None
        self._rows: dict[tuple, dict[str, list[int]]] = {}
        self._image_keys: set[str] | None = None
        self._keys: set[str] = set()
        self.fast, self._checked = True, set()

    def __call__(self, prompts: Sequence[str], images: Sequence) -> dict:
        keys = [(p, im.size) for p, im in zip(prompts, images)]
        if not self.fast or any(k not in self._rows for k in keys):
            ref = self._processor(prompts, images)  # exact; a batch with a new (prompt, size) teaches the cache
            if self.fast:
                self._learn(keys, images[0], ref)
            return ref
        try:
            enc = self._encode(keys, images)
        except Exception as e:  # noqa: BLE001 - any failure of the shortcut falls back to the processor
            self._off(f"{type(e).__name__}: {e}")
            return self._processor(prompts, images)
        sizes = {im.size for im in images}
        if sizes <= self._checked:
            return enc
        ref = self._processor(prompts, images)  # a new image size on the shortcut: check it on this batch
        problem = _difference(enc, ref)
        if problem:
            self._off(problem)
            return ref
        self._checked |= sizes
        return enc

    def _off(self, problem: str) -> None:
        warnings.warn(f"scoring: the fast batch encoder differs from the processor ({problem}); using the processor",
                      stacklevel=3)
        self.fast = False

    def _processor(self, prompts, images) -> dict:
        return dict(self.processor(text=list(prompts), images=[[im] for im in images], padding=True,
                                   return_tensors="pt"))

    def _learn(self, keys: Sequence[tuple], image, ref: dict) -> None:
        """Cache each row's text-side outputs (the processor's keys other than the image processor's, padding
        removed by the attention mask) from a batch the processor encoded."""
        if self._image_keys is None:
            self._image_keys = set(self.processor.image_processor([[image]], return_tensors="pt").keys())
            self._keys = set(ref)  # what the processor returns (Gemma3's drops num_crops)
        mask = ref["attention_mask"].bool()  # (B, T)
        for b, key in enumerate(keys):
            self._rows.setdefault(key, {k: v[b][mask[b]].tolist() for k, v in ref.items()
                                        if k not in self._image_keys})

    def _encode(self, keys: Sequence[tuple], images) -> dict:
        if self._images is not None:
            out = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self._images(images).items()}
        else:
            out = dict(self.processor.image_processor([[im] for im in images], return_tensors="pt"))
        rows = [self._rows[k] for k in keys]
        return {**self._pad(rows), **{k: v for k, v in out.items() if k in self._keys}}  # as the processor keeps

    def _pad(self, rows: Sequence[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        """Left-pad each text key: input_ids with the pad id, every other key (masks, type ids) with 0."""
        T = max(len(r["input_ids"]) for r in rows)
        out = {}
        for key in rows[0]:
            fill = self.pad_id if key == "input_ids" else 0
            out[key] = torch.tensor([[fill] * (T - len(r[key])) + r[key] for r in rows], dtype=torch.long)  # (B, T)
        return out


def _difference(a: dict, b: dict) -> str:
    """'' when both dicts hold the same keys with equal tensors, else what differs first."""
    if set(a) != set(b):
        return f"keys {sorted(a)} vs {sorted(b)}"
    for k in a:
        x, y = torch.as_tensor(a[k]), torch.as_tensor(b[k])
        if x.shape != y.shape or x.dtype != y.dtype or not torch.equal(x, y):
            return f"{k}: {tuple(x.shape)} {x.dtype} vs {tuple(y.shape)} {y.dtype}"
    return ""
