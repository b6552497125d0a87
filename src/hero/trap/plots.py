"""Matplotlib figures of `hero trap` reports (Agg, no pyplot state). Each function returns PNG bytes.

Inputs are plain data, organised as *panels* of labelled *series*, so one function serves both the single-run
report (one panel, one series per σ) and the comparison of several runs (one panel per σ, one series per run).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

DPI = 110
PANEL_W, PANEL_H = 4.6, 3.6
ENTROPY_LABEL = "answer entropy H (nats)"
ACC_LABEL = "accuracy (fraction correct)"
CONF_LABEL = "confidence c = max(p_yes, p_no)"
SIGMA_LABEL = "Gaussian noise σ (0–255 pixel scale)"

Series = dict[str, object]  # label → data of one line
Panel = tuple[str, Series]  # (title, series)


def colours(n: int, sequential: bool) -> list:
    """n distinct colours: viridis steps for ordered series (σ: clean → noisy), tab10 for unordered (runs)."""
    if sequential:
        cmap = colormaps["viridis"]
        return [cmap(0.85 * i / max(1, n - 1)) for i in range(n)]
    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def to_png(fig: Figure) -> bytes:
    """Render `fig` to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _grid(n_rows: int, n_cols: int, height: float = PANEL_H, **kw) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(PANEL_W * n_cols, height * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, **kw)  # (rows, cols)
    return fig, axes


def _finish(ax, title: str, xlabel: str, ylabel: str, legend: bool = True) -> None:
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, framealpha=0.8)


def reliability(rows: Sequence[tuple[str, Sequence[tuple[str, list[dict], float | None]]]]) -> bytes:
    """Reliability diagrams with confidence histograms beneath.

    rows: [(row label, [(panel title, reliability table rows, ECE), ...]), ...] — a grid of (row, column) panels;
    each panel has bars of accuracy per confidence bin, the diagonal, and below it the share of samples per bin.
    """
    n_cols = max(len(p) for _, p in rows)
    fig = Figure(figsize=(PANEL_W * n_cols, 4.8 * len(rows)), layout="constrained")
    sub = fig.subfigures(len(rows), 1, squeeze=False)[:, 0]
    for sf, (row_label, panels) in zip(sub, rows):
        axes = sf.subplots(2, n_cols, squeeze=False, height_ratios=[3, 1], sharex=True)  # (2, cols)
        sf.suptitle(row_label, fontsize=11, fontweight="bold")
        for j in range(n_cols):
            if j >= len(panels):
                axes[0, j].set_visible(False), axes[1, j].set_visible(False)
                continue
            _reliability_panel(axes[0, j], axes[1, j], *panels[j])
    return to_png(fig)


def _reliability_panel(ax, ax_hist, title: str, table: list[dict], ece_value: float | None) -> None:
    lo = np.array([r["lower"] for r in table])
    width = np.array([r["upper"] for r in table]) - lo
    acc = np.array([np.nan if r["accuracy"] is None else r["accuracy"] for r in table])
    conf = np.array([np.nan if r["confidence"] is None else r["confidence"] for r in table])
    counts = np.array([r["count"] for r in table], dtype=float)
    ax.bar(lo, np.nan_to_num(acc), width=width, align="edge", color="#4C72B0", edgecolor="white", label="accuracy")
    gap_lo = np.nan_to_num(np.minimum(acc, conf))
    ax.bar(lo, np.nan_to_num(np.abs(conf - acc)), bottom=gap_lo, width=width, align="edge", fill=False,
           edgecolor="#C44E52", hatch="///", lw=0.8, label="gap to mean confidence")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    filled = lo[counts > 0]
    left = min(0.5, filled.min()) if filled.size else 0.0  # yes/no confidences are ≥ 0.5: zoom in
    ax.set_xlim(left, 1), ax.set_ylim(0, 1)
    ece_txt = "—" if ece_value is None else f"{ece_value:.3f}"
    _finish(ax, f"{title}   ECE = {ece_txt}", "", ACC_LABEL)
    share = 100 * counts / counts.sum() if counts.sum() else counts
    ax_hist.bar(lo, share, width=width, align="edge", color="grey", edgecolor="white")
    _finish(ax_hist, "", CONF_LABEL, "% of samples", legend=False)


def entropy_histograms(panels: Sequence[Panel], upper: float, sequential: bool, n_bins: int = 28) -> bytes:
    """Overlaid step histograms of answer entropy on [0, upper]; series label → array of entropies (values above
    `upper` are drawn in the last bin). y = % of that series' samples."""
    fig, axes = _grid(1, len(panels))
    edges = np.linspace(0.0, upper, n_bins + 1)
    for ax, (title, series) in zip(axes[0], panels):
        for c, (label, h) in zip(colours(len(series), sequential), series.items()):
            h = np.clip(np.asarray(h, dtype=float), 0.0, upper)
            if h.size:
                ax.hist(h, bins=edges, weights=np.full(h.size, 100.0 / h.size), histtype="step", lw=2,
                        color=c, label=f"{label} (n={h.size})")
        _finish(ax, title, ENTROPY_LABEL, "% of samples")
    return to_png(fig)


def accuracy_per_bin(panels: Sequence[Panel], threshold: float, sequential: bool) -> bytes:
    """Accuracy per entropy bin with bootstrap 95 % CIs; series label → entropy-bin table rows (empty bins skipped).

    Points sit at bin centres (the overflow row, if non-empty, at lower + half the previous width).
    """
    fig, axes = _grid(1, len(panels))
    for ax, (title, series) in zip(axes[0], panels):
        for k, (c, (label, table)) in enumerate(zip(colours(len(series), sequential), series.items())):
            x, y, lo, hi = _bin_points(table)
            x = x + 0.006 * (k - (len(series) - 1) / 2)  # dodge so CIs of different series do not overlap
            if x.size:
                ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o-", capsize=3, color=c, label=label)
        ax.axhline(0.5, color="grey", ls=":", lw=1, label="chance (0.5)")
        ax.axvline(threshold, color="red", ls="--", lw=1, label=f"trap threshold H ≤ {threshold:g}")
        ax.set_ylim(-0.02, 1.02)
        _finish(ax, title, ENTROPY_LABEL + " — bin centre", ACC_LABEL)
    return to_png(fig)


def _bin_points(table: list[dict]) -> tuple[np.ndarray, ...]:
    pts = []
    prev_w = 0.1
    for r in table:
        upper = r["upper"] if r["upper"] is not None else r["lower"] + prev_w
        prev_w = upper - r["lower"]
        if r["accuracy"] is not None:
            pts.append(((r["lower"] + upper) / 2, r["accuracy"], r["ci"][0], r["ci"][1]))
    arr = np.array(pts, dtype=float).reshape(-1, 4)  # (K, 4)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]


def risk_coverage(panels: Sequence[Panel], sequential: bool) -> bytes:
    """Risk–coverage curves; series label → (coverage list, risk list, AURC)."""
    fig, axes = _grid(1, len(panels))
    for ax, (title, series) in zip(axes[0], panels):
        for c, (label, (cov, risk, area)) in zip(colours(len(series), sequential), series.items()):
            if cov:
                area_txt = "—" if area is None else f"{area:.3f}"
                ax.step(100 * np.asarray(cov), risk, where="post", color=c, lw=2,
                        label=f"{label} (AURC {area_txt})")
        ax.set_xlim(0, 100), ax.set_ylim(bottom=0)
        _finish(ax, title, "coverage (% of samples answered, most confident first)",
                "risk (error rate among answered)")
    return to_png(fig)


def trend(series: Series, sequential: bool) -> bytes:
    """Mean entropy and accuracy against the level of one op family; series label → trend record (op, levels,
    mean_entropy, accuracy, entropy_slope, accuracy_slope)."""
    fig, axes = _grid(1, 2)
    cols = colours(len(series), sequential)
    ops = {tr["op"] for tr in series.values()}
    xlab = SIGMA_LABEL if ops == {"noise"} else f"{' / '.join(sorted(ops))} level (clean = 0)"
    unit = "σ" if ops == {"noise"} else "level"
    for ax, key, slope_key, ylab in ((axes[0, 0], "mean_entropy", "entropy_slope", "mean " + ENTROPY_LABEL),
                                      (axes[0, 1], "accuracy", "accuracy_slope", ACC_LABEL)):
        for c, (label, tr) in zip(cols, series.items()):
            y = [math.nan if v is None else v for v in tr[key]]
            slope = tr[slope_key]
            slope_txt = "—" if slope is None else f"{slope:+.2e}/{unit}"
            ax.plot(tr["levels"], y, "o-", color=c, lw=2, label=f"{label} (slope {slope_txt})")
        _finish(ax, ylab.split(" (")[0] + " vs degradation", xlab, ylab)
    return to_png(fig)


def temperature_sweep(groups: Sequence[dict], ece_bins: int) -> bytes:
    """Accuracy, mean entropy and ECE against temperature, one line per degradation spec (single run, several T)."""
    fig, axes = _grid(1, 3)
    specs = list(dict.fromkeys(g["degrade"] for g in groups))
    for ax, (key, ylab) in zip(axes[0], (("accuracy", ACC_LABEL), ("mean_entropy", "mean " + ENTROPY_LABEL),
                                          ("ece", f"ECE ({ece_bins} bins, fraction)"))):
        for c, s in zip(colours(len(specs), True), specs):
            gs = sorted((g for g in groups if g["degrade"] == s), key=lambda g: g["temperature"])
            vals = [g["calibration"]["ece"] if key == "ece" else g[key] for g in gs]
            ax.plot([g["temperature"] for g in gs], [math.nan if v is None else v for v in vals], "o-",
                    color=c, lw=2, label=s)
        _finish(ax, ylab.split(" (")[0] + " vs temperature", "sampling temperature T", ylab)
    return to_png(fig)
