"""The prior-driven half of the Confidence Trap on a finished demo: every model on a 50/50 prior-consistent /
prior-violating question set (`hero world priorset`), marginal confidence (k sampled CoTs at T = 1), σ = 0 and 50.

    python benchmarks/prior_trap.py RUNS/test [RUNS/other ...] [--questions 300] [--images 3000] [--samples 8]

RUNS/test is a `hero demo --seeds N` folder (seed_<s>/ subfolders) or one seed's demo folder; several are pooled
together (e.g. single-seed demo folders), the JSON going to the first. Per seed: the set is
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

from hero.demo.config import recorded_specs
from hero.demo.pipeline import demo_trap_run
from hero.demo.paired import paired
from hero.io import read_json, write_json_atomic

MODELS = ("sft_cot", "sft_answer", "grpo", "hero", "dpo")
SIGMAS = (0.0, 50.0)
TAGS = ("consistent", "violating")


def prior_run(seed_dir: Path, model: str, a: argparse.Namespace) -> Path:
    """Build (or reuse) the seed's prior set, then run (or resume) one model's marginal trap on it."""
    from hero.world.priorset import QUESTIONS_FILE, WorldPriorSetConfig, build_priorset

    cfg = read_json(seed_dir / "results.json")["config"]
    world = seed_dir / "world" / "world"
    if not (world / "prior" / QUESTIONS_FILE).is_file():
        build_priorset(WorldPriorSetConfig(world=str(world), images=a.images, questions=a.questions, seed=cfg["seed"]))
    out = seed_dir / f"trap_prior_{model}" / "run"
    demo_trap_run(seed_dir / model / "model", world / "prior" / QUESTIONS_FILE, world / "prior" / "images", out,
                  recorded_specs(cfg, SIGMAS), cfg["seed"], confidence="marginal", confidence_samples=a.samples)
    return out


def cells(run: Path) -> tuple[dict[str, dict[str, tuple[bool, float]]], float]:
    """('σ/tag' → {question id: (correct, entropy)}, trap threshold) of one run's samples (the entropy and threshold
    its summary scores the trap bin with)."""
    from hero.degrade import pixel_sigma
    from hero.trap.runfolder import read_samples
    from hero.trap.summary import row_degrade

    summary = read_json(run / "summary.json")
    field = summary["entropy_field"]
    out: dict[str, dict] = {}
    for r in read_samples(run / "samples.jsonl"):
        sigma = pixel_sigma(row_degrade(r))  # the demo's σ op (noise or grain)
        if sigma is not None and r.get("prior") in TAGS:
            out.setdefault(f"{sigma:g}/{r['prior']}", {})[str(r["id"])] = (bool(r["correct"]), float(r[field]))
    return out, float(summary["trap_threshold"])


def cell_stats(answers: list[tuple[bool, float]], tag: str, threshold: float) -> dict:
    """hero.trap.prior.by_prior's record of one tag's pooled answers: {"n", "accuracy", "trap": {"count", "share",
    "accuracy"}}."""
    from hero.trap.prior import by_prior

    return by_prior([tag] * len(answers), [c for c, _ in answers], [h for _, h in answers], threshold)[tag]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roots", nargs="+")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models", default=",".join(MODELS))
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    root = Path(a.roots[0])  # several roots are pooled (as paired_marginal.py does); the JSON goes to the first
    seeds = [sd for r in map(Path, a.roots) for sd in (sorted(p for p in r.glob("seed_*") if p.is_dir()) or [r])]
    per_seed: list[dict[str, dict]] = []  # per seed: {model: ('σ/tag' → answers, threshold)}
    for sd in seeds:
        per_seed.append({m: cells(prior_run(sd, m, a)) for m in a.models.split(",")})
    keys = sorted({k for s in per_seed for c, _ in s.values() for k in c})
    pooled = {m: {k: cell_stats([v for s in per_seed for v in s[m][0].get(k, {}).values()], k.split("/")[1], t)
                  for k in keys} for m, (_, t) in per_seed[0].items()}
    # paired per cell: hero.demo.paired.paired pools the seeds' questions, a question being (seed, id)
    pairs: dict[str, dict] = {}
    for k in keys:
        for pair, r in paired([{m: (c.get(k, {}), t) for m, (c, t) in s.items()} for s in per_seed]).items():
            pairs.setdefault(pair, {})[k] = {f: r[f] for f in ("diff", "ci", "p_mcnemar", "n", "n_bin_a", "n_bin_b")}
    res = {"samples": a.samples, "questions_per_seed": a.questions, "seeds": [s.name for s in seeds],
           "pooled": pooled, "paired": pairs}
    write_json_atomic(root / "prior_trap.json", res)
    for m, c in res["pooled"].items():
        for k, r in c.items():
            bin_acc = r["trap"]["accuracy"]
            print(f"{m:12s} σ={k:16s} n {r['n']:4d}  acc {r['accuracy']:.3f}  bin share {r['trap']['share']:.3f}  "
                  f"bin acc {bin_acc if bin_acc is None else round(bin_acc, 3)}")
    for pair, per in res["paired"].items():
        for k, r in per.items():
            ci = "—" if r["ci"] is None else f"[{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}]"
            print(f"{pair:18s} σ={k:16s} own-bin diff {r['diff']} CI {ci} (bins {r['n_bin_a']} / {r['n_bin_b']}), "
                  f"McNemar p {r['p_mcnemar']} on {r['n']}")
    print(json.dumps({"written": str(root / "prior_trap.json")}))


if __name__ == "__main__":
    main()
