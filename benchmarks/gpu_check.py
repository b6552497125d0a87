"""The steps of benchmarks/gpu_check.sh, one per process (a crash or an out-of-memory in one step does not hide the
others, and each step starts with an empty GPU). Every step prints one `RESULT {json}` line that the script collects.

    python benchmarks/gpu_check.py build --out DIR        # world + ~2 B-parameter LLaVA from config (no download)
    python benchmarks/gpu_check.py trap  --out DIR        # hero trap on the GPU: questions/s
    python benchmarks/gpu_check.py rl    --out DIR --method hero|grpo [--no-vllm]   # step time, vLLM colocate
    python benchmarks/gpu_check.py eval  --out DIR [--no-vllm]   # hero eval pope --backend vllm: requests/s

Not a test: it measures. Nothing here has run on a GPU yet (docs/gpu.md). HERO_GPU_CHECK_SMOKE=1 runs the same
code on the CPU with a tiny model, fp32 and no vLLM (the plumbing check tests/test_gpu_check.py does).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# ≈ 2.0 B parameters: a Llama-style decoder of 28 layers × 2048 wide (MLP ×4) and a 12-layer SigLIP tower of width
# 1024, 16 px patches on the world's 64 px images (16 image tokens); the vocabulary is the world's few hundred words.
PRESET_2B = dict(patch_size=16, vision_hidden=1024, vision_layers=12, vision_heads=16, text_hidden=2048,
                 text_layers=28, text_heads=16, mlp_ratio=4, max_positions=1024, init_std=0.02)
WORLD = dict(seed=0, image_size=64, train_images=200, val_images=0, test_images=100)
SMOKE = os.environ.get("HERO_GPU_CHECK_SMOKE") == "1"
if SMOKE:  # the CPU plumbing check: a tiny model, a small world
    PRESET_2B = dict(patch_size=16, vision_hidden=32, vision_layers=1, vision_heads=2, text_hidden=64, text_layers=1,
                     text_heads=2)
    WORLD = dict(seed=0, image_size=64, train_images=8, val_images=0, test_images=4)
DEVICE = "cpu" if SMOKE else "cuda"


def result(**kw) -> None:
    """The step's one machine-readable line (peak memory added)."""
    import torch

    if not SMOKE:
        kw["peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        free, total = torch.cuda.mem_get_info()
        kw["device_used_gib"] = round((total - free) / 2**30, 2)  # vLLM's pool included
    print("RESULT " + json.dumps(kw), flush=True)


def build(out: Path) -> None:
    import torch

    from hero.model.build import ModelPreset, build_model, save
    from hero.world import WorldConfig, build_world

    t0 = time.perf_counter()
    cfg = WorldConfig(**WORLD)
    build_world(cfg, out / "world", progress=False)
    t_world = time.perf_counter() - t0
    with torch.device(DEVICE):
        model, processor = build_model(ModelPreset(**PRESET_2B), cfg.colours, cfg.shapes, cfg.image_size, seed=0)
    model = model.to(torch.float32 if SMOKE else torch.bfloat16)
    model.config.hero_style = "answer"
    n = sum(p.numel() for p in model.parameters())
    save(model, processor, out / "model")
    result(step="build", params_b=round(n / 1e9, 3), world_s=round(t_world, 1),
           total_s=round(time.perf_counter() - t0, 1))


def trap(out: Path, batch_size: int) -> None:
    from hero.scoring import make_trap_scorer
    from hero.trap.run import TrapConfig, run_trap
    from hero.trap.summary import SummarySettings

    world = out / "world"
    cfg = TrapConfig(model=str(out / "model"), questions=str(world / "test/pope/world_test_pope_adversarial.json"),
                     images=str(world / "test/images"), out=str(out / "trap"), noise=[0, 30, 50],
                     batch_size=batch_size, progress=False, summary=SummarySettings(n_boot=100), device=DEVICE)
    t0 = time.perf_counter()
    score_fn = make_trap_scorer(cfg.model, seed=0, batch_size=batch_size, device=DEVICE)
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = run_trap(cfg, score_fn, report=False)
    seconds = time.perf_counter() - t1
    result(step="trap", samples=res.n_new, seconds=round(seconds, 2), questions_per_s=round(res.n_new / seconds, 1),
           load_s=round(t_load, 1), batch_size=batch_size)


def rl(out: Path, method: str, vllm: bool, steps: int, batch: int, length: int) -> None:
    from transformers import TrainerCallback

    from hero.rl.pipeline import run_rl

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self._t0 = [], 0.0

        def on_step_begin(self, args, state, control, **kw):
            self._t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            import torch

            if not SMOKE:
                torch.cuda.synchronize()
            self.times.append(time.perf_counter() - self._t0)

    timer = StepTimer()
    extra = {"vllm": "colocate", "vllm_gpu_memory_utilization": 0.3} if vllm else {}
    t0 = time.perf_counter()
    run_rl(method, out / "model", out / "world", out / f"{method}{'_vllm' if vllm else ''}", callbacks=[timer],
           max_steps=steps, per_device_train_batch_size=batch, num_generations=8, max_completion_length=length,
           bf16=not SMOKE, progress=False, save_strategy="no", report_to=[], budget_min=30.0, **extra)
    total = time.perf_counter() - t0
    warm = timer.times[1:] or timer.times
    result(step=f"{method}{' vllm colocate' if vllm else ' hf generate'}", steps=len(timer.times),
           step_s_median=round(statistics.median(warm), 3), first_step_s=round(timer.times[0], 3),
           run_s=round(total, 1), completions_per_step=batch, max_completion_length=length)


def evaluate(out: Path, vllm: bool, limit: int) -> None:
    """`hero eval pope --backend vllm|hf --limit N` on the world's test split (greedy, 16 new tokens)."""
    from hero.evaluation.config import DecodingConfig, PopeEvalConfig
    from hero.evaluation.tasks import run_pope

    world = out / "world"
    backend = "vllm" if vllm else "hf"
    cfg = PopeEvalConfig(model=str(out / "model"), images=str(world / "test/images"), out=str(out / f"eval_{backend}"),
                         questions=[str(world / "test/pope/world_test_pope_adversarial.json")], limit=limit,
                         progress=False, decoding=DecodingConfig(backend=backend, max_new_tokens=16, batch_size=64,
                                                                 device=DEVICE))
    t0 = time.perf_counter()
    scores = run_pope(cfg)
    seconds = time.perf_counter() - t0
    result(step=f"eval pope {backend}", requests=scores["n"], seconds=round(seconds, 1),
           requests_per_s=round(scores["n"] / seconds, 1), accuracy=round(scores["mean"]["accuracy"], 3))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=("build", "trap", "rl", "eval"))
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--method", choices=("hero", "grpo"), default="hero")
    p.add_argument("--no-vllm", action="store_true", help="rl / eval: transformers' generate instead of vLLM")
    p.add_argument("--limit", type=int, default=300, help="eval: POPE questions")
    p.add_argument("--steps", type=int, default=4, help="rl: optimizer steps (the first is warm-up)")
    p.add_argument("--batch", type=int, default=64, help="rl: completions per step (groups of 8)")
    p.add_argument("--length", type=int, default=32, help="rl: max completion length")
    p.add_argument("--trap-batch", type=int, default=128, help="trap: questions per forward")
    a = p.parse_args()
    import torch

    if not torch.cuda.is_available() and not SMOKE:
        sys.exit("gpu_check.py: no CUDA GPU visible to torch (torch.cuda.is_available() is False)")
    a.out.mkdir(parents=True, exist_ok=True)
    if a.step == "build":
        build(a.out)
    elif a.step == "trap":
        trap(a.out, a.trap_batch)
    elif a.step == "eval":
        evaluate(a.out, not a.no_vllm, a.limit)
    else:
        rl(a.out, a.method, not a.no_vllm, a.steps, a.batch, a.length)


if __name__ == "__main__":
    main()
