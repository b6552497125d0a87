"""Samples of `hero trap` (rows of samples.jsonl) → the summary dict written to summary.json.

Schema ``hero.trap.summary/1`` (all entropies in nats; every undefined value is null, never 0):

    {
      "schema": "hero.trap.summary/1",
      "entropy_kind": "binary" | "full" | "semantic",    "entropy_field": "entropy_<kind>",
      "entropy_edges": [0.0, 0.1, ..., 0.693...],   "trap_threshold": 0.3,   "ece_bins": 15,
      "bootstrap": {"n_boot": 1000, "level": 0.95, "seed": 0},
      "n_samples": int,                      # samples summarised (all groups)
      "groups": [                            # one record per (degradation spec, T), sorted by T then spec
        {"key": "degrade=noise:30,T=1.0", "degrade": "noise:30", "op": "noise", "level": 30,
         "sigma": 30 (σ of a noise-only spec, 0 for "none"; null otherwise), "temperature": 1.0,
         "n": int, "n_unparseable": int, "accuracy": float, "accuracy_ci": [lo, hi], "yes_ratio": float,
         "mean_entropy": float, "median_entropy": float,
         "entropy_bins": [{"lower", "upper" (null = +inf), "count", "share", "accuracy", "ci"}, ...],
         "trap": {"threshold", "count", "share", "accuracy", "ci"},
         "by_prior": {"consistent"|"violating"|"none": {"n", "accuracy", "trap": {"count", "share", "accuracy"}}},
         "calibration": {"ece", "adaptive_ece", "mce", "brier", "auroc", "auroc_note", "aurc",
                         "reliability": [{"lower", "upper", "count", "confidence", "accuracy"}, ...]}}, ...],
      "trend": [                             # one record per (T, single-op family): least-squares slopes across
        {"temperature": 1.0, "op": "noise",  # the family's levels; the clean group ("none") is its level-0 point
         "levels": [...], "mean_entropy": [...], "accuracy": [...],
         "entropy_slope": float|null, "accuracy_slope": float|null,   # per unit level
         # noise family only, for older readers: "sigmas" (= levels), "entropy_slope_per_sigma",
         # "accuracy_slope_per_sigma" (= the slopes)
        }],                                  # composed specs (noise:30+blur:1) are groups but in no trend line
      "conventions": {...}                   # bin sides, confidence, tie handling, in words
    }

The runner adds "run" (its manifest) and "missing_images" ({"count", "ids", "files"}) before writing the file.
Rows are grouped by their canonical `degrade` spec (rows written before specs existed have only `sigma` and read
as noise:σ). Definitions: correct = (answer == label), so an unparseable answer ("") counts as wrong; yes_ratio =
answers "yes" / n (all answers, as the official POPE script); confidence of the answer actually given, renormalised
over yes/no: c = p_answer / (p_yes + p_no); an unparseable answer gets max(p_yes, p_no) / (p_yes + p_no) (and is
wrong); p_yes + p_no = 0 gives c = 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hero.degrade import Degradation
from hero.trap import metrics as M
from hero.trap.prior import by_prior

SUMMARY_SCHEMA = "hero.trap.summary/1"
ENTROPY_KINDS = ("binary", "full", "semantic")
CONVENTIONS = {
    "entropy_bins": "right-closed: lower < H ≤ upper (first bin also holds H = lower); values above the last edge "
                    "(beyond 1e-9) go to the overflow row whose upper is null",
    "trap": "accuracy of samples with entropy ≤ threshold",
    "confidence": "c = p_answer / (p_yes + p_no) for the answer given; unparseable: max(p_yes, p_no) / (p_yes + "
                  "p_no), counted wrong; no yes/no mass: 0.5",
    "confidence_bins": "equal-width, left-closed: lower ≤ c < upper, last bin also holds c = 1",
    "adaptive_ece": "equal-mass bins over confidence-sorted samples (numpy.array_split), min(bins, n) groups",
    "auroc": "Mann–Whitney with average ranks (ties count 1/2); null with a note if all correct or all wrong",
    "aurc": "equal confidences accepted together; right Riemann sum of the risk–coverage step curve",
    "ci": "percentile bootstrap of the mean (seeded)",
    "slopes": "per temperature and single-op family: least squares of the per-level value on the level (σ on the "
              "0–255 pixel scale for noise), per unit level; the clean group is level 0 of every family",
    "groups": "one per canonical degradation spec (hero.degrade) and temperature",
    "by_prior": "samples split by their prior tag (hero.trap.prior: consistent = the world's co-occurrence prior "
                "predicts the category present and it is, violating = predicts present and it is absent, none = "
                "no prediction or no tag); trap = the confident bin (entropy ≤ threshold) within the tag",
}


@dataclass
class SummarySettings:
    """How samples are summarised (shared by `hero trap` and `hero trap compare`; free to change between reruns)."""

    entropy: str | None = None
    """Entropy the bins, trap score and trend use: "binary" (renormalised yes/no), "full" (whole vocabulary) or
    "semantic" (the semantic entropy of a `hero trap --confidence semantic` run's sampled CoTs, ≤ ln k: values
    above the last --entropy-edges edge go to the overflow row). Not given: semantic for a --confidence semantic
    run, else binary."""
    entropy_edges: list[float] | None = None
    """Entropy-bin edges in nats; None = 0, 0.1, ..., 0.6, ln 2. Values above the last edge get an overflow row."""
    trap_threshold: float = 0.3
    """Trap score = accuracy of samples with entropy ≤ this (nats)."""
    ece_bins: int = 15
    """Equal-width (ECE, MCE) and equal-mass (adaptive ECE) confidence bins."""
    n_boot: int = 1000
    """Bootstrap resamples for the CIs."""
    ci_level: float = 0.95
    """Confidence level of the bootstrap intervals."""

    def __post_init__(self) -> None:
        if isinstance(self.entropy_edges, str):
            self.entropy_edges = [float(v) for v in self.entropy_edges.split(",") if v.strip()]
        if self.entropy is not None and self.entropy not in ENTROPY_KINDS:
            raise ValueError(f"unknown --entropy kind {self.entropy!r}; use one of {', '.join(ENTROPY_KINDS)}")
        edges = self.entropy_edges or list(M.DEFAULT_ENTROPY_EDGES)
        if len(edges) < 2 or edges[0] < 0 or any(b <= a for a, b in zip(edges, edges[1:])):
            raise ValueError(f"bad --entropy-edges {edges}: need ≥ 2 strictly increasing values ≥ 0, e.g. "
                             "0,0.1,0.3,0.6931")
        if not self.trap_threshold >= 0:
            raise ValueError(f"--trap-threshold must be ≥ 0 nats, got {self.trap_threshold}")
        if self.ece_bins < 1 or self.n_boot < 1:
            raise ValueError("--ece-bins and --n-boot must be ≥ 1")
        if not 0 < self.ci_level < 1:
            raise ValueError(f"--ci-level must lie in (0, 1), got {self.ci_level}")

    def kwargs(self, seed: int) -> dict:
        """Keyword arguments of `summarize` (the bootstrap seeded by `seed`)."""
        return {"entropy_kind": self.entropy or "binary", "edges": self.entropy_edges, "threshold": self.trap_threshold,
                "ece_bins": self.ece_bins, "n_boot": self.n_boot, "level": self.ci_level, "seed": seed}


def group_key(degrade: str | float, temperature: float) -> str:
    """'degrade=noise:30,T=1.0' — the canonical spec (a number means noise σ), T as a Python float."""
    return f"degrade={_spec(degrade)},T={float(temperature)!r}"


@lru_cache(maxsize=4096)
def _spec(text: str | float) -> str:
    return str(Degradation.parse(text))


def row_degrade(row: dict) -> str:
    """A sample row's canonical degradation spec; rows without `degrade` (older runs) read as noise:<sigma>."""
    d = row.get("degrade")
    if d is None:
        if row.get("sigma") is None:
            raise ValueError(f"sample {row.get('id')!r}: needs a 'degrade' spec (or, in older runs, 'sigma')")
        d = float(row["sigma"])
    return _spec(d)


def spec_order(spec: str) -> tuple:
    """Sort key of specs: the identity first, then by family, then by level (composed specs by their string)."""
    d = Degradation.parse(spec)
    return (not d.is_identity, d.family, d.level if d.level is not None else 0.0, str(d))


def confidence(p_yes: np.ndarray, p_no: np.ndarray, answers: Sequence[str]) -> np.ndarray:
    """Confidence of the answer given, renormalised over yes/no: p_answer / (p_yes + p_no); unparseable ('') →
    the larger of the pair; no mass → 0.5. p_yes [0.6], p_no [0.2], answer 'no' → 0.2 / 0.8 = 0.25.
    (N,), (N,), N answers → (N,)."""
    total = p_yes + p_no  # (N,)
    safe = np.where(total > 0, total, 1.0)
    q_yes = np.where(total > 0, p_yes / safe, 0.5)  # (N,)
    q_no = np.where(total > 0, p_no / safe, 0.5)  # (N,)
    a = np.asarray(answers, dtype=object)
    return np.where(a == "yes", q_yes, np.where(a == "no", q_no, np.maximum(q_yes, q_no))).astype(float)


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
            raise ValueError(f"sample {s.get('id')!r} ({s.get('degrade', s.get('sigma'))}, T={s.get('temperature')}): "
                             f"field {field!r} is missing or null")
        out.append(v)
    return np.asarray(out, dtype=kind)


def summarize_group(samples: Sequence[dict], entropy_field: str, edges: Sequence[float], threshold: float,
                    ece_bins: int, n_boot: int, level: float, seed: int) -> dict:
    """Metrics of one (spec, T) group of samples (see the module docstring for the record's fields)."""
    ok = _column(samples, "correct", bool)
    h = _column(samples, entropy_field)
    p_yes, p_no = _column(samples, "p_yes"), _column(samples, "p_no")
    answers = [s.get("answer") or "" for s in samples]
    conf = confidence(p_yes, p_no, answers)  # (N,)
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
        "by_prior": by_prior([s.get("prior") or "none" for s in samples], ok, h, threshold),
        "calibration": {
            "ece": M.ece(conf, ok, ece_bins), "adaptive_ece": M.adaptive_ece(conf, ok, ece_bins),
            "mce": M.mce(conf, ok, ece_bins), "brier": M.brier(conf, ok),
            "auroc": auroc, "auroc_note": note, "aurc": M.aurc(conf, ok),
            "reliability": M.reliability_table(conf, ok, ece_bins),
        },
    }


def trend_families(groups: Sequence[dict]) -> list[str]:
    """Single-op families among the groups, noise first; only the clean group → ['noise'] (σ = 0)."""
    single = {g["op"] for g in groups if g["op"] != "none" and "+" not in g["op"]}
    fams = sorted(single, key=lambda f: (f != "noise", f))
    return fams or (["noise"] if any(g["op"] == "none" for g in groups) else [])


def trend(groups: Sequence[dict]) -> list[dict]:
    """Per temperature and single-op family: mean entropy and accuracy per level (ascending, the clean group at
    level 0) and their least-squares slopes across the levels. The noise family keeps the older σ keys."""
    out = []
    for t in sorted({g["temperature"] for g in groups}):
        at_t = [g for g in groups if g["temperature"] == t]
        for fam in trend_families(at_t):
            gs = sorted((g for g in at_t if g["op"] in ("none", fam)), key=lambda g: g["level"])
            lv = [g["level"] for g in gs]
            ent, acc = [g["mean_entropy"] for g in gs], [g["accuracy"] for g in gs]
            rec = {"temperature": t, "op": fam, "levels": lv, "mean_entropy": ent, "accuracy": acc,
                   "entropy_slope": M.ls_slope(lv, ent), "accuracy_slope": M.ls_slope(lv, acc)}
            if fam == "noise":
                rec.update(sigmas=lv, entropy_slope_per_sigma=rec["entropy_slope"],
                           accuracy_slope_per_sigma=rec["accuracy_slope"])
            out.append(rec)
    return out


def split_groups(samples: Sequence[dict]) -> dict[tuple[str, float], list[dict]]:
    """Samples grouped by (canonical spec, T as float), keys sorted by T then `spec_order`."""
    groups: dict[tuple[str, float], list[dict]] = {}
    for s in samples:
        if s.get("temperature") is None:
            raise ValueError(f"sample {s.get('id')!r}: field 'temperature' is required")
        groups.setdefault((row_degrade(s), float(s["temperature"])), []).append(s)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][1], spec_order(kv[0][0]))))


def summarize(samples: Sequence[dict], entropy_kind: str = "binary", edges: Sequence[float] | None = None,
              threshold: float = 0.3, ece_bins: int = 15, n_boot: int = 1000, level: float = 0.95,
              seed: int = 0) -> dict:
    """The summary dict of a run (schema in the module docstring). `edges` None → metrics.DEFAULT_ENTROPY_EDGES."""
    if entropy_kind not in ENTROPY_KINDS:
        raise ValueError(f"unknown entropy kind {entropy_kind!r}; choose one of {ENTROPY_KINDS}")
    edges = [float(e) for e in (M.DEFAULT_ENTROPY_EDGES if edges is None else edges)]
    field = f"entropy_{entropy_kind}"
    lacking = next((s for s in samples if s.get(field) is None), None) if entropy_kind == "semantic" else None
    if lacking is not None:
        raise ValueError(f"--entropy semantic: sample {lacking.get('id')!r} has no entropy_semantic (only "
                         "`hero trap --confidence semantic` runs have it); use --entropy binary or full")
    groups = []
    for (spec, t), rows in split_groups(samples).items():
        d = Degradation.parse(spec)
        rec = {"key": group_key(spec, t), "degrade": spec, "op": d.family,
               "level": None if d.level is None else _num(d.level),
               "sigma": None if d.sigma is None else _num(d.sigma), "temperature": t}
        rec.update(summarize_group(rows, field, edges, threshold, ece_bins, n_boot, level, seed))
        groups.append(rec)
    return {
        "schema": SUMMARY_SCHEMA, "entropy_kind": entropy_kind, "entropy_field": field, "entropy_edges": edges,
        "trap_threshold": float(threshold), "ece_bins": int(ece_bins),
        "bootstrap": {"n_boot": int(n_boot), "level": float(level), "seed": int(seed)},
        "n_samples": len(samples), "groups": groups, "trend": trend(groups), "conventions": dict(CONVENTIONS),
    }
