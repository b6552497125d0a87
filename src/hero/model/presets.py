"""Sizes of HERO's tiny VLMs (`hero model init --preset`), shared by every model family (`hero.model.families`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelPreset:
    """Sizes of one preset. Widths must be divisible by their head counts."""

    patch_size: int
    """Vision patch side in pixels; image_size must be a multiple of it."""
    vision_hidden: int
    """SigLIP hidden width."""
    vision_layers: int
    """SigLIP encoder layers."""
    vision_heads: int
    """SigLIP attention heads."""
    text_hidden: int
    """Llama hidden width (also the projector's output width)."""
    text_layers: int
    """Llama decoder layers."""
    text_heads: int
    """Llama attention heads."""
    mlp_ratio: int = 2
    """Feed-forward width as a multiple of the hidden width (vision and text)."""
    max_positions: int = 512
    """Longest sequence (text + image tokens) the decoder accepts."""
    init_std: float = 0.02
    """Standard deviation of the random initialisation (`initializer_range` of every sub-config)."""


# 16 px patches match the world's object scale (14–20 px objects: one object ≈ one to four patches) and keep the
# sequence short (16 image tokens for 64 px); 8 px patches (64 tokens) trained 3× slower per example for no gain
# in 5 minutes. init_std 0.1 (instead of HF's 0.02) with lr 6e-3 left the chance plateau sooner (see
# benchmarks/sft_experiments.md).
PRESETS: dict[str, ModelPreset] = {
    "tiny": ModelPreset(patch_size=16, vision_hidden=64, vision_layers=2, vision_heads=2,
                        text_hidden=128, text_layers=2, text_heads=4, init_std=0.1),
    "small": ModelPreset(patch_size=16, vision_hidden=128, vision_layers=3, vision_heads=4,
                         text_hidden=256, text_layers=4, text_heads=8, init_std=0.1),
    # ≈ 24 M parameters: big enough that the policy's forward/backward dominates an RL step (benchmarks/step_overhead)
    "base": ModelPreset(patch_size=16, vision_hidden=256, vision_layers=4, vision_heads=4,
                        text_hidden=512, text_layers=8, text_heads=8, init_std=0.02),
}


def check_preset(p: ModelPreset, image_size: int) -> None:
    """Raise ValueError with the fix if the preset cannot serve images of `image_size` pixels."""
    if image_size % p.patch_size:
        raise ValueError(f"image_size={image_size} is not a multiple of patch_size={p.patch_size}; pick a patch "
                         "size that divides the world's image size")
    for width, heads, name in ((p.vision_hidden, p.vision_heads, "vision"), (p.text_hidden, p.text_heads, "text")):
        if width % heads:
            raise ValueError(f"{name}_hidden={width} is not divisible by {name}_heads={heads}")


def num_image_tokens(image_size: int, patch_size: int) -> int:
    """Image tokens per image: one per patch, no CLS token (64 px / 8 px → 8² = 64)."""
    return (image_size // patch_size) ** 2
