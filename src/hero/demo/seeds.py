"""`hero demo --seeds N` (the paper mode): the whole demo on seeds s = --seed + k (k < N), each in <out>/seed_<s>/
(cached and resumable like a single run), then <out>/results.json and <out>/report.html with HERO's paired
comparisons pooled over the seeds and per seed, the σ = 50 trap accuracy of every model per seed, and the step counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hero.demo.config import DemoConfig
from hero.demo.paired import SIGMA, paired, paired_section, seed_answers
from hero.demo.report import publish, rl_section, steps_section
from hero.io import write_json_atomic
from hero.trap.report import Section, fmt, write_sections


def seed_config(cfg: DemoConfig, k: int) -> DemoConfig:
    """The k-th seed's single-seed config: seed = cfg.seed + k, out = <out>/seed_<seed>."""
    seed = cfg.seed + k
    return replace(cfg, seed=seed, seeds=1, out=str(Path(cfg.out) / f"seed_{seed}"))


def spread(values: Sequence[float | None]) -> dict:
    """{"mean", "sd" (sample, n − 1), "n"} of the measured values (None = not measured, left out); mean None for
    none, sd None for fewer than 2. spread([0.8, 0.9, 1.0]) → mean 0.9, sd √((0.01 + 0 + 0.01) / 2) = 0.1."""
    x = [float(v) for v in values if v is not None]
    mean = sum(x) / len(x) if x else None
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (len(x) - 1)) if len(x) > 1 else None
    return {"mean": mean, "sd": sd, "n": len(x)}


def all_matched(flags: Sequence[bool | None]) -> bool | None:
    """False if any seed's steps are unmatched, else None if any is unknown, else True."""
    return False if False in flags else None if None in flags or not flags else True


def _trap50(per_seed: dict[int, dict]) -> dict[str, dict]:
    rows = list(dict.fromkeys(r for res in per_seed.values() for r in res["table"]))
    out = {}
    for row in rows:
        acc = {str(s): ((res["table"].get(row, {}).get("trap") or {}).get(f"{SIGMA:g}") or {}).get("accuracy")
               for s, res in per_seed.items()}
        out[row] = {"per_seed": acc, **spread(list(acc.values()))}
    return out


def _sections(cfg: DemoConfig, res: dict) -> list[Section]:
    seeds = [str(s) for s in res["seeds"]]
    trap = [[row] + [fmt(v["per_seed"][s]) for s in seeds] + [fmt(v["mean"]), fmt(v["sd"])]
            for row, v in res["table_sigma50"].items()]
    per = [[s, k, str(r["n"]), fmt(r["diff"]), "—" if r["ci"] is None else f"[{fmt(r['ci'][0])}, {fmt(r['ci'][1])}]",
            fmt(r["p_mcnemar"]), fmt(r["all"]["diff"])]
           for s, pr in res["paired_per_seed"].items() for k, r in pr.items()]
    by_seed = {s: {m: n[s] for m, n in res["steps"].items()} for s in seeds}
    return [
        ("h1", f"HERO demo — {len(seeds)} seeds"),
        ("p", f"Seeds {', '.join(seeds)} (world, initialisation and training); budget {cfg.budget_min:g} min per seed"
              f"{' (quick plumbing runs)' if cfg.quick else ''}. Each seed's full report: "
              + ", ".join(f"seed_{s}/report.html" for s in seeds) + "."),
        *paired_section(res["paired"], f"Paired comparisons, pooled over {len(seeds)} seeds"),
        ("p", "Pooled: the questions of all seeds together; the bootstrap resamples questions, so this CI holds the "
              "question-sampling noise, not the training-run noise — the per-seed rows below show that spread."),
        ("h2", "Paired comparisons per seed"),
        ("table", ["seed", "A vs B", "n both confident", "diff", "95 % CI", "p (McNemar)", "diff all"], per),
        ("h2", f"Trap accuracy at σ = {SIGMA:g} per seed"),
        ("table", ["model"] + [f"seed {s}" for s in seeds] + ["mean", "sd"], trap),
        *steps_section(by_seed, res["matched_steps"]),
        *rl_section({f"{m} (seed {s})": row for s, per in res["rl"].items() for m, row in (per or {}).items()}),
        ("h2", "Targets per seed"),
        ("table", ["target", "status"], [[t["target"], t["status"]] for t in res["targets"]]),
    ]


def write_seeds(cfg: DemoConfig, per_seed: dict[int, dict], seconds: float) -> dict:
    """<out>/results.json and the report of a multi-seed demo from every seed's results.json content."""
    seeds = list(per_seed)
    matched = dict(next(iter(per_seed.values()))["matched_steps"])
    matched["matched"] = all_matched([r["matched_steps"]["matched"] for r in per_seed.values()])
    matched["train_minutes"] = {str(s): r["matched_steps"].get("train_minutes") for s, r in per_seed.items()}
    matched["wall_clock_ratio"] = {f"{f} (seed {s})": v for s, r in per_seed.items()
                                   for f, v in (r["matched_steps"].get("wall_clock_ratio") or {}).items()}
    methods = list(dict.fromkeys(m for r in per_seed.values() for m in r["steps"]))
    out = {"schema": "hero.demo/1",
           "config": cfg.recorded(),
           "seeds": seeds, "runs": {str(s): f"seed_{s}/results.json" for s in seeds},
           "paired": paired([seed_answers(r["stages"]) for r in per_seed.values()]),
           "paired_per_seed": {str(s): r["paired"] for s, r in per_seed.items()},
           "steps": {m: {str(s): r["steps"].get(m) for s, r in per_seed.items()} for m in methods},
           "matched_steps": matched, "table_sigma50": _trap50(per_seed),
           "protocol": next(iter(per_seed.values())).get("protocol"),
           "rl": {str(s): r.get("rl") for s, r in per_seed.items()},
           "targets": [{**t, "target": f"seed {s}: {t['target']}"} for s, r in per_seed.items() for t in r["targets"]],
           "minutes_stages": round(sum(r["minutes_stages"] for r in per_seed.values()), 2),
           "minutes_this_call": round(seconds / 60, 2)}
    root = Path(cfg.out)
    publish(root, write_sections(root / "report", _sections(cfg, out), f"HERO demo — {len(seeds)} seeds"))
    write_json_atomic(root / "results.json", out)
    return out
