"""Seconds per optimizer step of `hero train grpo` vs `hero train hero` on the world (tiny VLM, CoT completions, CPU).

Both arms run through `run_rl` exactly as the CLI does (same model, world, seed, batch, σ list, completion length),
alternating GRPO, HERO, GRPO, HERO ... so load from other processes on the shared cores hits both alike. Per step:
CPU seconds of this process (time.process_time, one torch thread), which that load disturbs far less than wall
time; wall seconds are printed too. The first step of each run (warm-up) is dropped; medians over all other steps.
HERO's gate drops all-right / all-wrong groups before its gradient pass, so its steps are cheaper the more such
groups there are; `gated_frac` is reported next to the times. A third arm, HERO with the gate off, isolates the cost
of the entropy weight and the balancer.

Run: python benchmarks/rl_step_time.py --model SFT_COT_DIR --world WORLD_DIR [--rounds 3] [--steps 8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback

from hero.rl.pipeline import run_rl

ARMS = {"grpo": ("grpo", {}), "hero": ("hero", {}), "hero_no_gate": ("hero", {"gate": False})}


class StepClock(TrainerCallback):
    """CPU and wall seconds of every optimizer step."""

    def __init__(self):
        self.cpu, self.wall, self._c, self._w = [], [], 0.0, 0.0

    def on_step_begin(self, args, state, control, **kw):
        self._c, self._w = time.process_time(), time.perf_counter()

    def on_step_end(self, args, state, control, **kw):
        self.cpu.append(time.process_time() - self._c)
        self.wall.append(time.perf_counter() - self._w)


def one_run(arm: str, args, out: Path) -> dict:
    method, extra = ARMS[arm]
    clock = StepClock()
    run_rl(method, args.model, args.world, out, callbacks=[clock], max_steps=args.steps, save_strategy="no",
           report_to=[], threads=1, progress=False, seed=args.seed, budget_min=60.0,
           per_device_train_batch_size=args.batch, max_completion_length=args.length, **extra)
    logs = [h for h in json.loads((out / "log_history.json").read_text()) if "reward" in h]
    return {"cpu": clock.cpu[1:], "wall": clock.wall[1:], "gated": [h.get("hero/gated_frac", 0.0) for h in logs],
            "length": [h["completions/mean_length"] for h in logs], "reward": [h["reward"] for h in logs]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="CoT-SFT model folder")
    p.add_argument("--world", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--batch", type=int, default=32, help="completions per step (8 per prompt)")
    p.add_argument("--length", type=int, default=48, help="max completion tokens")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arms", default="grpo,hero,hero_no_gate")
    args = p.parse_args()
    arms = args.arms.split(",")
    res = {a: {"cpu": [], "wall": [], "gated": [], "length": [], "reward": []} for a in arms}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for a in arms:
                got = one_run(a, args, Path(tmp) / f"{a}_{r}")
                for k, v in got.items():
                    res[a][k] += v
    base = statistics.median(res["grpo"]["cpu"]) if "grpo" in res else None
    print(f"{'arm':14s} {'cpu s/step':>10s} {'wall s/step':>11s} {'ratio':>6s} {'gated':>6s} {'len':>5s} {'reward':>6s}")
    for a in arms:
        cpu, wall = statistics.median(res[a]["cpu"]), statistics.median(res[a]["wall"])
        ratio = f"{cpu / base:6.2f}" if base else "     -"
        print(f"{a:14s} {cpu:10.3f} {wall:11.3f} {ratio} {statistics.mean(res[a]['gated']):6.2f} "
              f"{statistics.mean(res[a]['length']):5.1f} {statistics.mean(res[a]['reward']):6.2f}")


if __name__ == "__main__":
    main()
