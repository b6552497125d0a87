"""Samples of `hero trap` (rows of samples.jsonl) → the summary dict written to summary.json.

Schema ``hero.trap.summary/1`` (all entropies in nats; every undefined value is null, never 0):

    {
      "schema": "hero.trap.summary/1",
      "entropy_kind": "binary" | "full",    "entropy_field": "entropy_binary" | "entropy_full",
      "entropy_edges": [0.0, 0.1, ..., 0.693...],   "trap_threshold": 0.3,   "ece_bins": 15,
      "bootstrap": {"n_boot": 1000, "level": 0.95, "seed": 0},
      "n_samples": int,                      # samples summarised (all groups)
      "groups": [                            # one record per (σ, T), sorted by T then σ
        {"key": "sigma=30,T=1.0", "sigma": 30, "temperature": 1.0,
         "n": int, "n_unparseable": int, "accuracy": float, "accuracy_ci": [lo, hi], "yes_ratio": float,
         "mean_entropy": float, "median_entropy": float,
         "entropy_bins": [{"lower", "upper" (null = +inf), "count", "share", "accuracy", "ci"}, ...],
         "trap": {"threshold", "count", "share", "accuracy", "ci"},
         "calibration": {"ece", "adaptive_ece", "mce", "brier", "auroc", "auroc_note", "aurc",
                         "reliability": [{"lower", "upper", "count", "confidence", "accuracy"}, ...]}}, ...],
      "trend": [                             # one record per T: least-squares slopes across σ
        {"temperature": 1.0, "sigmas": [...], "mean_entropy": [...], "accuracy": [...],
         "entropy_slope_per_sigma": float|null, "accuracy_slope_per_sigma": float|null}],
      "conventions": {...}                   # bin sides, confidence, tie handling, in words
    }

The runner adds "run" (its manifest) and "missing_images" ({"count", "ids", "files"}) before writing the file.
Definitions: correct = (answer == label), so an unparseable answer ("") counts as wrong; yes_ratio = answers "yes" /
n (all answers, as the official POPE script); confidence c = max(p_yes, p_no).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hero.trap import metrics as M

SUMMARY_SCHEMA = "hero.trap.summary/1"
ENTROPY_KINDS = ("binary", "full")
CONVENTIONS = {
    "entropy_bins": "right-closed: lower < H ≤ upper (first bin also holds H = lower); values above the last edge "
                    "(beyond 1e-9) go to the overflow row whose upper is null",
    "trap": "accuracy of samples with entropy ≤ threshold",
    "confidence": "c = max(p_yes, p_no)",
    "confidence_bins": "equal-width, left-closed: lower ≤ c < upper, last bin also holds c = 1",
    "adaptive_ece": "equal-mass bins over confidence-sorted samples (numpy.array_split), min(bins, n) groups",
    "auroc": "Mann–Whitney with average ranks (ties count 1/2); null with a note if all correct or all wrong",
    "aurc": "equal confidences accepted together; right Riemann sum of the risk–coverage step curve",
    "ci": "percentile bootstrap of the mean (seeded)",
    "slopes": "least squares of the per-σ value on σ (0–255 pixel scale), per unit σ",
}


def group_key(sigma: float, temperature: float) -> str:
    """'sigma=30,T=1.0' — σ without trailing zeros, T as a Python float."""
    return f"sigma={float(sigma):g},T={float(temperature)!r}"


def _num(x: float) -> int | float:
    """30.0 → 30 (σ values read better as integers); other values unchanged."""
    x = float(x)
    return int(x) if x.is_integer() else x


def _column(samples: Sequence[dict], field: str, kind: type = float) -> np.ndarray:
    """samples[i][field] as an array; a missing or null value raises ValueError naming the sample id."""
    out = []
    for s in samples:
        v = s.get(field)
        if v is None:
            raise ValueError(f"sample {s.get('id')!r} (σ={s.get('sigma')}, T={s.get('temperature')}): "
                             f"field {field!r} is missing or null")
        out.append(v)
    return np.asarray(out, dtype=kind)


def summarize_group(samples: Sequence[dict], entropy_field: str, edges: Sequence[float], threshold: float,
                    ece_bins: int, n_boot: int, level: float, seed: int) -> dict:
    """Metrics of one (σ, T) group of samples (see the module docstring for the record's fields)."""
    ok = _column(samples, "correct", bool)
    h = _column(samples, entropy_field)
    p_yes, p_no = _column(samples, "p_yes"), _column(samples, "p_no")
    conf = np.maximum(p_yes, p_no)  # (N,)
    answers = [s.get("answer") or "" for s in samples]
    auroc, note = M.auroc(conf, ok)
    boot = dict(n_boot=n_boot, level=level, seed=seed)
    return {
        "n": len(samples),
        "n_unparseable": sum(1 for s in samples if s.get("parse_status") != "ok"),
        "accuracy": float(ok.mean()) if ok.size else None,
        "accuracy_ci": M.bootstrap_ci(ok, **boot),
        "yes_ratio": answers.count("yes") / len(answers) if answers else None,
        "mean_entropy": float(h.mean()) if h.size else None,
        "median_entropy": float(np.median(h)) if h.size else None,
        "entropy_bins": M.entropy_bin_table(h, ok, edges, **boot),
        "trap": M.trap_score(h, ok, threshold, **boot),
        "calibration": {
            "ece": M.ece(conf, ok, ece_bins), "adaptive_ece": M.adaptive_ece(conf, ok, ece_bins),
            "mce": M.mce(conf, ok, ece_bins), "brier": M.brier(conf, ok),
            "auroc": auroc, "auroc_note": note, "aurc": M.aurc(conf, ok),
            "reliability": M.reliability_table(conf, ok, ece_bins),
        },
    }


def trend(groups: Sequence[dict]) -> list[dict]:
    """Per temperature: mean entropy and accuracy per σ (ascending) and their least-squares slopes across σ."""
    out = []
    for t in sorted({g["temperature"] for g in groups}):
        gs = sorted((g for g in groups if g["temperature"] == t), key=lambda g: g["sigma"])
        sig = [g["sigma"] for g in gs]
        ent, acc = [g["mean_entropy"] for g in gs], [g["accuracy"] for g in gs]
        out.append({"temperature": t, "sigmas": sig, "mean_entropy": ent, "accuracy": acc,
                    "entropy_slope_per_sigma": M.ls_slope(sig, ent),
                    "accuracy_slope_per_sigma": M.ls_slope(sig, acc)})
    return out


def split_groups(samples: Sequence[dict]) -> dict[tuple[float, float], list[dict]]:
    """Samples grouped by (σ, T) as floats, keys sorted by T then σ."""
    groups: dict[tuple[float, float], list[dict]] = {}
    for s in samples:
        if s.get("sigma") is None or s.get("temperature") is None:
            raise ValueError(f"sample {s.get('id')!r}: fields 'sigma' and 'temperature' are required")
        groups.setdefault((float(s["sigma"]), float(s["temperature"])), []).append(s)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])))


def summarize(samples: Sequence[dict], entropy_kind: str = "binary", edges: Sequence[float] | None = None,
              threshold: float = 0.3, ece_bins: int = 15, n_boot: int = 1000, level: float = 0.95,
              seed: int = 0) -> dict:
    """The summary dict of a run (schema in the module docstring). `edges` None → metrics.DEFAULT_ENTROPY_EDGES."""
    if entropy_kind not in ENTROPY_KINDS:
        raise ValueError(f"unknown entropy kind {entropy_kind!r}; choose one of {ENTROPY_KINDS}")
    edges = [float(e) for e in (M.DEFAULT_ENTROPY_EDGES if edges is None else edges)]
    field = f"entropy_{entropy_kind}"
    groups = []
    for (sigma, t), rows in split_groups(samples).items():
        rec = {"key": group_key(sigma, t), "sigma": _num(sigma), "temperature": t}
        rec.update(summarize_group(rows, field, edges, threshold, ece_bins, n_boot, level, seed))
        groups.append(rec)
    return {
        "schema": SUMMARY_SCHEMA, "entropy_kind": entropy_kind, "entropy_field": field, "entropy_edges": edges,
        "trap_threshold": float(threshold), "ece_bins": int(ece_bins),
        "bootstrap": {"n_boot": int(n_boot), "level": float(level), "seed": int(seed)},
        "n_samples": len(samples), "groups": groups, "trend": trend(groups), "conventions": dict(CONVENTIONS),
    }
