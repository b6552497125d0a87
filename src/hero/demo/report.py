"""The demo's report: the replication table, HERO's training curves, and the trap figures of every model.

Rows come in as plain dicts (one per model) of the shape
    {"trap": {"0": {"accuracy", "ci", "share", "count", "mean_entropy"}, "30": ..., "50": ...},
     "pope": {"random": {"accuracy", "f1"}, "popular": ..., "adversarial": ...},
     "amber": {"CHAIR", "Cover", "Hal", "F1"}, "chair": {"CHAIRs", "CHAIRi"}, "throne": {"P", "R", "F0_5"},
     "train_minutes": float | None}
Missing parts render as '—' (not measured), never as 0.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from hero.trap.report import Section, fmt, fmt_ci

SIGMAS = ("0", "30", "50")
POPE_SPLITS = ("random", "popular", "adversarial")


def trap_cells(summary: dict, temperature: float | None = None) -> dict[str, dict]:
    """Per σ (as '0', '30', '50'): trap accuracy, CI, share, count and mean entropy from a hero.trap summary — the
    groups of a single σ op (noise or grain, hero.degrade.pixel_sigma; the demo runs one of them)."""
    from hero.degrade import pixel_sigma

    groups = summary["groups"]
    if temperature is None:
        temperature = groups[0]["temperature"]
    out = {}
    for g in groups:
        sigma = pixel_sigma(g["degrade"])  # 'none' = σ 0
        if g["temperature"] == temperature and sigma is not None:
            t = g["trap"]
            out[f"{sigma:g}"] = {"accuracy": t["accuracy"], "ci": t["ci"], "share": t["share"],
                                             "count": t["count"], "mean_entropy": g["mean_entropy"],
                                             "accuracy_all": g["accuracy"]}
    return out


def _get(d: dict | None, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def replication_table(rows: dict[str, dict]) -> Section:
    """The paper's table: one row per model (SFT, SFT+VCD, SFT+T, DPO, GRPO, HERO, ...)."""
    headers = ["model"]
    headers += [f"trap acc σ={s} [95% CI] (share)" for s in SIGMAS]
    headers += [f"mean H σ={s}" for s in SIGMAS]
    headers += [f"POPE {p[:3]} acc / F1" for p in POPE_SPLITS]
    headers += ["AMBER CHAIR", "Cover", "Hal", "AMBER F1", "CHAIR_s", "CHAIR_i", "THRONE F½ (P / R)", "train min"]
    body = []
    for name, r in rows.items():
        cells = [name]
        for s in SIGMAS:
            t = _get(r, "trap", s)
            cells.append("—" if t is None else f"{fmt_ci(t['accuracy'], t['ci'])} ({fmt(t['share'], 2)})")
        cells += [fmt(_get(r, "trap", s, "mean_entropy")) for s in SIGMAS]
        for p in POPE_SPLITS:
            acc, f1 = _get(r, "pope", p, "accuracy"), _get(r, "pope", p, "f1")
            cells.append("—" if acc is None else f"{fmt(acc)} / {fmt(f1)}")
        cells += [fmt(_get(r, "amber", k), 1) for k in ("CHAIR", "Cover", "Hal", "F1")]
        cells += [fmt(_get(r, "chair", k), 1) for k in ("CHAIRs", "CHAIRi")]
        f05 = _get(r, "throne", "F0_5")
        cells.append("—" if f05 is None else f"{fmt(f05)} ({fmt(_get(r, 'throne', 'P'))} / {fmt(_get(r, 'throne', 'R'))})")
        cells.append(fmt(r.get("train_minutes"), 2))
        body.append(cells)
    return ("table", headers, body)


def steps_section(steps: dict[str, dict[str, int | None]], matched: dict) -> list[Section]:
    """'Optimizer steps' heading, the matching rule and a table of steps per RL run (one column per seed; the key
    '' for a single run)."""
    runs = list(dict.fromkeys(r for per in steps.values() for r in per))
    heads = ["RL run"] + [f"steps{' seed ' + s if s else ''}" for s in steps]
    body = [[r] + [fmt(per.get(r), 0) for per in steps.values()] for r in runs]
    state = {True: "matched", False: "NOT matched (a follower hit its time cap, or an older cached run)",
             None: "not measured"}[matched["matched"]]
    ratios = [r for r in (matched.get("wall_clock_ratio") or {}).values() if r is not None]
    wall = (f" Wall clock: the step-matched runs trained {min(ratios):.2f}–{max(ratios):.2f}× the leader's training "
            "time (within ±10 % = matched at wall-clock too)." if ratios else "")
    return [("h2", "Optimizer steps"), ("p", f"Matched optimizer steps: {matched['rule']}. Steps {state}.{wall}"),
            ("table", heads, body)]


RL_KEYS = ("steps", "gated_share", "hard_negative_share", "beta", "kl_final", "kl_mean")
"""What every RL run reports (its OUT/rl_summary.json): optimizer steps, share of groups gated, share of all-wrong
(hard-negative) groups, final β, final and mean KL (nats/token)."""


def rl_row(summary: dict | None) -> dict:
    """RL_KEYS of one run's rl_summary.json (None where absent: DPO has no gate, an older run no key)."""
    return {k: (summary or {}).get(k) for k in RL_KEYS}


def rl_section(rl: dict[str, dict]) -> list[Section]:
    """'RL runs' heading and a table of RL_KEYS per run (from results.json's `rl`)."""
    heads = ["RL run", "steps", "gated share", "hard-neg. share", "final β", "final KL", "mean KL"]
    body = [[name, fmt(r.get("steps"), 0), fmt(r.get("gated_share"), 3), fmt(r.get("hard_negative_share"), 3),
             fmt(r.get("beta"), 4), fmt(r.get("kl_final"), 4), fmt(r.get("kl_mean"), 4)] for name, r in rl.items()]
    return [("h2", "RL runs"), ("p", "Per run, from its rl_summary.json: optimizer steps, the share of prompt groups "
                                     "the zero-variance gate dropped, the share of all-wrong groups (hard negatives, "
                                     "when on), the final β and the final / mean KL (nats per token). '—' = not "
                                     "measured for that run (DPO: no gate or β schedule logged)."),
            ("table", heads, body)]


def publish(out: Path, files: dict[str, Path]) -> dict[str, Path]:
    """Copy report/report.html and .md to <out>/report.html and .md (plots linked from report/plots)."""
    for kind in ("html", "md"):
        text = Path(files[kind]).read_text(encoding="utf-8")
        (out / f"report.{kind}").write_text(text.replace("](plots/", "](report/plots/"), encoding="utf-8")
    return files


CURVES = (("reward", "mean reward"), ("kl", "KL(π‖π_ref) (nats/token)"), ("hero/beta", "β (KL weight)"),
          ("hero/gated_frac", "gated share of groups"), ("hero/weight_mean", "mean entropy weight"))
EMA_WEIGHT = 0.9
"""Smoothing weight of the training curves' EMA line (≈ the last 10 steps)."""


def ema(values: Sequence[float], weight: float = EMA_WEIGHT) -> list[float]:
    """Bias-corrected exponential moving average (TensorBoard's smoothing): s_t = Σ_i w^(t−i) x_i / Σ_i w^(t−i),
    i.e. m_t = w·m_(t−1) + (1 − w)·x_t from m_(−1) = 0, divided by 1 − w^(t+1) — so the first point is x_0, not
    pulled towards 0. ema([0, 10, 10], 0.5) = [0, 10/1.5, 15/1.75] = [0, 6.667, 8.571]."""
    if not 0 <= weight < 1:
        raise ValueError(f"EMA weight {weight}: must be in [0, 1) (0 = no smoothing)")
    out, m = [], 0.0
    for t, x in enumerate(values):
        m = weight * m + (1.0 - weight) * float(x)
        out.append(m / (1.0 - weight ** (t + 1)))
    return out


def training_curves(histories: dict[str, Sequence[dict]]) -> bytes:
    """PNG of reward, KL, β, gated share and weight per optimizer step, one colour per method (trainer log_history):
    the raw points faint, their EMA (`ema`) as a line."""
    fig = Figure(figsize=(4.2 * len(CURVES), 3.4), dpi=100, layout="constrained")
    axes = fig.subplots(1, len(CURVES))
    for ax, (key, label) in zip(axes, CURVES):
        for k, (name, hist) in enumerate(histories.items()):
            pts = [(h["step"], h[key]) for h in hist
                   if "step" in h and isinstance(h.get(key), (int, float)) and math.isfinite(h[key])]
            if pts:
                steps, vals = zip(*pts)
                ax.plot(steps, vals, ".", color=f"C{k}", alpha=0.35, markersize=4)
                ax.plot(steps, ema(vals), "-", color=f"C{k}", label=name)
        ax.set_title(label)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
