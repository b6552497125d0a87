"""HERO's per-step overhead against TRL's plain GRPOTrainer, measured side by side in one run (tiny text LM, CPU).

1. Gate off: seconds per optimizer step, HeroGRPOTrainer (neg_exp weight, answer entropy, adaptive β) vs
   GRPOTrainer, same model, seed and batch. Goal: ratio <= 1.02. HERO reads the entropy from the gradient forward
   (default); the third arm forces the extra no-grad entropy pass instead, to show what that pass costs.
2. Half the groups zero-variance (a reward that is constant on every other group): policy forward+backward seconds
   per step (training_step minus _prepare_inputs, i.e. the gradient pass only) with the gate on vs off. Goal <= 0.6.
   Ideal is 0.5; the fixed per-call cost of a tiny model keeps small batches above it, so several batch sizes are
   reported.

All completions are forced to the full length (min_new_tokens), so the arms generate identical-size batches.
Runs alternate between the arms (A B A B ...) so load from other processes hits both alike; medians are reported.
Times are CPU seconds of this process (time.process_time, one torch thread), which other processes' load on the
shared cores disturbs far less than wall time; the wall-time ratio of part 1 is printed too.
3. The same ratio as part 1 on a model big enough that the policy pass dominates the step: the `base` LLaVA
   preset (≈ 24 M parameters, hero.model.build.PRESETS) on a small world, trained through `run_rl` (the real
   `hero train hero|grpo` pipeline: HERO with the gate off vs plain GRPO), completions forced to full length.
   Part 1's tiny LM (≈ 0.03 M parameters) measures mostly Python's fixed per-step cost; this part measures HERO's
   work against a policy pass of realistic weight. `--vlm-preset ''` skips it.
Run: python benchmarks/step_overhead.py [--rounds 6] [--steps 8] [--batch 64] [--gate-batches 32,64,128]
         [--vlm-preset base] [--vlm-rounds 2] [--vlm-steps 4] [--vlm-batch 32]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
from transformers import TrainerCallback

from hero.rl.testing import tiny_trainer, yes_no_dataset


def half_constant_reward(prompts, completions, num_generations=8, **kwargs):
    """Every other group of the batch gets reward 1 everywhere (std 0); the others 1, 0, 1, 0, ..."""
    return [1.0 if (i // num_generations) % 2 == 0 else float(i % 2 == 0) for i in range(len(prompts))]


def exact_reward(prompts, completions, answer, **kwargs):
    return [1.0 if a in str(c).split() else 0.0 for c, a in zip(completions, answer)]


CLOCK = time.process_time


class StepTimer(TrainerCallback):
    """CPU and wall seconds of each optimizer step (on_step_begin → on_step_end), generation included."""

    def __init__(self):
        self.times, self.wall, self._t0 = [], [], None

    def on_step_begin(self, args, state, control, **kwargs):
        self._t0 = (CLOCK(), time.perf_counter())

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(CLOCK() - self._t0[0])
        self.wall.append(time.perf_counter() - self._t0[1])


def time_gradient_pass(trainer) -> list[float]:
    """Instrument `trainer` so each training_step records its time minus the _prepare_inputs time."""
    records, prep = [], []
    prepare, step = trainer._prepare_inputs, trainer.training_step

    def timed_prepare(batch):
        t0 = CLOCK()
        out = prepare(batch)
        prep.append(CLOCK() - t0)
        return out

    def timed_step(model, inputs, num_items):
        t0 = CLOCK()
        out = step(model, inputs, num_items)
        records.append(CLOCK() - t0 - prep.pop())
        return out

    trainer._prepare_inputs, trainer.training_step = timed_prepare, timed_step
    return records


def run(arm: str, tmp: str, steps: int, batch: int, length: int, warmup: int) -> tuple[list, list, list]:
    """One training run of `steps` optimizer steps; returns (step CPU s, gradient-pass CPU s, step wall s) after
    warm-up."""
    # every completion exactly `length` tokens: generation costs the same in every arm whatever the policy samples
    common = dict(max_steps=steps, per_device_train_batch_size=batch, max_completion_length=length, logging_steps=1000,
                  generation_kwargs={"min_new_tokens": length})
    dataset = yes_no_dataset(4 * batch, 0)
    if arm == "grpo":
        t = tiny_trainer(tmp, hero=False, reward=exact_reward, dataset=dataset, **common)
    elif arm in ("hero", "hero_extra_pass"):
        t = tiny_trainer(tmp, reward=exact_reward, dataset=dataset, gate=False,
                         entropy_from_loss_forward=arm == "hero", **common)
    else:  # gate_on / gate_off on the half-constant reward
        t = tiny_trainer(tmp, reward=half_constant_reward, dataset=dataset, gate=arm == "gate_on", **common)
    timer = StepTimer()
    t.add_callback(timer)
    grad = time_gradient_pass(t)
    t.train()
    return timer.times[warmup:], grad[warmup:], timer.wall[warmup:]


def compare(arms: tuple[str, ...], rounds: int, **kw) -> dict[str, tuple[list, list, list]]:
    """Run the arms in turn `rounds` times (order reversed every other round); pool their per-step samples."""
    pooled = {a: ([], [], []) for a in arms}
    for r in range(rounds):
        for arm in arms if r % 2 == 0 else arms[::-1]:
            with tempfile.TemporaryDirectory() as tmp:
                for pool, samples in zip(pooled[arm], run(arm, tmp, **kw)):
                    pool.extend(samples)
    return pooled


VLM_WORLD = dict(image_size=32, colours=["red", "green", "blue"], shapes=["circle", "square"], min_size=8,
                 max_size=10, max_objects=3, prior=[["red circle", "blue square", 0.85]], train_images=20,
                 val_images=0, test_images=0)


def vlm_setup(root, preset: str):
    """A small world and a random-init VLM of `preset` for it (marked as an answer model); (world, model) folders."""
    from pathlib import Path

    from hero.model.build import build_model, save
    from hero.world import WorldConfig, build_world

    root = Path(root)
    cfg = WorldConfig(seed=0, **VLM_WORLD)
    build_world(cfg, root / "world", progress=False)
    model, processor = build_model(preset, cfg.colours, cfg.shapes, cfg.image_size, seed=0)
    model.config.hero_style = "answer"
    save(model, processor, root / "model")
    return root / "world", root / "model", sum(p.numel() for p in model.parameters())


def vlm_run(arm: str, world, model, tmp: str, steps: int, batch: int, length: int, warmup: int) -> tuple[list, list]:
    """One `run_rl` of `steps` steps (arm 'hero' with the gate off, or 'grpo'); (step CPU s, step wall s)."""
    from hero.rl.pipeline import run_rl

    timer = StepTimer()
    extra = {"gate": False} if arm == "hero" else {}
    run_rl(arm, model, world, tmp, callbacks=[timer], max_steps=steps, per_device_train_batch_size=batch,
           num_generations=8, max_completion_length=length, generation_kwargs={"min_new_tokens": length},
           threads=1, progress=False, save_strategy="no", report_to=[], budget_min=60.0, **extra)
    return timer.times[warmup:], timer.wall[warmup:]


def vlm_part(preset: str, rounds: int, steps: int, batch: int, length: int, warmup: int) -> None:
    """Part 3: HERO (gate off) vs GRPO step time on the `preset` VLM, arms alternating, medians."""
    with tempfile.TemporaryDirectory() as root:
        world, model, n_params = vlm_setup(root, preset)
        pooled = {a: ([], []) for a in ("grpo", "hero")}
        for r in range(rounds):
            for arm in ("grpo", "hero") if r % 2 == 0 else ("hero", "grpo"):
                with tempfile.TemporaryDirectory() as tmp:
                    cpu, wall = vlm_run(arm, world, model, tmp, steps, batch, length, warmup)
                pooled[arm][0].extend(cpu)
                pooled[arm][1].extend(wall)
    med = statistics.median
    g, h = med(pooled["grpo"][0]), med(pooled["hero"][0])
    gw, hw = med(pooled["grpo"][1]), med(pooled["hero"][1])
    print(f"part 3, {preset} LLaVA preset ({n_params / 1e6:.1f} M parameters), gate off, {batch} completions/step "
          f"of {length} tokens, n = {len(pooled['grpo'][0])} steps per arm (medians)")
    print(f"  grpo             {g:.4f} CPU s/step  (wall {gw:.4f})")
    print(f"  hero             {h:.4f} CPU s/step  (wall {hw:.4f})  ratio {h / g:.3f} (wall {hw / gw:.3f}) "
          f"goal <= 1.02: {'met' if h / g <= 1.02 else 'NOT met'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--batch", type=int, default=64, help="completions per step for part 1 (groups of 8)")
    p.add_argument("--gate-batches", default="32,64,128", help="completions per step for part 2")
    p.add_argument("--length", type=int, default=16, help="max completion length")
    p.add_argument("--vlm-preset", default="base", help="LLaVA preset of part 3 ('' skips part 3)")
    p.add_argument("--vlm-rounds", type=int, default=2)
    p.add_argument("--vlm-steps", type=int, default=4)
    p.add_argument("--vlm-batch", type=int, default=32)
    p.add_argument("--only-vlm", action="store_true", help="run part 3 alone")
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.only_vlm:
        vlm_part(a.vlm_preset, a.vlm_rounds, a.vlm_steps, a.vlm_batch, a.length, a.warmup)
        return
    med = statistics.median
    kw = dict(steps=a.steps, length=a.length, warmup=a.warmup)

    res = compare(("grpo", "hero", "hero_extra_pass"), a.rounds, batch=a.batch, **kw)
    g, gw = med(res["grpo"][0]), med(res["grpo"][2])
    print(f"part 1, gate off, {a.batch} completions/step, n = {len(res['grpo'][0])} steps per arm (medians)")
    for arm in ("grpo", "hero", "hero_extra_pass"):
        s, f, w = med(res[arm][0]), med(res[arm][1]), med(res[arm][2])
        goal = "" if arm == "grpo" else f"  ratio {s / g:.3f} (wall {w / gw:.3f})" + (
            f" goal <= 1.02: {'met' if s / g <= 1.02 else 'NOT met'}" if arm == "hero" else "")
        print(f"  {arm:16s} {s:.4f} CPU s/step  (policy fwd+bwd {f:.4f}){goal}")

    print(f"part 2, half the groups zero-variance, policy fwd+bwd CPU s/step, gate on vs off (goal <= 0.6)")
    for batch in [int(b) for b in a.gate_batches.split(",")]:
        res = compare(("gate_off", "gate_on"), max(2, a.rounds // 2), batch=batch, **kw)
        off, on = med(res["gate_off"][1]), med(res["gate_on"][1])
        so, sn = med(res["gate_off"][0]), med(res["gate_on"][0])
        print(f"  {batch:4d} completions: off {off:.4f}  on {on:.4f}  ratio {on / off:.3f} "
              f"({'met' if on / off <= 0.6 else 'NOT met'});  whole step ratio {sn / so:.3f}")
    if a.vlm_preset:
        vlm_part(a.vlm_preset, a.vlm_rounds, a.vlm_steps, a.vlm_batch, a.length, a.warmup)


if __name__ == "__main__":
    main()
