"""The world calibration table (benchmarks/trap_world.md): per degradation spec of one or more `hero trap` run folders,
accuracy with its bootstrap CI, yes-ratio, and the confident bin (answer entropy ≤ the trap threshold): share and
accuracy — the figures the trap preset was chosen by (answer-only SFT ≈ 0.75 at σ = 30, ≈ 0.55–0.6 at σ = 50,
clean ≥ 0.95).

    python benchmarks/trap_calibration.py RUN [RUN ...]      # e.g. /work/cal/i101/trap_grain/run-folder

Reads each RUN/summary.json (written by `hero trap`); prints one line per (run, spec, T).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hero.io import read_json


def lines(summary: dict) -> list[str]:
    """One line per group of a hero.trap summary."""
    out = []
    for g in summary["groups"]:
        t, ci = g["trap"], g["accuracy_ci"]
        acc = "—" if t["accuracy"] is None else f"{t['accuracy']:.3f}"
        out.append(f"  {g['degrade']:14s} T={g['temperature']:g}  acc {g['accuracy']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]  "
                   f"yes {g['yes_ratio']:.2f}  bin share {t['share']:.2f}  bin acc {acc}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    for run in ap.parse_args().runs:
        print(run)
        print("\n".join(lines(read_json(Path(run) / "summary.json"))))


if __name__ == "__main__":
    main()
