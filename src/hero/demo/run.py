"""`hero demo` end to end: run the cached stages, then write report.html / report.md / results.json and print the
targets with what was measured (met or not met — never tuned to the outcome)."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from hero.demo.config import STEP_LEADER, DemoConfig
from hero.demo.paired import paired, paired_section, seed_answers
from hero.demo.pipeline import (build_stages, matched_steps, model_dir, protocol, rl_methods, step_followers,
                                table_rows, trap_stage, wall_clock_ratios)
from hero.demo.report import (EMA_WEIGHT, publish, replication_table, rl_row, rl_section, steps_section,
                              training_curves, trap_cells)
from hero.demo.stages import claim_folder, run_stages
from hero.display import rounded
from hero.io import read_json, write_json_atomic
from hero.trap.report import Section, figure_sections, write_sections

SPLIT_NAMES = ("random", "popular", "adversarial")


def pope_cells(pope: dict) -> dict:
    """{'random': {accuracy, f1}, ...} from hero eval's POPE scores (split keys contain the split name)."""
    out = {}
    for key, m in (pope.get("splits") or {}).items():
        for s in SPLIT_NAMES:
            if s in key:
                out[s] = {"accuracy": m.get("accuracy"), "f1": m.get("f1")}
    return out


def collect_rows(cfg: DemoConfig, results: dict[str, dict]) -> dict[str, dict]:
    """Rows of the replication table from the stages' outputs on disk."""
    rows: dict[str, dict] = {}
    for name, model, temp, suffix, _ in table_rows(cfg):
        row: dict = {"train_minutes": results.get(model, {}).get("train_minutes")}
        if model == "sft_cot":
            row["train_minutes"] = None if name != "SFT (CoT)" else row["train_minutes"]
        trap = results.get(trap_stage(name, model))
        if temp is not None and trap:
            row["trap"] = trap_cells(read_json(trap["summary"]), temp)
        ev = results.get(f"eval_{suffix}")
        if ev:
            r = read_json(ev["results"])
            row["pope"] = pope_cells(r.get("pope", {}))
            row["amber"] = {k: r.get("amber", {}).get(k) for k in ("CHAIR", "Cover", "Hal", "F1")}
            row["chair"] = {k: r.get("chair", {}).get(k) for k in ("CHAIRs", "CHAIRi")}
            row["throne"] = throne_cells(r.get("throne"))
        rows[name] = row
    return rows


def throne_cells(scores: dict | None) -> dict:
    """THRONE's micro P / R / F½ at the majority threshold (the lowest vote threshold: 2 of the rule judge's 3
    votes) of a `hero eval world` results entry; {} without THRONE."""
    thresholds = ((scores or {}).get("micro") or {}).get("thresholds") or {}
    if not thresholds:
        return {}
    cell = thresholds[min(thresholds, key=int)]
    return {"P": cell["P"], "R": cell["R"], "F0_5": cell["F0_5"]}


def _trap_acc(rows: dict, name: str, sigma: str = "50"):
    return (rows.get(name, {}).get("trap", {}).get(sigma) or {}).get("accuracy")


def _mean_f1(rows: dict, name: str):
    vals = [c["f1"] for c in rows.get(name, {}).get("pope", {}).values() if c.get("f1") is not None]
    return sum(vals) / len(vals) if vals else None


def targets(cfg: DemoConfig, rows: dict, minutes: float, peak_gb: float) -> list[dict]:
    """The issue's targets with the measured value and met / not met / not measured."""
    sft, hero = _trap_acc(rows, "SFT (CoT)"), _trap_acc(rows, "HERO")
    f1_sft, f1_hero = _mean_f1(rows, "SFT (CoT)"), _mean_f1(rows, "HERO")
    limit = 3.0 if cfg.quick else cfg.budget_min

    def t(name, value, ok):
        return {"target": name, "measured": value, "status": "not measured" if ok is None else
                ("met" if ok else "NOT met")}

    both = None if sft is None or hero is None else (sft, hero)
    return [
        t(f"whole run ≤ {limit:g} min" + (" (the default demo; --ablations adds 7 RL runs)" if cfg.ablations else ""),
          round(minutes, 2), None if cfg.ablations else minutes <= limit),
        t("peak memory ≤ 4 GB", round(peak_gb, 2), peak_gb <= 4.0),
        t("SFT (CoT) trap accuracy at σ=50 collapses towards chance (≈ 0.5)", sft, None if sft is None else sft <= 0.65),
        t("HERO trap accuracy at σ=50 ≥ 0.92", hero, None if hero is None else hero >= 0.92),
        t("HERO ≥ SFT + 0.20 at σ=50", both, None if both is None else hero >= sft + 0.20),
        t("HERO clean POPE F1 (mean of 3 splits) within 0.01 of SFT", (f1_sft, f1_hero),
          None if f1_sft is None or f1_hero is None else abs(f1_hero - f1_sft) <= 0.01),
        t("HERO beats GRPO and DPO on σ=50 trap accuracy", (hero, _trap_acc(rows, "GRPO"), _trap_acc(rows, "DPO")),
          None if None in (hero, _trap_acc(rows, "GRPO"), _trap_acc(rows, "DPO")) else
          hero > _trap_acc(rows, "GRPO") and hero > _trap_acc(rows, "DPO")),
    ]


def _compare_sections(cfg: DemoConfig, results: dict) -> list[Section]:
    from hero.trap.compare import compare_figures, load_run, summarize_runs

    loaded = []
    for name, model, temp, _, _ in table_rows(cfg):
        trap = results.get(trap_stage(name, model))
        if temp == 1.0 and trap:
            info, samples = load_run(Path(trap["summary"]).parent)
            loaded.append((name, info, [s for s in samples if s["temperature"] == 1.0]))
    if not loaded:
        return []
    return figure_sections(compare_figures(summarize_runs(loaded)))


def write_report(cfg: DemoConfig, results: dict, rows: dict, tg: list[dict], extra: list[Section] = ()) -> dict:
    """report/ and the top-level report.html / report.md; `extra` = sections after the targets (steps, paired)."""
    out = Path(cfg.out)
    histories = {}
    for stage, _, _ in rl_methods(cfg):
        p = results.get(stage, {}).get("log_history")
        if p and Path(p).is_file():
            histories[stage] = json.loads(Path(p).read_text())
    secs: list[Section] = [
        ("h1", "HERO demo — the Confidence Trap in miniature"),
        ("p", f"World seed {cfg.seed}; budget {cfg.budget_min:g} min{' (quick plumbing run)' if cfg.quick else ''}. "
              "Trap accuracy = accuracy of answers with binary answer entropy ≤ 0.3 nats on the test split's "
              "adversarial POPE questions, with a bootstrap 95 % CI and the share of samples in that bin. "
              "'—' = not measured, or an empty bin ('— (0.00)': no answer that confident, e.g. SFT+TS, whose fitted "
              "temperature moves every answer above 0.3 nats). SFT+VCD's trap row scores VCD's contrastive answer "
              "distribution; SFT+TS is the CoT-SFT run with T fitted on the val split's questions."),
        ("h2", "Replication table"), replication_table(rows),
        ("h2", "Targets (measured by this run)"),
        ("table", ["target", "measured", "status"],
         [[x["target"], json.dumps(rounded(x["measured"])), x["status"]] for x in tg]),
        *extra,
    ]
    if histories:
        secs += [("h2", "RL training curves"), ("img", "training_curves.png", training_curves(histories),
                                                "Reward, KL, β, gated share and mean entropy weight per optimizer step: "
                                                f"raw values as faint points, their EMA (weight {EMA_WEIGHT:g}) as "
                                                "lines.")]
    secs += _compare_sections(cfg, results)
    return publish(out, write_sections(out / "report", secs, "HERO demo"))


def rl_summaries(cfg: DemoConfig) -> dict[str, dict]:
    """results.json's `rl`: per RL run, `report.rl_row` of its OUT/rl_summary.json (all None before it ran)."""
    out = {}
    for stage, _, _ in rl_methods(cfg):
        path = model_dir(Path(cfg.out), stage) / "rl_summary.json"
        out[stage] = rl_row(read_json(path) if path.is_file() else None)
    return out


def run_demo(cfg: DemoConfig, log=print) -> dict:
    """Run (or resume) the whole demo; returns results.json's content. --seeds N: one run per seed in
    <out>/seed_<s>/, then the pooled results.json and report in <out> (`hero.demo.seeds`)."""
    if cfg.seeds == 1:
        return run_one(cfg, log)
    from hero.demo.seeds import seed_config, write_seeds

    t0, per_seed = time.perf_counter(), {}
    for k in range(cfg.seeds):
        one = seed_config(cfg, k)
        log(f"=== seed {one.seed} ({k + 1}/{cfg.seeds}) in {one.out}")
        per_seed[one.seed] = run_one(one, log)
    return write_seeds(cfg, per_seed, time.perf_counter() - t0)


def run_one(cfg: DemoConfig, log=print) -> dict:
    """One seed's demo in cfg.out: the cached stages, results.json (with `steps`, `matched_steps`, `paired`) and the
    report."""
    import torch

    torch.set_num_threads(cfg.threads)
    t0 = time.perf_counter()
    done = Path(cfg.out) / "results.json"
    older = DemoConfig.identity_of(read_json(done)["config"]) if done.is_file() else None
    claim_folder(Path(cfg.out), cfg.identity(), older, reset="all" in cfg.force)
    stages = build_stages(cfg)
    results = run_stages(stages, Path(cfg.out), force=cfg.force, log=log)
    rows = collect_rows(cfg, results)
    minutes = sum(r.get("seconds", 0) for r in results.values()) / 60
    peak_gb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024 ** 2
    tg = targets(cfg, rows, minutes, peak_gb)
    steps = {s: results.get(s, {}).get("steps") for s, _, _ in rl_methods(cfg)}
    matched, pr = matched_steps(steps, STEP_LEADER, step_followers(cfg)), paired([seed_answers(results)])
    matched["train_minutes"] = {s: results.get(s, {}).get("train_minutes") for s, _, _ in rl_methods(cfg)}
    matched["wall_clock_ratio"] = wall_clock_ratios(matched["train_minutes"], STEP_LEADER, step_followers(cfg))
    rl = rl_summaries(cfg)
    out = {"schema": "hero.demo/1", "config": {**cfg.recorded(), "seeds": 1},
           "stages": results, "table": rows, "targets": tg, "steps": steps, "matched_steps": matched, "paired": pr,
           "protocol": protocol(cfg, matched["rule"]), "rl": rl,
           "minutes_stages": round(minutes, 2), "minutes_this_call": round((time.perf_counter() - t0) / 60, 2)}
    write_report(cfg, results, rows, tg, steps_section({"": steps}, matched) + rl_section(rl)
                 + paired_section(pr, "Paired comparisons (HERO vs each baseline)"))
    write_json_atomic(Path(cfg.out) / "results.json", out)
    return out
