"""Cached multimodal RoPE positions for Qwen-VL families in a single scoring forward pass.

Qwen2-VL / Qwen2.5-VL compute 3-D position ids (`get_rope_index`) from the batch on every forward: a Python loop over
rows and image-token groups, ≈ 1/5 of a tiny model's forward. A row's positions depend only on its own unpadded
tokens, token types and image grid, and pad columns get 0 (see `get_rope_index`), so `RopePositions` computes each
distinct row once with the model's own `get_rope_index` and assembles the batch: bit-identical to what the model
computes itself. Only for one image per row and one forward (no generation: generation needs the model's
`rope_deltas` state).
"""

from __future__ import annotations

import torch


class RopePositions:
    """position_ids (3, B, T) for a left-padded batch of a model with `get_rope_index`; `None` for other models."""

    def __init__(self, model):
        inner = getattr(model, "model", model)
        self.get_rope_index = getattr(inner, "get_rope_index", None) or getattr(model, "get_rope_index", None)
        self._rows: dict[bytes, torch.Tensor] = {}

    @property
    def applies(self) -> bool:
        return self.get_rope_index is not None

    def __call__(self, ids: torch.Tensor, mask: torch.Tensor, extra: dict) -> torch.Tensor | None:
        """ids, mask: (B, T); extra: the processor's other outputs (image_grid_thw (B, 3), mm_token_type_ids (B, T)).
        None when the batch is not one image per row (the model then computes positions itself)."""
        grid, types = extra.get("image_grid_thw"), extra.get("mm_token_type_ids")
        if not self.applies or grid is None or types is None or grid.shape[0] != ids.shape[0]:
            return None
        B, T = ids.shape
        out = torch.zeros((3, B, T), dtype=ids.dtype, device=ids.device)  # (3, B, T): pads stay 0
        for b in range(B):
            keep = mask[b].bool()  # (T,)
            row, row_types = ids[b, keep], types[b, keep]  # (L,)
            key = b"".join(t.cpu().numpy().tobytes() for t in (row, row_types, grid[b]))
            if key not in self._rows:
                pos, _ = self.get_rope_index(row[None], mm_token_type_ids=row_types[None], image_grid_thw=grid[b][None],
                                             attention_mask=None)  # (3, 1, L)
                self._rows[key] = pos[:, 0]
            out[:, b, keep] = self._rows[key]
        return out


class VisionMeta:
    """Precomputed vision-tower metadata for Qwen-VL image batches (transformers' `image_*` precomputed kwargs).

    The vision tower derives its rotary position ids, attention segment bounds and (Qwen2.5-VL) window index from
    `image_grid_thw` on every forward; transformers' `vision_utils` lets a caller pass them precomputed
    (`image_position_ids`, `image_cu_seqlens`, `image_window_index`, `image_cu_window_seqlens`). They are computed
    here once per distinct grid batch with those same functions. `check(logits_with, logits_without)` switches the
    shortcut off for good if the model does not give identical logits with them (another transformers version)."""

    def __init__(self, model):
        inner = getattr(model, "model", model)
        self.visual = getattr(inner, "visual", None)
        try:
            import transformers.vision_utils  # noqa: F401 - 5.x: the precomputed-kwargs mechanism
        except ImportError:
            self.visual = None
        self.on, self.checked = self.visual is not None, False
        self._cache: dict[bytes, dict] = {}

    def __call__(self, grid: torch.Tensor | None) -> dict:
        """{image_*: tensor} for a batch's image_grid_thw (N, 3); {} when off or without a grid."""
        if not self.on or grid is None:
            return {}
        key = grid.cpu().numpy().tobytes()
        if key not in self._cache:
            self._cache[key] = self._compute(grid)
        return dict(self._cache[key])

    def _compute(self, grid: torch.Tensor) -> dict:
        from transformers.vision_utils import get_vision_cu_seqlens, get_vision_position_ids, get_vision_window_index

        v = self.visual
        out = {"image_position_ids": get_vision_position_ids(grid, v.spatial_merge_size),
               "image_cu_seqlens": get_vision_cu_seqlens(grid)}
        if getattr(v, "window_size", None):  # Qwen2.5-VL's windowed attention
            out["image_window_index"], out["image_cu_window_seqlens"] = get_vision_window_index(
                grid, spatial_merge_size=v.spatial_merge_size, window_size=v.window_size, patch_size=v.patch_size)
        return out
