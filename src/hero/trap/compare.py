"""`hero trap compare`: the tables and plots of several runs side by side (e.g. SFT vs GRPO vs DPO vs HERO).

Every run's summary is recomputed from its samples.jsonl with ONE set of summary settings (entropy kind, edges,
threshold, bins, bootstrap), so the columns are comparable whatever each run was summarised with.
Writes report.html, report.md, plots/ and compare.json ({"schema": "hero.trap.compare/1", "settings": {...},
"runs": [{"name", "dir", "summary"}], "paired": {...}}). `paired` compares every later run with the first on the
samples both scored (same question id, degradation and temperature): accuracy difference, paired bootstrap CI and
exact McNemar p (`hero.trap.paired`), keyed "B vs A" and then by "degrade=...,T=...".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hero.io import write_json_atomic
from hero.trap import plots
from hero.trap.paired import paired_comparison
from hero.trap.report import (
    FIGURE_HEADINGS, HEADLINE, TREND_HEAD, Section, _rc_series, bins_table, entropy_upper, headline_row,
    notes_sections, prior_section, spec_label, trend_row, write_sections,
)
from hero.trap.summary import SummarySettings, spec_order, split_groups, summarize

COMPARE_SCHEMA = "hero.trap.compare/1"


@dataclass
class CompareConfig:
    """`hero trap compare`."""

    runs: list[str] = field(metadata={"argument": True})
    """Run folders written by `hero trap`."""
    out: str
    """Folder for report.html, report.md, plots/ and compare.json."""
    names: list[str] = field(default_factory=list)
    """Run names (default: the folder names)."""
    summary: SummarySettings = field(default_factory=SummarySettings)
    """One summary setting for all runs."""
    seed: int = 0
    """Bootstrap seed."""

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError("give the run folders to compare, e.g. `hero trap compare runs/sft runs/hero --out cmp`")
Run = tuple[str, dict, list[dict]]  # (name, summary, samples)


def _groups_at(summary: dict, t: float) -> dict[str, dict]:
    return {g["degrade"]: g for g in summary["groups"] if g["temperature"] == t}


def _axes(runs: Sequence[Run]) -> tuple[list[float], list[str]]:
    """Sorted union of temperatures and of degradation specs (summary.spec_order) over all runs."""
    ts = sorted({g["temperature"] for _, s, _ in runs for g in s["groups"]})
    specs = sorted({g["degrade"] for _, s, _ in runs for g in s["groups"]}, key=spec_order)
    return ts, specs


def compare_figures(runs: Sequence[Run]) -> dict[str, list[Section]]:
    """Per T: panels per degradation spec with one series per run (reliability: one row per run)."""
    figs: dict[str, list[Section]] = {k: [] for k in FIGURE_HEADINGS}
    ts, specs = _axes(runs)
    thr = runs[0][1]["trap_threshold"]
    upper = max(entropy_upper(s, smp) for _, s, smp in runs)
    split = [split_groups(smp) for _, _, smp in runs]
    field = runs[0][1]["entropy_field"]
    for t in ts:
        at = [_groups_at(s, t) for _, s, _ in runs]
        tag, tt = f"T{t:g}", f"T={t:g}"

        def panels(value):
            return [(f"{spec_label(sg)}, {tt}", {name: value(i, at[i][sg]) for i, (name, _, _) in enumerate(runs)
                                                  if sg in at[i]}) for sg in specs]

        figs["accuracy_per_bin"].append((
            "img", f"accuracy_per_bin_{tag}.png",
            plots.accuracy_per_bin(panels(lambda i, g: g["entropy_bins"]), thr, False),
            f"Accuracy per entropy bin with bootstrap 95 % CIs, one panel per degradation, one line per run ({tt})."))
        figs["entropy_hist"].append((
            "img", f"entropy_hist_{tag}.png",
            plots.entropy_histograms(panels(lambda i, g: [s[field] for s in split[i][(g["degrade"], t)]]),
                                     upper, False),
            f"Distribution of answer entropy, one panel per degradation, one line per run ({tt})."))
        rows = [(f"{name} — {tt}", [(spec_label(sg), at[i][sg]["calibration"]["reliability"],
                                     at[i][sg]["calibration"]["ece"]) for sg in specs if sg in at[i]])
                for i, (name, _, _) in enumerate(runs) if at[i]]
        figs["reliability"].append(("img", f"reliability_{tag}.png", plots.reliability(rows),
                                    f"Reliability diagrams: one row per run, one column per degradation ({tt})."))
        figs["risk_coverage"].append((
            "img", f"risk_coverage_{tag}.png",
            plots.risk_coverage(panels(lambda i, g: _rc_series(split[i][(g["degrade"], t)], g)), False),
            f"Risk–coverage curves, one panel per degradation, one line per run ({tt}); lower is better."))
    return figs


def paired_results(runs: Sequence[Run], seed: int = 0) -> dict[str, dict[str, dict]]:
    """{"B vs A": {"degrade=noise:30,T=1.0": paired_comparison(B, A)}} for every later run B against the first run A,
    on the samples both scored (matched by question id, degradation spec and temperature; order of A): diff =
    acc(B) − acc(A), a_only / b_only = questions only B / only A got right."""
    from hero.trap.runfolder import sample_key

    (base, _, base_samples), out = runs[0], {}
    for name, _, samples in runs[1:]:
        later = {sample_key(r): bool(r["correct"]) for r in samples}
        groups: dict[str, tuple[list[bool], list[bool]]] = {}  # group → (later run's, first run's correctness)
        for r in base_samples:
            key = sample_key(r)
            if key in later:
                mine, first = groups.setdefault(f"degrade={key[1]},T={key[2]}", ([], []))
                mine.append(later[key])
                first.append(bool(r["correct"]))
        out[f"{name} vs {base}"] = {g: paired_comparison(b, a, seed=seed) for g, (b, a) in groups.items()}
    return out


def paired_section(paired: dict[str, dict[str, dict]]) -> list[Section]:
    """The report's table of paired comparisons (empty for a single run)."""
    from hero.display import number

    rows = [[pair, group, str(r["n"]), number(r["diff"]),
             "—" if r["ci"] is None else f"[{number(r['ci'][0])}, {number(r['ci'][1])}]", number(r["p_mcnemar"]),
             f"{r['a_only']} / {r['b_only']}"] for pair, groups in paired.items() for group, r in groups.items()]
    if not rows:
        return []
    return [("h2", "Paired comparison on the same questions"),
            ("p", "B vs A: accuracy of B (a later run) − accuracy of A (the first run) on the samples both runs "
                  "scored, a paired bootstrap 95 % CI (questions resampled jointly) and the exact McNemar p-value; "
                  "the last column counts the questions only B / only A got right."),
            ("table", ["runs", "group", "n", "diff", "95 % CI", "p (McNemar)", "only B / only A right"], rows)]


def _confidence(summary: dict) -> str:
    """'conditional' / 'marginal (k = 8)' from the run's manifest record (older runs: conditional)."""
    c = summary.get("run", {}).get("confidence") or {"kind": "conditional"}
    return c["kind"] + (f" (k = {c['samples']})" if c.get("samples") else "")


def compare_sections(runs: Sequence[Run], paired: dict[str, dict[str, dict]] | None = None) -> list[Section]:
    """All sections of the comparison report; `paired` = paired_results(runs), computed here when not given."""
    names = [n for n, _, _ in runs]
    ts, specs = _axes(runs)
    secs: list[Section] = [("h1", "Confidence Trap comparison — " + " vs ".join(names))]
    info = [[n, str(s.get("run", {}).get("model", "?")), str(s.get("run", {}).get("questions", "?")),
             _confidence(s), str(s["n_samples"]), str(s.get("missing_images", {}).get("count", 0))]
            for n, s, _ in runs]
    secs.append(("table", ["run", "model", "questions", "confidence", "samples", "missing images"], info))
    if len({_confidence(s) for _, s, _ in runs}) > 1:
        secs.append(("p", "Warning: the runs measured confidence differently (--confidence); their entropies and "
                          "calibration are not comparable."))
    hashes = {s.get("run", {}).get("questions_sha256") for _, s, _ in runs}
    if len(hashes) > 1:
        secs.append(("p", "Warning: the runs were scored on different question files (their hashes differ); "
                          "differences between runs mix model and data."))
    rows = [[n] + headline_row(g) for t in ts for sg in specs for n, s, _ in runs
            for g in [_groups_at(s, t).get(sg)] if g is not None]
    secs += [("h2", "Per degradation and temperature"), ("table", ["run"] + HEADLINE, rows)]
    at = [(n, g) for t in ts for sg in specs for n, s, _ in runs for g in [_groups_at(s, t).get(sg)] if g is not None]
    secs += prior_section([g for _, g in at], [n for n, _ in at], runs[0][1]["trap_threshold"])
    secs += paired_section(paired_results(runs) if paired is None else paired)
    secs += [("h2", "Trap trend across degradation levels"),
             ("table", ["run"] + TREND_HEAD, [[n] + trend_row(tr) for n, s, _ in runs for tr in s["trend"]])]
    for t in ts:
        for op in dict.fromkeys(tr["op"] for _, s, _ in runs for tr in s["trend"]):
            series = {n: tr for n, s, _ in runs for tr in s["trend"] if tr["temperature"] == t and tr["op"] == op}
            if series:
                name = f"trend_T{t:g}.png" if op == "noise" else f"trend_{op}_T{t:g}.png"
                secs.append(("img", name, plots.trend(series, False),
                             f"Mean answer entropy and accuracy against the {op} level, one line per run (T={t:g})."))
    tables: list[Section] = []
    for t in ts:
        for sg in specs:
            present = [(n, _groups_at(s, t)[sg]) for n, s, _ in runs if sg in _groups_at(s, t)]
            tables += [("p", f"{spec_label(sg)}, T={t:g}"),
                       bins_table([g for _, g in present], [n for n, _ in present])]
    figs = compare_figures(runs)
    for i, (kind, heading) in enumerate(FIGURE_HEADINGS.items()):
        secs.append(("h2", heading))
        secs += (tables if i == 0 else []) + figs[kind]
    for n, s, _ in runs:
        secs += [("h2", f"Notes — {n}")] + notes_sections(s)[1:-1]
    return secs + [("h2", "Conventions"),
                   ("table", ["quantity", "convention"], [[k, v] for k, v in runs[0][1]["conventions"].items()])]


def write_compare(out_dir: str | Path, runs: Sequence[Run], run_dirs: Sequence[str] | None = None) -> dict[str, Path]:
    """Write the comparison report and compare.json into out_dir. All runs must share the summary settings."""
    if not runs:
        raise ValueError("compare needs at least one run")
    keys = ("entropy_kind", "entropy_edges", "trap_threshold", "ece_bins", "bootstrap")
    for name, s, _ in runs[1:]:
        diff = [k for k in keys if s[k] != runs[0][1][k]]
        if diff:
            raise ValueError(f"run {name!r} was summarised with other settings ({', '.join(diff)}) than "
                             f"{runs[0][0]!r}; recompute the summaries with one setting (compare_runs does)")
    names = [n for n, _, _ in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"run names must be distinct, got {names}; pass --names")
    paired = paired_results(runs)  # bootstrap once, for the report and compare.json
    out = write_sections(out_dir, compare_sections(runs, paired), "Confidence Trap comparison")
    dirs = list(run_dirs) if run_dirs else [None] * len(runs)
    write_json_atomic(Path(out_dir) / "compare.json", {
        "schema": COMPARE_SCHEMA, "settings": {k: runs[0][1][k] for k in keys},
        "runs": [{"name": n, "dir": d, "summary": s} for (n, s, _), d in zip(runs, dirs)],
        "paired": paired})
    out["json"] = Path(out_dir) / "compare.json"
    return out


def summarize_runs(loaded: Sequence[tuple[str, dict, list[dict]]], **settings) -> list[Run]:
    """(name, run info dict, samples) → (name, summary, samples), every summary with the same `settings`
    (keyword arguments of summary.summarize). The run info's "run" and "missing_images" are copied over."""
    runs = []
    for name, info, samples in loaded:
        s = summarize(samples, **settings)
        for k in ("run", "missing_images"):
            if k in info:
                s[k] = info[k]
        runs.append((name, s, samples))
    return runs


def load_run(run_dir: str | Path) -> tuple[dict, list[dict]]:
    """A run folder → ({"run": manifest fields, "missing_images": ...}, samples); no samples.jsonl → InputError."""
    from hero.io import InputError, read_json
    from hero.trap.runfolder import read_samples

    d = Path(run_dir)
    if not (d / "samples.jsonl").is_file():
        raise InputError(f"{d}: no samples.jsonl — not a hero trap run folder (run `hero trap ... --out {d}` first)")
    info: dict = {}
    if (d / "manifest.json").is_file():
        m = read_json(d / "manifest.json")
        info["run"] = {k: m.get(k) for k in ("model", "questions", "questions_sha256", "images", "seed", "confidence",
                                             "scorer")}
    if (d / "summary.json").is_file():
        miss = read_json(d / "summary.json").get("missing_images")
        if miss is not None:
            info["missing_images"] = miss
    samples = read_samples(d / "samples.jsonl")
    if not samples:
        raise InputError(f"{d}/samples.jsonl: no samples yet")
    return info, samples


def compare_runs(run_dirs: Sequence[str | Path], out_dir: str | Path, names: Sequence[str] | None = None,
                 **settings) -> dict[str, Path]:
    """Load run folders, summarise them with one set of `settings` (summary.summarize keywords), write the report."""
    if names is not None and len(names) != len(run_dirs):
        raise ValueError(f"--names gives {len(names)} names for {len(run_dirs)} runs")
    names = list(names) if names else [Path(d).resolve().name for d in run_dirs]
    loaded = [(n, *load_run(d)) for n, d in zip(names, run_dirs)]
    return write_compare(out_dir, summarize_runs(loaded, **settings), [str(Path(d).resolve()) for d in run_dirs])
