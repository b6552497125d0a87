"""Families named by `--arch` that HERO does not build yet, each with the reason (docs/model-families.md)."""

from __future__ import annotations

from hero.model.families import FAMILIES, not_built

FAMILIES.register("llava_next")(not_built(
    "LLaVA-NeXT's any-resolution tiling (image_grid_pinpoints, a varying number of image tokens per image size) is "
    "not wired into HERO's tiny builder yet"))
