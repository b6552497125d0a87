"""`hero trap` reports: summary (+ samples) → report.html (self-contained, PNGs base64-embedded) and report.md
(tables, PNGs saved in plots/ beside it).

A report is a list of sections rendered twice, once per format:
("h1"|"h2"|"p", text) · ("table", headers, rows) · ("img", file name, PNG bytes, caption).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hero.degrade import Degradation
from hero.io import write_text_atomic
from hero.trap import metrics as M
from hero.trap import plots
from hero.trap.summary import confidence, split_groups

Section = tuple

CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1400px;
padding:0 1em;color:#222}h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:3px 8px;
text-align:right;white-space:nowrap}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
figure{margin:1em 1em 1em 0;display:inline-block;vertical-align:top}img{max-width:100%}figcaption{color:#555;font-size:.9em}p{max-width:70em}.scroll{overflow-x:auto}"""


# -- formatting -------------------------------------------------------------------------------------------------
def fmt(x: float | None, digits: int = 3) -> str:
    """Number → fixed digits; None/NaN → '—' (undefined, never shown as 0)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


def fmt_ci(v: float | None, ci: Sequence[float] | None, digits: int = 3) -> str:
    """'0.512 [0.480, 0.545]', or '—' when undefined."""
    if v is None:
        return "—"
    return fmt(v, digits) + ("" if ci is None else f" [{fmt(ci[0], digits)}, {fmt(ci[1], digits)}]")


def fmt_bin(row: dict) -> str:
    """Entropy-bin label '(0.1, 0.2]', the first one '[0, 0.1]', the overflow '> 0.693'."""
    if row["upper"] is None:
        return f"> {row['lower']:.3g}"
    left = "[" if row["lower"] == 0 else "("
    return f"{left}{row['lower']:.3g}, {row['upper']:.3g}]"


def sigma_label(sigma: float) -> str:
    return f"σ={float(sigma):g}"


def spec_label(spec: str) -> str:
    """Legend label of a degradation spec: 'σ=30' for noise-only specs ('σ=0' for none), else the spec."""
    sigma = Degradation.parse(spec).sigma
    return spec if sigma is None else sigma_label(sigma)


HEADLINE = ["degradation", "T", "n", "accuracy [95 % CI]", "mean H", "median H", "yes-ratio",
            "trap acc (H ≤ t) [CI]", "trap share", "ECE", "adaptive ECE", "MCE", "Brier", "AUROC", "AURC",
            "unparseable"]


def headline_row(g: dict) -> list[str]:
    """One row of the headline table for a (spec, T) group record."""
    cal, trap = g["calibration"], g["trap"]
    return [g["degrade"], f"{g['temperature']:g}", str(g["n"]), fmt_ci(g["accuracy"], g["accuracy_ci"]),
            fmt(g["mean_entropy"]), fmt(g["median_entropy"]), fmt(g["yes_ratio"]),
            fmt_ci(trap["accuracy"], trap["ci"]), fmt(trap["share"]), fmt(cal["ece"]), fmt(cal["adaptive_ece"]),
            fmt(cal["mce"]), fmt(cal["brier"]), fmt(cal["auroc"]), fmt(cal["aurc"]), str(g["n_unparseable"])]


def bin_cell(row: dict) -> str:
    """'0.512 [0.480, 0.545] (n=40)' or '— (n=0)'."""
    return f"{fmt_ci(row['accuracy'], row['ci'])} (n={row['count']})"


def trend_row(tr: dict) -> list[str]:
    return [f"{tr['temperature']:g}", tr["op"], ", ".join(f"{s:g}" for s in tr["levels"]),
            fmt(tr["entropy_slope"], 5), fmt(tr["accuracy_slope"], 5)]


TREND_HEAD = ["T", "family", "levels (clean = 0)", "mean-entropy slope (nats per unit level)",
              "accuracy slope (per unit level)"]
PRIOR_HEAD = ["degradation", "T", "prior tag", "n", "accuracy", "confident-bin share", "confident-bin accuracy"]


def prior_rows(groups: Sequence[dict]) -> list[list[str]]:
    """Rows of the by-prior table: per group and tag that has samples (summaries without by_prior: none)."""
    rows = []
    for g in groups:
        for tag, rec in (g.get("by_prior") or {}).items():
            if rec["n"]:
                rows.append([g["degrade"], f"{g['temperature']:g}", tag, str(rec["n"]), fmt(rec["accuracy"]),
                             fmt(rec["trap"]["share"]), f"{fmt(rec['trap']['accuracy'])} (n={rec['trap']['count']})"])
    return rows


def prior_section(groups: Sequence[dict], names: Sequence[str], threshold: float) -> list[Section]:
    """'By prior tag' heading, legend and table (a 'run' column first when any name is non-empty); nothing when no
    group holds a prior-consistent or prior-violating sample."""
    if not any((g.get("by_prior") or {}).get(t, {}).get("n") for g in groups for t in ("consistent", "violating")):
        return []
    named = any(names)
    rows = [([n] if named else []) + r for n, g in zip(names, groups, strict=True) for r in prior_rows([g])]
    return [("h2", "By prior tag"),
            ("p", "Questions about a category whose prior partner is in the image: the prior predicts the category "
                  "present — consistent when it is, violating when it is absent; none: no prediction "
                  f"(hero.trap.prior). Confident bin: H ≤ {threshold:g}."),
            ("table", (["run"] if named else []) + PRIOR_HEAD, rows)]


# -- rendering --------------------------------------------------------------------------------------------------
def render_html(sections: Sequence[Section], title: str) -> str:
    """Self-contained HTML: tables inline, images as data: URIs."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{CSS}</style></head><body>"]
    for sec in sections:
        kind = sec[0]
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{html.escape(sec[1])}</{kind}>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in sec[1])
            body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in sec[2])
            out.append(f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
        elif kind == "img":
            b64 = base64.b64encode(sec[2]).decode("ascii")
            out.append(f"<figure><img src='data:image/png;base64,{b64}' alt='{html.escape(sec[3])}'>"
                       f"<figcaption>{html.escape(sec[3])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_md(sections: Sequence[Section], plot_dir: str = "plots") -> str:
    """Markdown: pipe tables, images linked as plot_dir/<file name> (saved there by write_sections)."""
    out = []
    for sec in sections:
        kind = sec[0]
        if kind == "h1":
            out.append(f"# {sec[1]}\n")
        elif kind == "h2":
            out.append(f"## {sec[1]}\n")
        elif kind == "p":
            out.append(sec[1] + "\n")
        elif kind == "table":
            out.append("| " + " | ".join(_md_cell(h) for h in sec[1]) + " |")
            out.append("|" + "|".join("---" for _ in sec[1]) + "|")
            out.extend("| " + " | ".join(_md_cell(c) for c in r) + " |" for r in sec[2])
            out.append("")
        elif kind == "img":
            out.append(f"![{sec[3]}]({plot_dir}/{sec[1]})\n\n*{sec[3]}*\n")
    return "\n".join(out)


def write_sections(out_dir: str | Path, sections: Sequence[Section], title: str) -> dict[str, Path]:
    """Write report.html, report.md and plots/*.png under out_dir; return their paths."""
    out_dir = Path(out_dir)
    (out_dir / "plots").mkdir(parents=True, exist_ok=True)
    for sec in sections:
        if sec[0] == "img":
            (out_dir / "plots" / sec[1]).write_bytes(sec[2])
    write_text_atomic(out_dir / "report.html", render_html(sections, title))
    write_text_atomic(out_dir / "report.md", render_md(sections))
    return {"html": out_dir / "report.html", "md": out_dir / "report.md", "plots": out_dir / "plots"}


# -- the single-run report --------------------------------------------------------------------------------------
def entropy_upper(summary: dict, samples: Sequence[dict]) -> float:
    """Histogram range: ln 2 for binary entropy, else the largest value seen (at least the last edge)."""
    if summary["entropy_kind"] == "binary":
        return M.LN2
    vals = [s[summary["entropy_field"]] for s in samples]
    return max([summary["entropy_edges"][-1], *vals])


def _temperatures(summary: dict) -> list[float]:
    return sorted({g["temperature"] for g in summary["groups"]})


FIGURE_HEADINGS = {"accuracy_per_bin": "Accuracy per entropy bin", "entropy_hist": "Entropy distributions",
                   "reliability": "Calibration: reliability diagrams", "risk_coverage": "Selective prediction"}


def run_figures(summary: dict, samples: Sequence[dict], name: str) -> dict[str, list[Section]]:
    """Plots of one run, per kind (FIGURE_HEADINGS) one image per T."""
    figs: dict[str, list[Section]] = {k: [] for k in FIGURE_HEADINGS}
    by_group = split_groups(samples)
    field, thr = summary["entropy_field"], summary["trap_threshold"]
    upper = entropy_upper(summary, samples)
    for t in _temperatures(summary):
        gs = [g for g in summary["groups"] if g["temperature"] == t]
        tag, tt = f"T{t:g}", f"T={t:g}"
        bins = {spec_label(g["degrade"]): g["entropy_bins"] for g in gs}
        figs["accuracy_per_bin"].append((
            "img", f"accuracy_per_bin_{tag}.png", plots.accuracy_per_bin([(tt, bins)], thr, True),
            f"Accuracy per entropy bin with bootstrap 95 % CIs, one line per degradation ({tt})."))
        hist = {spec_label(g["degrade"]): [s[field] for s in by_group[(g["degrade"], t)]] for g in gs}
        figs["entropy_hist"].append((
            "img", f"entropy_hist_{tag}.png", plots.entropy_histograms([(tt, hist)], upper, True),
            f"Distribution of answer entropy per degradation ({tt}); mass moving left = more confident."))
        rel = [(spec_label(g["degrade"]), g["calibration"]["reliability"], g["calibration"]["ece"]) for g in gs]
        figs["reliability"].append((
            "img", f"reliability_{tag}.png", plots.reliability([(f"{name} — {tt}", rel)]),
            f"Reliability diagrams per σ with the share of samples per confidence bin ({tt})."))
        rc = {spec_label(g["degrade"]): _rc_series(by_group[(g["degrade"], t)], g) for g in gs}
        figs["risk_coverage"].append((
            "img", f"risk_coverage_{tag}.png", plots.risk_coverage([(tt, rc)], True),
            f"Risk–coverage curves per degradation ({tt}); lower is better."))
    return figs


def figure_sections(figs: dict[str, list[Section]], first: list[Section] | None = None) -> list[Section]:
    """Headings + images in FIGURE_HEADINGS order; `first` goes right under the first heading (the bin table)."""
    secs: list[Section] = []
    for i, (kind, heading) in enumerate(FIGURE_HEADINGS.items()):
        secs.append(("h2", heading))
        if i == 0 and first:
            secs += first
        secs += figs[kind]
    return secs


def _rc_series(rows: Sequence[dict], group: dict) -> tuple[list, list, float | None]:
    conf = confidence(np.array([s["p_yes"] for s in rows], dtype=float), np.array([s["p_no"] for s in rows],
                      dtype=float), [s.get("answer") or "" for s in rows])  # (N,) as in the summary
    rc = M.risk_coverage(conf, [bool(s["correct"]) for s in rows])
    return rc["coverage"], rc["risk"], group["calibration"]["aurc"]


def bins_table(groups: Sequence[dict], labels: Sequence[str]) -> Section:
    """Entropy-bin table: one row per bin, one column per group (labels), overflow row only if non-empty."""
    rows = []
    for i, ref in enumerate(groups[0]["entropy_bins"]):
        if ref["upper"] is None and all(g["entropy_bins"][i]["count"] == 0 for g in groups):
            continue
        rows.append([fmt_bin(ref)] + [bin_cell(g["entropy_bins"][i]) for g in groups])
    return ("table", ["entropy bin (nats)"] + list(labels), rows)


def notes_sections(summary: dict, extra: Sequence[str] = ()) -> list[Section]:
    """Notes: missing images, undefined AUROCs, the metric conventions."""
    secs: list[Section] = [("h2", "Notes")]
    miss = summary.get("missing_images")
    if miss and miss.get("count"):
        secs.append(("p", f"{miss['count']} question(s) had a missing image and are excluded from every metric: "
                          + ", ".join(miss.get("files", [])[:20]) + (" …" if miss["count"] > 20 else "")))
    for note in extra:
        secs.append(("p", note))
    conf = summary.get("confidence") or {}
    if conf.get("note"):
        secs.append(("p", f"confidence: {conf['note']}."))
    if conf.get("tie_rule"):
        secs.append(("p", f"marginal confidence: p_yes = share of \"yes\" among the parseable sampled answers "
                          f"(unparseable ones count as neither); the answer is the majority, {conf['tie_rule']}."))
    if conf.get("clustering"):
        secs.append(("p", f"semantic confidence: {conf['clustering']}."))
    for g in summary["groups"]:
        if g["calibration"]["auroc_note"]:
            secs.append(("p", f"{g['key']}: {g['calibration']['auroc_note']}."))
    conv = summary.get("conventions", {})
    secs.append(("table", ["quantity", "convention"], [[k, v] for k, v in conv.items()]))
    return secs


def confidence_label(summary: dict) -> str:
    """'conditional', 'marginal (k = 8)', 'semantic (k = 8)'; summaries written before --confidence existed read 'conditional'."""
    conf = summary.get("confidence") or {"kind": "conditional", "samples": None}
    return conf["kind"] + (f" (k = {conf['samples']})" if conf.get("samples") else "")


def run_sections(summary: dict, samples: Sequence[dict], name: str = "run") -> list[Section]:
    """All sections of the single-run report."""
    run = summary.get("run", {})
    groups = summary["groups"]
    secs: list[Section] = [("h1", f"Confidence Trap report — {name}")]
    secs.append(("p", f"model: {run.get('model', '?')} · questions: {run.get('questions', '?')} · "
                      f"samples: {summary['n_samples']} · entropy: {summary['entropy_kind']} (nats) · "
                      f"confidence: {confidence_label(summary)} · "
                      f"trap threshold: H ≤ {summary['trap_threshold']:g} · "
                      f"missing images: {summary.get('missing_images', {}).get('count', 0)}"))
    if not groups:
        return secs + [("p", "No samples to summarise.")] + notes_sections(summary)
    secs += [("h2", "Per degradation and temperature"), ("table", HEADLINE, [headline_row(g) for g in groups])]
    secs += prior_section(groups, [""] * len(groups), summary["trap_threshold"])
    secs += [("h2", "Trap trend across degradation levels"),
             ("table", TREND_HEAD, [trend_row(t) for t in summary["trend"]])]
    for op in dict.fromkeys(tr["op"] for tr in summary["trend"]):
        series = {f"T={tr['temperature']:g}": tr for tr in summary["trend"] if tr["op"] == op}
        secs.append(("img", "trend.png" if op == "noise" else f"trend_{op}.png", plots.trend(series, True),
                     f"Mean answer entropy and accuracy against the {op} level (clean = 0). In the Confidence Trap "
                     "entropy falls as the image degrades while accuracy falls too."))
    secs += figure_sections(run_figures(summary, samples, name), [bins_table(groups, [g["key"] for g in groups])])
    if len(_temperatures(summary)) > 1:
        secs += [("h2", "Temperature sweep"), ("img", "temperature_sweep.png", plots.temperature_sweep(groups, summary["ece_bins"]),
                                               "Accuracy, mean entropy and ECE against sampling temperature.")]
    return secs + notes_sections(summary)


def write_report(out_dir: str | Path, summary: dict, samples: Sequence[dict], name: str = "run") -> dict[str, Path]:
    """Write the single-run report (report.html, report.md, plots/) into out_dir."""
    return write_sections(out_dir, run_sections(summary, samples, name), f"Confidence Trap report — {name}")
