"""Paired comparison of two models on the same questions (issue 13's statistics): a paired bootstrap CI of the
accuracy difference and McNemar's exact test. Pure functions over 0/1 arrays aligned by question.

Why paired: two models answering the same questions are correlated; comparing their separate CIs wastes that and
can miss a real difference (or see one that is not there). Resampling *questions* — the same index for both models
— keeps the pairing (Efron & Tibshirani 1993, ch. 16); McNemar's test uses only the discordant questions (McNemar
1947), exact binomial form (Fagerland et al. 2013 recommend it for small discordant counts; it is valid for all).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import comb

import numpy as np

from hero.trap.metrics import bootstrap_ci


def _pair(a: Sequence | np.ndarray, b: Sequence | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=bool).reshape(-1), np.asarray(b, dtype=bool).reshape(-1)  # (N,), (N,)
    if a.shape != b.shape:
        raise ValueError(f"paired comparison needs the same questions: {a.size} vs {b.size} answers")
    return a, b


def discordant(a: Sequence | np.ndarray, b: Sequence | np.ndarray) -> tuple[int, int]:
    """(n10, n01): questions A gets right and B wrong, and the reverse."""
    a, b = _pair(a, b)
    return int(np.sum(a & ~b)), int(np.sum(~a & b))


def mcnemar_exact_p(n10: int, n01: int) -> float:
    """Two-sided exact McNemar p-value: under H0 each discordant question favours A with probability 1/2, so
    p = min(1, 2 · P(Binomial(n10 + n01, 1/2) ≤ min(n10, n01))); 1.0 without discordant questions.
    mcnemar_exact_p(10, 0) = 2 · 1/2¹⁰ = 0.001953125; mcnemar_exact_p(2, 1) = min(1, 2 · (1 + 3)/8) = 1.0."""
    n, k = n10 + n01, min(n10, n01)
    if n == 0:
        return 1.0
    tail = Fraction(sum(comb(n, i) for i in range(k + 1)), 2 ** n)  # exact: no overflow for large n
    return float(min(Fraction(1), 2 * tail))


def paired_bootstrap_ci(a: Sequence | np.ndarray, b: Sequence | np.ndarray, n_boot: int = 2000,
                        level: float = 0.95, seed: int = 0) -> list[float] | None:
    """Percentile CI of mean(a) − mean(b), resampling questions with replacement (the same indices for A and B):
    the bootstrap of the per-question differences a_i − b_i ∈ {−1, 0, 1} (`metrics.bootstrap_ci`); None for no
    questions. Deterministic for a seed."""
    a, b = _pair(a, b)
    return bootstrap_ci(a.astype(float) - b.astype(float), n_boot=n_boot, level=level, seed=seed)  # (N,) diffs


def paired_comparison(a: Sequence | np.ndarray, b: Sequence | np.ndarray, n_boot: int = 2000, level: float = 0.95,
                      seed: int = 0) -> dict:
    """{"diff": acc(A) − acc(B), "ci": [lo, hi], "p_mcnemar", "n", "a_only", "b_only"} on the same questions
    (`results.json` → `paired` → "HERO vs GRPO" and the like); diff and ci None for no questions."""
    a, b = _pair(a, b)
    n10, n01 = discordant(a, b)
    diff = float(a.mean() - b.mean()) if a.size else None
    return {"diff": diff, "ci": paired_bootstrap_ci(a, b, n_boot, level, seed), "p_mcnemar": mcnemar_exact_p(n10, n01),
            "n": int(a.size), "a_only": n10, "b_only": n01}


def bin_accuracy_difference(a_correct: np.ndarray, in_a: np.ndarray, b_correct: np.ndarray, in_b: np.ndarray,
                            n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float | None, list | None]:
    """(diff, [lo, hi]): diff = acc(A on A's bin) − acc(B on B's bin), each model on its OWN confident bin (the
    headline trap-bin accuracy), and its paired percentile bootstrap CI — questions resampled with replacement, the
    same indices for A and B, both bin accuracies recomputed per resample (resamples where a bin is empty are
    dropped). diff None if a bin is empty; ci None if no resample has both bins.
    E.g. A right [1, 1, 0, 1] with bin [T, T, F, T] → 3/3 = 1; B right [1, 0, 1, 0] with bin [T, T, T, F] → 2/3;
    diff = 1/3."""
    a, b = np.asarray(a_correct, dtype=float), np.asarray(b_correct, dtype=float)  # (N,)
    ia, ib = np.asarray(in_a, dtype=bool), np.asarray(in_b, dtype=bool)  # (N,)
    if not ia.any() or not ib.any():
        return None, None
    diff = float(a[ia].mean() - b[ib].mean())
    idx = np.random.default_rng(seed).integers(0, a.size, size=(n_boot, a.size))  # (n_boot, N)
    na, nb = ia[idx].sum(1), ib[idx].sum(1)  # (n_boot,) bin sizes per resample
    ok = (na > 0) & (nb > 0)
    if not ok.any():
        return diff, None
    d = (a[idx] * ia[idx]).sum(1)[ok] / na[ok] - (b[idx] * ib[idx]).sum(1)[ok] / nb[ok]  # (n_ok,)
    tail = 100 * (1 - level) / 2
    return diff, [float(np.percentile(d, tail)), float(np.percentile(d, 100 - tail))]


def paired_bin_comparison(a_correct: Sequence | np.ndarray, a_entropy: Sequence | np.ndarray,
                          b_correct: Sequence | np.ndarray, b_entropy: Sequence | np.ndarray, threshold: float = 0.3,
                          n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> dict:
    """Paired comparison of the confident-bin (trap-bin, entropy ≤ threshold) accuracy of A and B on the same
    questions (arrays aligned by question).

    * "diff", "ci": each model's own-bin accuracy difference (the headline metric) with a paired bootstrap CI
      (`bin_accuracy_difference`); "n_bin_a", "n_bin_b": the bins' sizes.
    * "p_mcnemar", "n", "a_only", "b_only": exact McNemar on the questions in BOTH bins (the only questions whose
      bin correctness pairs: "when both are sure, who is right more often"); "intersection" holds that whole
      comparison (`paired_comparison`, its own diff and CI).
    * "all": the plain paired accuracy comparison on every question (no entropy selection)."""
    a, b = _pair(a_correct, b_correct)
    ha, hb = np.asarray(a_entropy, dtype=float).reshape(-1), np.asarray(b_entropy, dtype=float).reshape(-1)
    if ha.shape != a.shape or hb.shape != b.shape:
        raise ValueError(f"one entropy per answer: {a.size} answers, {ha.size} / {hb.size} entropies")
    in_a, in_b = ha <= threshold, hb <= threshold  # (N,) each model's trap bin
    both = in_a & in_b
    inter = paired_comparison(a[both], b[both], n_boot, level, seed)
    diff, ci = bin_accuracy_difference(a, in_a, b, in_b, n_boot, level, seed)
    return {"diff": diff, "ci": ci, "p_mcnemar": inter["p_mcnemar"], "n": inter["n"], "a_only": inter["a_only"],
            "b_only": inter["b_only"], "n_bin_a": int(in_a.sum()), "n_bin_b": int(in_b.sum()),
            "threshold": float(threshold), "intersection": inter, "all": paired_comparison(a, b, n_boot, level, seed)}
