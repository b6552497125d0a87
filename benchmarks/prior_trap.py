"""The prior-driven half of the Confidence Trap on a finished demo: every model on a 50/50 prior-consistent /
prior-violating question set (`hero world priorset`), marginal confidence (k sampled CoTs at T = 1), σ = 0 and 50.

    python benchmarks/prior_trap.py RUNS/test [--questions 300] [--images 3000] [--samples 8]

RUNS/test is a `hero demo --seeds N` folder (seed_<s>/ subfolders) or one seed's demo folder. Per seed: the set is
built in that seed's world (WORLD/prior/, fresh scenes disjoint from train / val / test; reused when present), then
each model's run goes to <seed>/trap_prior_<model>/run (a resumable `hero trap` run folder, noise seed = the demo
seed). Prints, pooled over the seeds, per model, σ and prior tag: accuracy of the majority answer, the confident
bin's share (marginal entropy ≤ 0.3 nats) and its accuracy, then HERO vs GRPO / SFT (CoT) / DPO paired per σ and
tag (own-bin accuracy difference, paired bootstrap CI, McNemar); writes RUNS/test/prior_trap.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hero.io import read_json, write_json_atomic

MODELS = ("sft_cot", "sft_answer", "grpo", "hero", "dpo")
SIGMAS = (0.0, 50.0)
TAGS = ("consistent", "violating")


def prior_run(seed_dir: Path, model: str, a: argparse.Namespace) -> Path:
    """Build (or reuse) the seed's prior set, then run (or resume) one model's marginal trap on it."""
    from hero.scoring import make_trap_scorer
    from hero.trap.run import TrapConfig, run_trap
    from hero.world.priorset import QUESTIONS_FILE, WorldPriorSetConfig, build_priorset

    cfg = read_json(seed_dir / "results.json")["config"]
    world = seed_dir / "world" / "world"
    if not (world / "prior" / QUESTIONS_FILE).is_file():
        build_priorset(WorldPriorSetConfig(world=str(world), images=a.images, questions=a.questions, seed=cfg["seed"]))
    out = seed_dir / f"trap_prior_{model}" / "run"
    tc = TrapConfig(model=str(seed_dir / model / "model"), questions=str(world / "prior" / QUESTIONS_FILE),
                    images=str(world / "prior" / "images"), out=str(out), noise=list(SIGMAS), temperatures=[1.0],
                    seed=cfg["seed"], confidence="marginal", confidence_samples=a.samples)
    run_trap(tc, make_trap_scorer(str(seed_dir / model / "model"), seed=cfg["seed"], max_new_tokens=48),
             progress=False)
    return out


def cells(run: Path) -> dict[str, dict[str, tuple[bool, float]]]:
    """'σ/tag' → {question id: (correct, entropy)} of one run's samples (the entropy its summary scores the trap
    bin with)."""
    from hero.trap.runfolder import read_samples

    field = read_json(run / "summary.json")["entropy_field"]
    out: dict[str, dict] = {}
    for r in read_samples(run / "samples.jsonl"):
        if r.get("sigma") is not None and r.get("prior") in TAGS:
            out.setdefault(f"{float(r['sigma']):g}/{r['prior']}", {})[str(r["id"])] = (bool(r["correct"]),
                                                                                      float(r[field]))
    return out


def paired_cells(pooled: dict, a: str, b: str) -> dict[str, dict]:
    """Per 'σ/tag': hero.trap.paired.paired_bin_comparison of model a vs b on the questions both answered
    (pooled over seeds: a question is (seed, id)); diff = a's own-bin accuracy − b's."""
    from hero.trap.paired import paired_bin_comparison

    out = {}
    for key in pooled.get(a, {}):
        qa, qb = pooled[a][key], pooled.get(b, {}).get(key, {})
        both = [q for q in qa if q in qb]
        if both:
            r = paired_bin_comparison([qa[q][0] for q in both], [qa[q][1] for q in both], [qb[q][0] for q in both],
                                      [qb[q][1] for q in both], 0.3, seed=0)
            out[key] = {k: r[k] for k in ("diff", "ci", "p_mcnemar", "n", "n_bin_a", "n_bin_b")}
    return out


def stats(rows: list[tuple[bool, float]], threshold: float = 0.3) -> dict:
    """{"n", "accuracy", "bin_share", "bin_accuracy"}: [(True, 0.1), (False, 0.2), (True, 0.6)] → n 3, accuracy 2/3,
    bin share 2/3, bin accuracy 1/2."""
    inside = [c for c, h in rows if h <= threshold]
    return {"n": len(rows), "accuracy": sum(c for c, _ in rows) / len(rows) if rows else None,
            "bin_share": len(inside) / len(rows) if rows else None,
            "bin_accuracy": sum(inside) / len(inside) if inside else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models", default=",".join(MODELS))
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    root = Path(a.root)
    seeds = sorted(p for p in root.glob("seed_*") if p.is_dir()) or [root]
    pooled: dict[str, dict[str, list]] = {}
    for sd in seeds:
        for m in a.models.split(","):
            for key, rows in cells(prior_run(sd, m, a)).items():
                pooled.setdefault(m, {}).setdefault(key, {}).update({f"{sd.name}/{q}": v for q, v in rows.items()})
    res = {"samples": a.samples, "questions_per_seed": a.questions, "seeds": [s.name for s in seeds],
           "pooled": {m: {k: stats(list(v.values())) for k, v in sorted(c.items())} for m, c in pooled.items()},
           "paired": {f"HERO vs {b}": paired_cells(pooled, "hero", b) for b in ("grpo", "sft_cot", "dpo")
                      if "hero" in pooled and b in pooled}}
    write_json_atomic(root / "prior_trap.json", res)
    for m, c in res["pooled"].items():
        for k, s in c.items():
            print(f"{m:12s} σ={k:16s} n {s['n']:4d}  acc {s['accuracy']:.3f}  bin share {s['bin_share']:.3f}  "
                  f"bin acc {s['bin_accuracy'] if s['bin_accuracy'] is None else round(s['bin_accuracy'], 3)}")
    for pair, per in res["paired"].items():
        for k, r in per.items():
            ci = "—" if r["ci"] is None else f"[{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}]"
            print(f"{pair:18s} σ={k:16s} own-bin diff {r['diff']} CI {ci} (bins {r['n_bin_a']} / {r['n_bin_b']}), "
                  f"McNemar p {r['p_mcnemar']} on {r['n']}")
    print(json.dumps({"written": str(root / "prior_trap.json")}))


if __name__ == "__main__":
    main()
