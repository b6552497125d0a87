"""Visual Contrastive Decoding (Leng et al., CVPR 2024), as in the official VCD code.

Per step, with logits ℓ = logit(y | v, x) on the real image and ℓ' = logit(y | v', x) on a distorted image v':
    ℓ_cd = (1 + α)·ℓ − α·ℓ'                       (contrast)
    ℓ_cd[y] = −inf  where ℓ[y] < log β + max ℓ      (adaptive plausibility: keep p(y|v,x) ≥ β · max p)
v' = √ᾱ_t · v + √(1 − ᾱ_t) · ε on the preprocessed pixel tensor, ᾱ from the official 1000-step schedule
(β_k = sigmoid(linspace(−6, 6, 1000)) · (5e-3 − 1e-5) + 1e-5). Defaults α = 1, β = 0.1, t = 500.
"""

from __future__ import annotations

import math

import torch

NUM_DIFFUSION_STEPS = 1000


def _cache_arg_name() -> str:
    """transformers ≥ 5.x names the KV cache `cache` (argument and output); older releases `past_key_values`."""
    import inspect

    from transformers import LlamaForCausalLM

    return "cache" if "cache" in inspect.signature(LlamaForCausalLM.forward).parameters else "past_key_values"


_CACHE_ARG = _cache_arg_name()


def alpha_bar(t: int, num_steps: int = NUM_DIFFUSION_STEPS) -> float:
    """ᾱ_t = Π_{k ≤ t} (1 − β_k) for the official sigmoid schedule (t is 0-based, as in the VCD code)."""
    if not 0 <= t < num_steps:
        raise ValueError(f"VCD noise step must be in [0, {num_steps - 1}], got {t}")
    betas = torch.sigmoid(torch.linspace(-6, 6, num_steps)) * (0.5e-2 - 1e-5) + 1e-5  # (S,)
    return float(torch.cumprod(1 - betas, dim=0)[t])


def diffusion_noise(pixel_values: torch.Tensor, t: int = 500, generator: torch.Generator | None = None) -> torch.Tensor:
    """v' = √ᾱ_t · v + √(1 − ᾱ_t) · ε, ε ~ N(0, I), same shape as `pixel_values` (any shape)."""
    a = alpha_bar(t)
    noise = torch.randn(pixel_values.shape, generator=generator, dtype=pixel_values.dtype, device="cpu")
    return math.sqrt(a) * pixel_values + math.sqrt(1 - a) * noise.to(pixel_values.device)


def distorted_pixels(pixel_values: torch.Tensor, seeds: list[int], t: int, what: str, model_name: str,
                     fix: str) -> torch.Tensor:
    """VCD's distorted image v' for a batch: each row's pixel tensor diffusion-noised at step t with its own seed
    (so a request's noise does not depend on its batch). (B, ...) → (B, ...) in the input's dtype. Models whose
    processor packs all images' patch rows into one tensor (Qwen-VL: (N, D) with N ≠ B) are refused:
    InputError '<what> noises one pixel tensor per image, but <model>'s processor packs …; <fix>'."""
    from hero.io import InputError

    if pixel_values.shape[0] != len(seeds):
        raise InputError(f"{what} noises one pixel tensor per image, but {model_name}'s processor packs "
                         f"{pixel_values.shape[0]} patch rows for {len(seeds)} images; {fix} "
                         "(docs/model-families.md)")
    rows = [diffusion_noise(pixel_values[b: b + 1].float(), t, torch.Generator().manual_seed(s))
            for b, s in enumerate(seeds)]
    return torch.cat(rows).to(pixel_values.dtype)  # (B, ...)


def vcd_logits(clean: torch.Tensor, distorted: torch.Tensor, alpha: float = 1.0, beta: float = 0.1) -> torch.Tensor:
    """Contrastive logits with the adaptive plausibility cut-off; shapes (B, V) → (B, V).

    Example (worked): clean = [2, 1, −1], distorted = [2, −1, −1], α = 1, β = 0.1:
    contrast = 2·clean − distorted = [2, 3, −1]; cut-off = ln 0.1 + 2 = −0.303 → token 2 (logit −1) is removed:
    result [2, 3, −inf].
    """
    if alpha < 0 or not 0 < beta <= 1:
        raise ValueError(f"VCD needs α ≥ 0 and 0 < β ≤ 1, got α={alpha}, β={beta}")
    contrast = (1 + alpha) * clean - alpha * distorted  # (B, V)
    cutoff = math.log(beta) + clean.max(dim=-1, keepdim=True).values  # (B, 1)
    return contrast.masked_fill(clean < cutoff, float("-inf"))


class VCDLogitsProcessor:
    """A `transformers` logits processor that runs the distorted-image branch alongside `generate`.

    It keeps its own KV cache for the distorted branch: on the first call it encodes the whole prompt with the
    distorted pixels; later calls feed only the newest token. Position ids follow the prompt's attention mask (left
    padding), extended by one per generated token, as `generate` does for the clean branch.
    """

    def __init__(self, model, input_ids: torch.Tensor, attention_mask: torch.Tensor, distorted_inputs: dict,
                 alpha: float = 1.0, beta: float = 0.1):
        self.model, self.alpha, self.beta = model, alpha, beta
        self.prompt_len = input_ids.shape[1]
        self.mask = attention_mask.clone()  # (B, T0)
        self.first = {"input_ids": input_ids, **distorted_inputs}
        self.past = None

    @torch.inference_mode()
    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if self.past is None:
            kwargs = dict(self.first)
        else:
            ones = torch.ones_like(self.mask[:, :1])
            self.mask = torch.cat([self.mask, ones], dim=1)  # (B, T)
            kwargs = {"input_ids": input_ids[:, -1:]}
        pos = (self.mask.long().cumsum(-1) - 1).clamp(min=0)  # (B, T)
        if self.past is not None:
            pos = pos[:, -1:]
        out = self.model(**kwargs, attention_mask=self.mask, position_ids=pos, **{_CACHE_ARG: self.past},
                         use_cache=True)
        self.past = getattr(out, "cache", None) if _CACHE_ARG == "cache" else out.past_key_values
        if self.past is None:
            raise RuntimeError("VCD: the model returned no KV cache for the distorted branch")
        distorted = out.logits[:, -1, :].to(scores.dtype)  # (B, V)
        return vcd_logits(scores, distorted[:, : scores.shape[-1]], self.alpha, self.beta)
