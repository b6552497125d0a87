"""Auxiliary targets for SFT from scratch (training only: the heads are dropped, the saved model is plain LLaVA).

Why: a randomly initialised VLM trained only through yes/no answers first learns a "bag of features" (is the
colour anywhere? is the shape anywhere?) and then fails the binding negatives (a red square and a blue circle,
asked "a red circle?"). Two dense targets supervise the binding where it has to happen:
- **patch presence** (vision side): a linear head on the vision tower's output (what the projector reads) says,
  for every patch, which categories ("<colour> <shape>") have pixels in it — solvable only with colour and shape
  bound in the same token;
- **listing** (answer side): a linear head on the decoder's final hidden state at the answer position predicts
  every category in the image — the listing a CoT target spells out, for a yes/no model too;
- **grounding** (language side): a linear head on the first decoder layer's output at every image token says
  whether that patch holds the *asked* category. The chat template puts the question before the image, so image
  tokens can attend to it; this supervises the local "does my object match the question" test that the answer
  token then only has to pool.
See benchmarks/sft_experiments.md for what each gave.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from hero.world.scene import WorldObject, object_mask


def patch_presence(objects: Sequence[WorldObject], image_size: int, patch: int, categories: Sequence[str],
                   min_pixels: int) -> np.ndarray:
    """(P, C) float32 with P = (image_size / patch)² patches in row-major order (the ViT's token order) and C
    categories: 1 where the patch holds ≥ min_pixels pixels of an object of that category, else 0."""
    g = image_size // patch
    out = np.zeros((g * g, len(categories)), np.float32)  # (P, C)
    for obj in objects:
        counts = object_mask(obj, image_size).reshape(g, patch, g, patch).sum((1, 3)).reshape(-1)  # (P,)
        out[counts >= min_pixels, categories.index(obj.category)] = 1.0
    return out


def patch_presence_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over patches and categories. logits, targets: (B, P, C) → scalar.
    One patch, two categories, logits (0, 0), targets (1, 0): (ln 2 + ln 2) / 2 = ln 2 ≈ 0.6931."""
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype))


def asked_patch_targets(presence: torch.Tensor, asked: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-patch "holds the asked category" targets. presence (B, P, C), asked (B,) category index or −1 (no
    question, e.g. a caption) → targets (B, P) and valid (B,) bool. Rows with asked −1 get zeros and valid False."""
    valid = asked >= 0  # (B,)
    idx = asked.clamp(min=0)  # (B,)
    targets = presence[torch.arange(presence.shape[0]), :, idx]  # (B, P)
    return targets * valid[:, None], valid


def grounding_loss(logits: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean BCE over the patches of valid rows; 0 (with a graph) when no row is valid.
    logits, targets (B, P); valid (B,). Rows [[0, 0]] / [[1, 0]], valid [True]: (ln 2 + ln 2) / 2 = ln 2."""
    if not bool(valid.any()):
        return logits.sum() * 0.0
    return torch.nn.functional.binary_cross_entropy_with_logits(logits[valid], targets[valid].to(logits.dtype))


def answer_positions(labels: torch.Tensor, ignore: int = -100) -> torch.Tensor:
    """(B, T) labels → (B,) the position whose output predicts each row's first target token (first non-ignored
    label − 1; 0 for a row without targets). [[-100, -100, 7, 2], [-100, 5, 2, -100]] → [1, 0]."""
    return ((labels != ignore).int().argmax(-1) - 1).clamp(min=0)


def listing_loss(logits: torch.Tensor, presence: torch.Tensor) -> torch.Tensor:
    """Mean BCE of per-category logits at the answer position against the image's categories.
    logits (B, C); presence (B, P, C) per-patch targets → present anywhere = max over patches (B, C).
    logits [[0, 0]], one patch [[1, 0]]: (ln 2 + ln 2) / 2 = ln 2."""
    return patch_presence_loss(logits, presence.amax(1))


class ForwardTap:
    """Keeps `pick(output)` of a module's last forward (a forward hook: no second pass)."""

    def __init__(self, module: torch.nn.Module, pick):
        self.features: torch.Tensor | None = None
        self._pick = pick
        self._handle = module.register_forward_hook(self._keep)

    def _keep(self, module, args, output) -> None:
        self.features = self._pick(output)

    def remove(self) -> None:
        self._handle.remove()


def vision_tap(vision_tower: torch.nn.Module, layer: int) -> ForwardTap:
    """The vision tower's hidden states at `layer` (B, P, D): what the LLaVA projector reads."""
    def pick(output):
        hidden = getattr(output, "hidden_states", None)
        return hidden[layer] if hidden is not None else output.last_hidden_state
    return ForwardTap(vision_tower, pick)


def decoder_layer_tap(layer: torch.nn.Module) -> ForwardTap:
    """A decoder layer's output hidden states (B, T, H)."""
    return ForwardTap(layer, lambda output: output[0] if isinstance(output, tuple) else output)
