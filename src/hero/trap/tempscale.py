"""Temperature scaling for yes/no answers (Guo et al. 2017): one scalar T fitted on validation NLL, applied at test.

The answer distribution over {yes, no} is a softmax of two logits, so only their margin matters:
p_yes = σ(z / T) with z = logit_yes − logit_no = ln(p_yes / p_no) at T = 1. Fitting T minimises the mean negative
log-likelihood of the true labels on a validation set; T > 1 softens an over-confident model, T < 1 sharpens. Pure
functions over arrays; `hero trap` samples carry p_yes and p_no, from which z is recovered exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_EPS = 1e-12


def margins(p_yes: Sequence | np.ndarray, p_no: Sequence | np.ndarray) -> np.ndarray:
    """z = ln(p_yes / p_no) per sample (probabilities clipped to [1e-12, 1]). (N,)"""
    py = np.clip(np.asarray(p_yes, dtype=float), _EPS, 1.0)
    pn = np.clip(np.asarray(p_no, dtype=float), _EPS, 1.0)
    return np.log(py) - np.log(pn)


def nll(z: np.ndarray, label_yes: np.ndarray, temperature: float) -> float:
    """Mean −log p(label) with p_yes = σ(z / T): log σ(x) = −log(1 + e^(−x)) computed stably (logaddexp)."""
    x = np.asarray(z, dtype=float) / temperature  # (N,)
    y = np.asarray(label_yes, dtype=bool)
    return float(np.mean(np.where(y, np.logaddexp(0.0, -x), np.logaddexp(0.0, x))))


def fit_temperature(z: Sequence | np.ndarray, label_yes: Sequence | np.ndarray, lo: float = 0.05, hi: float = 20.0,
                    tol: float = 1e-9) -> float:
    """argmin_T nll(z, labels, T) on [lo, hi], by golden-section search over log T (the NLL is unimodal in log T
    for one scalar). Every z equal to c with a share q of 'yes' labels has the closed form T = c / logit(q):
    c = 2, q = 0.75 → T = 2 / ln 3 = 1.8204784532536746."""
    z, y = np.asarray(z, dtype=float).reshape(-1), np.asarray(label_yes, dtype=bool).reshape(-1)
    if z.size == 0 or z.shape != y.shape:
        raise ValueError(f"fit_temperature: need as many labels as margins, and at least one ({z.size}, {y.size})")
    if not 0 < lo < hi:
        raise ValueError("fit_temperature: need 0 < lo < hi")
    a, b = math.log(lo), math.log(hi)
    g = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618…
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = nll(z, y, math.exp(c)), nll(z, y, math.exp(d))
    while b - a > tol:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = nll(z, y, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = nll(z, y, math.exp(d))
    return math.exp((a + b) / 2.0)


def apply_temperature(p_yes: Sequence | np.ndarray, p_no: Sequence | np.ndarray, temperature: float) -> np.ndarray:
    """p_yes after temperature scaling: σ(z / T). (N,)"""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return 1.0 / (1.0 + np.exp(-margins(p_yes, p_no) / temperature))
