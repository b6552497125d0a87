"""Row selection on TRL's generation-batch dict: keep the rows of the groups the gate lets through, pad with fully
masked rows so every rank holds the same row count, recompute the DAPO token normaliser.

A batch dict maps keys to per-row tensors (B, ...), per-row lists, 0-dim tensors (kept as is) or None — the same
contract TRL's `shuffle_sequence_dict` relies on; per-image pixel tensors are split per sample with TRL's
`split_pixel_values_by_grid` first and merged back afterwards.
"""

from __future__ import annotations

import torch
from trl.trainer.utils import split_pixel_values_by_grid, unsplit_pixel_values_by_grid


def select_rows(batch: dict, index: torch.Tensor) -> dict:
    """The rows `index` (R,) of `batch` (repeats allowed), pixel tensors included. R must be > 0."""
    if index.numel() == 0:
        raise ValueError("select_rows needs at least one row; pad the selection first")
    split = split_pixel_values_by_grid(batch)
    rows = index.tolist()
    out = {}
    for key, value in split.items():
        if value is None or (isinstance(value, torch.Tensor) and value.ndim == 0):
            out[key] = value
        elif isinstance(value, torch.Tensor):
            out[key] = value[index.to(value.device)]
        else:
            out[key] = [value[i] for i in rows]
    return unsplit_pixel_values_by_grid(out)


def padded_selection(keep: torch.Tensor, target: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row index (target,) taking the kept rows of keep (B,) in order, then repeating a filler row; and a bool
    (target,) marking the padding. The filler is the first kept row (row 0 if none is kept)."""
    kept = keep.nonzero().squeeze(1)  # (n,)
    n = kept.numel()
    if target < n:
        raise ValueError(f"target row count {target} is below the {n} kept rows")
    filler = kept[:1] if n else torch.zeros(1, dtype=torch.long, device=keep.device)
    index = torch.cat([kept, filler.repeat(target - n)])  # (target,)
    is_pad = torch.arange(target, device=keep.device) >= n  # (target,)
    return index, is_pad


def target_rows(kept_per_rank: list[int], steps_per_generation: int) -> int:
    """Rows every rank keeps: the largest kept count, rounded up to a multiple of steps_per_generation so the
    batch splits evenly into micro-batches; steps_per_generation rows (all padding) when nothing is kept."""
    top = max(kept_per_rank)
    return max(1, -(-top // steps_per_generation)) * steps_per_generation


def mask_padding(batch: dict, is_pad: torch.Tensor) -> dict:
    """Zero the completion (and tool) mask and the advantage of the padding rows is_pad (B,)."""
    keep = (~is_pad).to(batch["completion_mask"].dtype)  # (B,)
    out = dict(batch)
    out["completion_mask"] = batch["completion_mask"] * keep[:, None]  # (B, C)
    if batch.get("tool_mask") is not None:
        out["tool_mask"] = batch["tool_mask"] * keep[:, None]  # (B, C)
    adv = batch["advantages"]
    out["advantages"] = adv * (keep if adv.dim() == 1 else keep[:, None]).to(adv.dtype)
    return out


def loss_mask(batch: dict) -> torch.Tensor:
    """The loss mask (B, C): completion_mask, times tool_mask when present (TRL's `mask` in `_compute_loss`)."""
    mask = batch["completion_mask"]
    if batch.get("tool_mask") is not None:
        mask = mask * batch["tool_mask"]
    return mask


def loss_tokens(batch: dict) -> torch.Tensor:
    """Number of loss tokens in the local batch (0-dim)."""
    return loss_mask(batch).sum()


def scatter_rows(x: torch.Tensor, index: torch.Tensor, total: int) -> torch.Tensor:
    """Rows x (n, ...) placed at `index` (n,) of a zero tensor (total, ...)."""
    return x.new_zeros((total, *x.shape[1:])).index_copy(0, index.to(x.device), x)


def kept_rows_only(fn, keep: torch.Tensor, input_ids, attention_mask, logits_to_keep: int, kwargs: dict,
                   row_keys: tuple[str, ...]):
    """Run a TRL log-prob pass `fn(input_ids, attention_mask, logits_to_keep, **kwargs) -> (logps, ent, aux)` on
    the rows keep (B,) only; gated rows come back as zeros (B, C). No row kept → no forward at all."""
    B = input_ids.size(0)
    index = keep.nonzero().squeeze(1)  # (n,)
    if index.numel() == 0:
        zeros = torch.zeros(B, logits_to_keep, device=input_ids.device)  # (B, C)
        return zeros, (zeros.clone() if kwargs.get("compute_entropy") else None), None
    per_row = {k: kwargs[k] for k in row_keys if kwargs.get(k) is not None}  # TRL splits on key presence
    sub = select_rows({"input_ids": input_ids, "attention_mask": attention_mask, **per_row}, index)
    rest = {k: v for k, v in kwargs.items() if k not in per_row}
    logps, ent, aux = fn(sub.pop("input_ids"), sub.pop("attention_mask"), logits_to_keep, **sub, **rest)
    return scatter_rows(logps, index, B), (None if ent is None else scatter_rows(ent, index, B)), aux
