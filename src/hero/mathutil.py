"""Small pure functions shared by scoring, evaluation, RL and the trap metrics (one definition each).

* `binary_entropy(p)`   — H(p) = −p ln p − (1−p) ln(1−p) in nats, 0 · ln 0 = 0 (torch, elementwise);
* `gumbel_perturb(logits, u, T)` — logits / T − log(−log u): its argmax is a draw from softmax(logits / T)
  (the Gumbel-max trick); `gumbel_argmax` takes that argmax.
"""

from __future__ import annotations

import torch


def binary_entropy(p: torch.Tensor) -> torch.Tensor:
    """H(p) = −p ln p − (1−p) ln(1−p) in nats, elementwise; H(0) = H(1) = 0, H(0.5) = ln 2. (...) → (...)."""
    p = p.clamp(0.0, 1.0)
    return -(torch.xlogy(p, p) + torch.xlogy(1 - p, 1 - p))


def count_entropy(counts) -> float:
    """Entropy (nats) of the empirical distribution of counts: −Σ (n / k) ln(n / k), k = Σ n, zero counts adding 0.
    [3, 1] → −(3/4 ln 3/4 + 1/4 ln 1/4) = 0.5623351; [4] → 0.0. Plain floats (no tensors)."""
    import math

    k = sum(counts)
    if k <= 0:
        raise ValueError("count_entropy needs a positive total count")
    return -sum(n / k * math.log(n / k) for n in counts if n > 0) + 0.0  # + 0.0: −0.0 → 0.0


def gumbel_perturb(logits: torch.Tensor, uniforms: torch.Tensor, temperature: float) -> torch.Tensor:
    """logits / T − log(−log u): its argmax is a draw from softmax(logits / T). (B, V), (B, V) → (B, V).

    Example: logits [ln 1, ln 3], T = 1, u = [e^{−1}, e^{−1}] → Gumbel noise −log(−log e^{−1}) = 0 →
    [0, 1.0986]: argmax 1. −inf logits stay −inf.
    """
    return logits / temperature - torch.log(-torch.log(uniforms))


def gumbel_argmax(logits: torch.Tensor, uniforms: torch.Tensor, temperature: float) -> torch.Tensor:
    """Index drawn from softmax(logits / T) with the given uniforms (Gumbel-max). (B, V), (B, V) → (B,)."""
    return gumbel_perturb(logits, uniforms, temperature).argmax(-1)
