"""The demo's own paired comparisons (conditional confidence: the answer entropy after each model's greedy CoT, σ = 50,
T = 1) pooled over several finished single-seed demo folders — what `hero demo --seeds N` writes under `paired`, for
seeds that were run as separate demos (e.g. two at once, one per core).

    python benchmarks/paired_conditional.py RUNS/s4 RUNS/s5 RUNS/s6

Run it from the folder the demos were started in (their results.json hold the stage paths as given then). Prints one
line per pair (own-bin accuracy difference, paired bootstrap 95 % CI, McNemar p) and writes
RUNS/s4/paired_conditional.json ({"pooled": {pair: ...}, "per_seed": {folder: {pair: ...}}}).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hero.demo.paired import paired, seed_answers
from hero.io import read_json, write_json_atomic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roots", nargs="+")
    a = ap.parse_args()
    per_seed = {r: seed_answers(read_json(Path(r) / "results.json")["stages"]) for r in a.roots}
    res = {"sigma": 50.0, "pooled": paired(list(per_seed.values())),
           "per_seed": {k: paired([v]) for k, v in per_seed.items()}}
    write_json_atomic(Path(a.roots[0]) / "paired_conditional.json", res)
    for key, r in res["pooled"].items():
        print(f"{key}: own-bin diff {r['diff']:+.3f} CI [{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}] (bins {r['n_bin_a']} / "
              f"{r['n_bin_b']}); McNemar p {r['p_mcnemar']:.3g} on {r['n']} both-confident")
    print(json.dumps({"written": str(Path(a.roots[0]) / "paired_conditional.json")}))


if __name__ == "__main__":
    main()
