"""VCD pure functions against hand-computed values and the official schedule."""

from __future__ import annotations

import math

import pytest
import torch

from hero.decoding.vcd import alpha_bar, diffusion_noise, vcd_logits


def test_vcd_logits_worked_example():
    clean = torch.tensor([[2.0, 1.0, -1.0]])
    distorted = torch.tensor([[2.0, -1.0, -1.0]])
    # contrast = 2·[2,1,-1] − [2,-1,-1] = [2, 3, -1]; cutoff = ln(0.1) + 2 = -0.3026 → token 2 (clean -1) masked
    out = vcd_logits(clean, distorted, alpha=1.0, beta=0.1)
    assert out[0, :2].tolist() == [2.0, 3.0] and out[0, 2].item() == float("-inf")
    # α = 0 gives the clean logits back wherever they pass the cut-off
    assert vcd_logits(clean, distorted, alpha=0.0, beta=0.1)[0, :2].tolist() == [2.0, 1.0]
    with pytest.raises(ValueError):
        vcd_logits(clean, distorted, beta=0.0)


def test_alpha_bar_schedule_endpoints():
    # β_0 = sigmoid(-6)·(5e-3 − 1e-5) + 1e-5 = 0.0024726·0.00499 + 1e-5 = 2.2338e-5 → ᾱ_0 = 1 − β_0
    b0 = 1 / (1 + math.exp(6)) * (0.5e-2 - 1e-5) + 1e-5
    assert alpha_bar(0) == pytest.approx(1 - b0, rel=1e-6)
    assert 0 < alpha_bar(999) < alpha_bar(500) < alpha_bar(0) < 1
    with pytest.raises(ValueError):
        alpha_bar(1000)


def test_diffusion_noise_moments():
    x = torch.full((200_000,), 2.0)
    g = torch.Generator().manual_seed(0)
    y = diffusion_noise(x, t=500, generator=g)
    a = alpha_bar(500)
    assert y.mean().item() == pytest.approx(2 * math.sqrt(a), abs=0.01)
    assert y.std().item() == pytest.approx(math.sqrt(1 - a), rel=0.01)
