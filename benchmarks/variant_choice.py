"""Choose a setting on validation seeds: one trap run per seed and variant, compared at σ = 50 against a baseline
variant on the same questions (the numbers benchmarks/demo_results.md's validation rules decide on).

    python benchmarks/variant_choice.py --run trap_marginal_hero/run \
        answer=runs/val/s101_answer,runs/val/s102 group=runs/val/s101_group,runs/val/s102_group ...

--run is the trap run folder inside each demo folder (trap_marginal_hero/run: HERO's marginal confidence from
benchmarks/paired_marginal.py; trap_dpo/run: DPO's conditional trap run). Each VARIANT=DIR,DIR,... lists one demo
folder per seed, in the same seed order for every variant; the first variant is the baseline. Prints per variant and
seed the own-bin accuracy (entropy ≤ the run's trap threshold) and bin share, their mean over seeds, the pooled
own-bin accuracy (questions of all seeds together), and each variant − baseline as a paired comparison over the
pooled questions (hero.trap.paired.paired_bin_comparison: diff, paired bootstrap CI, McNemar on both-confident).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hero.demo.paired import Answers, trap_answers
from hero.trap.paired import paired_bin_comparison


def bin_stats(answers: Answers, threshold: float) -> tuple[float | None, float]:
    """(own-bin accuracy, bin share) of {id: (correct, entropy)}: {1: (True, 0.1), 2: (False, 0.2), 3: (True, 0.9)}
    → (1/2, 2/3)."""
    inside = [c for c, h in answers.values() if h <= threshold]
    return (sum(inside) / len(inside) if inside else None), len(inside) / len(answers)


def pooled(per_seed: list[Answers]) -> Answers:
    """The seeds' answers as one set, a question being (seed index, id)."""
    return {f"{i}/{q}": v for i, ans in enumerate(per_seed) for q, v in ans.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="trap run folder inside each demo folder")
    ap.add_argument("variants", nargs="+", help="NAME=DIR,DIR,... (one demo folder per seed; the first is the baseline)")
    a = ap.parse_args()
    runs = {}
    for spec in a.variants:
        name, _, dirs = spec.partition("=")
        runs[name] = [trap_answers(Path(d) / a.run) for d in dirs.split(",")]
    thresholds = {t for per in runs.values() for _, t in per}
    if len(thresholds) != 1 or len({len(per) for per in runs.values()}) != 1:
        raise SystemExit(f"variants differ in trap threshold {sorted(thresholds)} or in their number of seeds")
    t = thresholds.pop()
    base_name, base = next(iter(runs.items()))
    base_pool = pooled([ans for ans, _ in base])
    for name, per in runs.items():
        cells = [bin_stats(ans, t) for ans, _ in per]
        accs = [acc for acc, _ in cells if acc is not None]
        acc_pool, share_pool = bin_stats(pool := pooled([ans for ans, _ in per]), t)
        line = (f"{name:10s} bin acc per seed {' / '.join(f'{acc:.3f}' for acc in accs)} (mean {sum(accs) / len(accs):.3f}),"
                f" share {' / '.join(f'{s:.3f}' for _, s in cells)}; pooled bin acc {acc_pool:.4f} share {share_pool:.3f}")
        if name != base_name:
            both = [q for q in pool if q in base_pool]
            r = paired_bin_comparison([pool[q][0] for q in both], [pool[q][1] for q in both],
                                      [base_pool[q][0] for q in both], [base_pool[q][1] for q in both], t, seed=0)
            ci = "—" if r["ci"] is None else f"[{r['ci'][0]:+.4f}, {r['ci'][1]:+.4f}]"
            line += f"; − {base_name}: {r['diff']:+.4f} {ci}, McNemar p {r['p_mcnemar']:.3g}"
        print(line)


if __name__ == "__main__":
    main()
