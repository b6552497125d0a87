"""Pure metrics of `hero trap`: entropy bins, bootstrap CIs, the trap score, calibration and selective prediction.

Every function takes plain numpy arrays / numbers and returns plain floats, lists and dicts (JSON-ready).
A value that is undefined (empty bin, AUROC with one class only, ...) is ``None``, never 0.

Conventions (stated once, tested in tests/test_trap_metrics.py):
* Entropy is in nats. Entropy bins are **right-closed**: bin i holds lower_i < H ≤ upper_i, the first bin also
  holds H = edges[0]. So the bins up to 0.3 hold exactly the samples with H ≤ 0.3 (the trap bin). A value up to
  ``EDGE_TOL`` above the last edge counts in the last bin (float round-off of ln 2); larger values fall in an
  overflow row (upper = None).
* Confidence bins (ECE, MCE, reliability) are **left-closed**: bin j holds j/n ≤ c < (j+1)/n, the last bin also
  holds c = 1 (torchmetrics' bucketize convention, except that torchmetrics gives c = 1 a bin of its own).
* AUROC = Mann–Whitney U / (n_pos · n_neg) with average ranks for ties (a tie counts one half).
* Risk–coverage: samples are accepted in order of decreasing confidence; samples with equal confidence are
  accepted together (a confidence threshold cannot split them), so the curve has one point per distinct confidence.
  AURC = Σ_g (coverage_g − coverage_{g−1}) · risk_g (right Riemann sum of that step curve, coverage_0 = 0). With
  no ties it equals the usual mean over k = 1..N of the risk of the k most confident samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

LN2 = math.log(2.0)
DEFAULT_ENTROPY_EDGES: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, LN2)
"""Default entropy-bin edges in nats for the binary answer entropy (its maximum is ln 2)."""
EDGE_TOL = 1e-9
"""Tolerance above the last entropy edge and below the first (float round-off)."""


def binary_entropy(p: np.ndarray | float) -> np.ndarray:
    """H(p) = −p ln p − (1−p) ln(1−p) in nats, with 0 · ln 0 = 0. Works elementwise; p must lie in [0, 1]."""
    p = np.asarray(p, dtype=float)
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ValueError("binary_entropy: probabilities must lie in [0, 1]")
    import torch

    from hero.mathutil import binary_entropy as h

    return h(torch.from_numpy(p)).numpy()


def _as_bool(correct: Sequence | np.ndarray) -> np.ndarray:
    return np.asarray(correct, dtype=bool).reshape(-1)


def _as_float(x: Sequence | np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=float).reshape(-1)


def bootstrap_ci(values: Sequence | np.ndarray, n_boot: int = 1000, level: float = 0.95,
                 seed: int = 0) -> list[float] | None:
    """Percentile bootstrap CI of the mean of `values`: [lo, hi], or None for no values.

    Resamples with replacement `n_boot` times (numpy default_rng(seed)), takes the mean of each resample and returns
    the (1−level)/2 and (1+level)/2 quantiles (numpy's linear interpolation). Deterministic for a given seed.
    """
    x = _as_float(values)
    if x.size == 0:
        return None
    if n_boot < 1 or not 0 < level < 1:
        raise ValueError("bootstrap_ci: need n_boot ≥ 1 and 0 < level < 1")
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // x.size)  # bound memory: ≤ 2M indices at a time
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, x.size, size=(stop - start, x.size))  # (chunk, N)
        means[start:stop] = x[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return [float(lo), float(hi)]


def _mean_or_none(x: np.ndarray) -> float | None:
    return float(x.mean()) if x.size else None


def entropy_bin_index(entropy: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Right-closed bin index of each entropy for `edges` (len K+1): 0..K−1, or K for overflow (> last edge).

    Values below edges[0] − EDGE_TOL raise ValueError (an entropy cannot be negative).
    """
    e = np.asarray(edges, dtype=float)
    h = _as_float(entropy)
    if e.size < 2 or np.any(np.diff(e) <= 0):
        raise ValueError(f"entropy edges must be ≥ 2 strictly increasing numbers, got {list(edges)}")
    if np.any(h < e[0] - EDGE_TOL) or np.any(np.isnan(h)):
        raise ValueError(f"entropy values must be ≥ {e[0]} (got min {np.nanmin(h) if h.size else None})")
    idx = np.searchsorted(e, h, side="left") - 1  # lower < h ≤ upper → i
    idx = np.clip(idx, 0, None)  # h ≤ edges[0] (incl. tolerance) → first bin
    idx[(h > e[-1]) & (h <= e[-1] + EDGE_TOL)] = e.size - 2
    return idx  # (N,)


def entropy_bin_table(entropy: Sequence | np.ndarray, correct: Sequence | np.ndarray,
                      edges: Sequence[float] = DEFAULT_ENTROPY_EDGES, n_boot: int = 1000,
                      level: float = 0.95, seed: int = 0) -> list[dict]:
    """One row per entropy bin plus an overflow row: lower, upper (None = +∞), count, share, accuracy, ci.

    accuracy and ci are None for an empty bin; share is count / N (None when N = 0).
    """
    h, ok = _as_float(entropy), _as_bool(correct)
    if h.size != ok.size:
        raise ValueError(f"entropy ({h.size}) and correct ({ok.size}) differ in length")
    idx = entropy_bin_index(h, edges)
    bounds = list(zip(edges[:-1], edges[1:])) + [(edges[-1], None)]
    rows = []
    for i, (lo, hi) in enumerate(bounds):
        sel = ok[idx == i]
        rows.append({
            "lower": float(lo), "upper": None if hi is None else float(hi), "count": int(sel.size),
            "share": float(sel.size / h.size) if h.size else None,
            "accuracy": _mean_or_none(sel),
            "ci": bootstrap_ci(sel, n_boot, level, seed),
        })
    return rows


def trap_score(entropy: Sequence | np.ndarray, correct: Sequence | np.ndarray, threshold: float = 0.3,
               n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Accuracy of the confident samples (entropy ≤ threshold) with its bootstrap CI and their share of all samples.

    Returns {threshold, count, share, accuracy, ci}; accuracy/ci None when no sample is that confident,
    share None when there are no samples at all.
    """
    h, ok = _as_float(entropy), _as_bool(correct)
    sel = ok[h <= threshold]
    return {"threshold": float(threshold), "count": int(sel.size),
            "share": float(sel.size / h.size) if h.size else None,
            "accuracy": _mean_or_none(sel), "ci": bootstrap_ci(sel, n_boot, level, seed)}


def confidence_bin_index(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Left-closed equal-width bin of each confidence in [0, 1]: j with j/n ≤ c < (j+1)/n; c = 1 → n − 1."""
    c = _as_float(confidence)
    if np.any((c < 0) | (c > 1)) or np.any(np.isnan(c)):
        raise ValueError("confidences must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.minimum(np.searchsorted(edges, c, side="right") - 1, n_bins - 1)  # (N,)


def reliability_table(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray,
                      n_bins: int = 15) -> list[dict]:
    """Equal-width reliability bins: lower, upper, count, confidence (mean), accuracy — None when empty."""
    c, ok = _as_float(confidence), _as_bool(correct)
    idx = confidence_bin_index(c, n_bins)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    rows = []
    for j in range(n_bins):
        m = idx == j
        rows.append({"lower": float(edges[j]), "upper": float(edges[j + 1]), "count": int(m.sum()),
                     "confidence": _mean_or_none(c[m]), "accuracy": _mean_or_none(ok[m])})
    return rows


def _weighted_gap(groups: list[tuple[np.ndarray, np.ndarray]], n: int) -> tuple[float, float]:
    """Σ_b |acc_b − conf_b| · n_b / n and max_b |acc_b − conf_b| over the non-empty groups (c, ok)."""
    gaps = [(abs(ok.mean() - c.mean()), c.size) for c, ok in groups if c.size]
    return float(sum(g * k for g, k in gaps) / n), float(max(g for g, _ in gaps))


def ece(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray, n_bins: int = 15) -> float | None:
    """Expected calibration error with `n_bins` equal-width left-closed bins; None for no samples."""
    c, ok = _as_float(confidence), _as_bool(correct)
    if c.size == 0:
        return None
    idx = confidence_bin_index(c, n_bins)
    return _weighted_gap([(c[idx == j], ok[idx == j]) for j in range(n_bins)], c.size)[0]


def mce(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray, n_bins: int = 15) -> float | None:
    """Maximum calibration error: the largest |accuracy − confidence| over non-empty equal-width bins."""
    c, ok = _as_float(confidence), _as_bool(correct)
    if c.size == 0:
        return None
    idx = confidence_bin_index(c, n_bins)
    return _weighted_gap([(c[idx == j], ok[idx == j]) for j in range(n_bins)], c.size)[1]


def adaptive_ece(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray,
                 n_bins: int = 15) -> float | None:
    """Adaptive (equal-mass) ECE: sort by confidence (stable) and split into min(n_bins, N) groups whose sizes
    differ by at most one (numpy.array_split; the first groups get the extra sample). Equal confidences may land
    in neighbouring groups. None for no samples."""
    c, ok = _as_float(confidence), _as_bool(correct)
    if c.size == 0:
        return None
    order = np.argsort(c, kind="stable")
    parts = np.array_split(order, min(n_bins, c.size))
    return _weighted_gap([(c[p], ok[p]) for p in parts], c.size)[0]


def brier(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray) -> float | None:
    """Brier score of confidence against correctness: mean (c − 1[correct])². None for no samples.

    For a yes/no answer with p_yes + p_no = 1 and the answer = the more probable option this equals the usual
    binary Brier score mean (p_yes − 1[label = yes])².
    """
    c, ok = _as_float(confidence), _as_bool(correct)
    return float(np.mean((c - ok) ** 2)) if c.size else None


def average_ranks(x: Sequence | np.ndarray) -> np.ndarray:
    """1-based ranks of `x` with ties given the mean of the ranks they span (like scipy.stats.rankdata)."""
    x = _as_float(x)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.r_[0, np.flatnonzero(np.diff(xs)) + 1]  # first index of each tie group
    ends = np.r_[starts[1:], xs.size]
    ranks_sorted = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # mean of ranks start+1..end
    ranks = np.empty(x.size)
    ranks[order] = ranks_sorted
    return ranks


def auroc(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray) -> tuple[float | None, str | None]:
    """AUROC of confidence for telling correct from wrong answers, and a note when undefined.

    AUROC = (R₊ − n₊(n₊+1)/2) / (n₊ n₋), R₊ = sum of the average ranks of the correct samples. Returns (None, note)
    when all samples are correct, all wrong, or there are none.
    """
    c, ok = _as_float(confidence), _as_bool(correct)
    n_pos, n_neg = int(ok.sum()), int((~ok).sum())
    if n_pos == 0 or n_neg == 0:
        what = "no samples" if c.size == 0 else ("all answers correct" if n_neg == 0 else "all answers wrong")
        return None, f"AUROC undefined: {what} (needs both correct and wrong answers)"
    r_pos = average_ranks(c)[ok].sum()
    return float((r_pos - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)), None


def risk_coverage(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray) -> dict:
    """Risk–coverage curve with tied confidences accepted together: {threshold, coverage, risk} lists.

    Point g: accept every sample with confidence ≥ threshold_g (thresholds = distinct confidences, descending);
    coverage_g = accepted / N, risk_g = wrong among accepted / accepted. Empty lists for no samples.
    """
    c, ok = _as_float(confidence), _as_bool(correct)
    if c.size == 0:
        return {"threshold": [], "coverage": [], "risk": []}
    order = np.argsort(-c, kind="stable")
    cs, wrong = c[order], (~ok[order]).astype(float)
    last = np.r_[np.flatnonzero(np.diff(cs)), cs.size - 1]  # last index of each tie group
    accepted = last + 1.0
    errors = np.cumsum(wrong)[last]
    return {"threshold": cs[last].tolist(), "coverage": (accepted / c.size).tolist(),
            "risk": (errors / accepted).tolist()}


def aurc(confidence: Sequence | np.ndarray, correct: Sequence | np.ndarray) -> float | None:
    """Area under the risk–coverage curve (lower is better); see the module docstring for ties. None if empty."""
    rc = risk_coverage(confidence, correct)
    if not rc["coverage"]:
        return None
    cov = np.asarray(rc["coverage"])
    widths = np.diff(np.r_[0.0, cov])
    return float(np.sum(widths * np.asarray(rc["risk"])))


def ls_slope(x: Sequence[float], y: Sequence[float | None]) -> float | None:
    """Least-squares slope of y on x, Σ(x−x̄)(y−ȳ) / Σ(x−x̄)²; points with y None are dropped.

    None when fewer than two distinct x remain.
    """
    pts = [(float(a), float(b)) for a, b in zip(x, y) if b is not None]
    xs = np.array([p[0] for p in pts])
    ys = np.array([p[1] for p in pts])
    if xs.size < 2 or np.ptp(xs) == 0:
        return None
    dx = xs - xs.mean()
    return float(np.sum(dx * (ys - ys.mean())) / np.sum(dx * dx))
