"""Issue 13's headline measure on a finished demo: the marginal answer confidence (k sampled CoTs at T = 1) of every
CoT model at σ = 50, then the demo's paired comparisons (HERO vs GRPO / SFT (CoT) / DPO) on it, pooled over seeds.

    python benchmarks/paired_marginal.py RUNS/test [RUNS/other ...] [--samples 8] [--threads 1]

Trained ablations (`hero demo --ablations`) join as "HERO vs <ablation>" pairs.
RUNS/test is a `hero demo --seeds N` folder (seed_<s>/ subfolders) or one seed's demo folder; several are pooled
together (e.g. two single-seed demo folders), the JSON going to the first. Each model's marginal
trap run goes to <seed>/trap_marginal_<model>/run (a `hero trap` run folder: resumable, identity-checked), with the
demo's own trap settings (its 600 questions, noise seed = the demo seed, max_new_tokens 48). Prints the paired table
and writes RUNS/test/paired_marginal.json ({"pooled": {pair: ...}, "per_seed": {seed: {pair: ...}}}).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hero.demo.config import ABLATIONS, recorded_specs
from hero.demo.pipeline import demo_trap_run
from hero.demo.paired import paired, trap_answers
from hero.io import read_json, write_json_atomic

MODELS = ("sft_cot", "grpo", "hero", "dpo")


def marginal_run(seed_dir: Path, model: str, samples: int) -> Path:
    """Run (or resume) the σ = 50 marginal trap of one model of one seed's demo; returns the run folder."""
    cfg = read_json(seed_dir / "results.json")["config"]
    out = seed_dir / f"trap_marginal_{model}" / "run"
    demo_trap_run(seed_dir / model / "model", seed_dir / "world" / "trap_questions.json",
                  seed_dir / "world" / "world" / "test" / "images", out, recorded_specs(cfg, [50.0]), cfg["seed"],
                  confidence="marginal", confidence_samples=samples)
    return out


def bin_line(answers: dict, threshold: float) -> str:
    """'bin share S acc A (all acc B)' of one model's {id: (correct, entropy)}."""
    inside = [c for c, h in answers.values() if h <= threshold]
    share, acc = len(inside) / len(answers), (sum(inside) / len(inside) if inside else float("nan"))
    return f"bin share {share:.3f} bin acc {acc:.3f} (all acc {sum(c for c, _ in answers.values()) / len(answers):.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roots", nargs="+")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    root = Path(a.roots[0])
    seeds = [sd for r in map(Path, a.roots) for sd in (sorted(p for p in r.glob("seed_*") if p.is_dir()) or [r])]
    per_seed = {}
    for sd in seeds:
        models = MODELS + tuple(m for m in ABLATIONS if (sd / m / "done.json").exists())
        answers = {m: trap_answers(marginal_run(sd, m, a.samples)) for m in models}
        per_seed[sd.name] = answers
        print(f"{sd.name}: " + ", ".join(f"{m} {bin_line(ans, t)}" for m, (ans, t) in answers.items()))
    if len(per_seed) > 1:  # every model's questions of all seeds together, a question being (seed, id)
        first = next(iter(per_seed.values()))
        print("pooled: " + ", ".join(
            f"{m} " + bin_line({f"{s}/{q}": v for s, ans in per_seed.items() if m in ans for q, v in ans[m][0].items()},
                               t) for m, (_, t) in first.items()))
    res = {"samples": a.samples, "sigma": 50.0, "pooled": paired(list(per_seed.values())),
           "per_seed": {k: paired([v]) for k, v in per_seed.items()}}
    write_json_atomic(root / "paired_marginal.json", res)
    for key, r in res["pooled"].items():
        print(f"{key}: own-bin diff {r['diff']} CI {r['ci']} (bins {r['n_bin_a']} / {r['n_bin_b']}); McNemar p "
              f"{r['p_mcnemar']} on {r['n']} both-confident; all questions diff {r['all']['diff']} CI {r['all']['ci']}")
    print(json.dumps({"written": str(root / "paired_marginal.json")}))


if __name__ == "__main__":
    main()
