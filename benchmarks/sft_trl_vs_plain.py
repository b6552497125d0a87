"""Training speed of TRL's SFTTrainer vs a plain PyTorch loop on the same model, collator and batches.

    python benchmarks/sft_trl_vs_plain.py [--model DIR] [--steps 60] [--batch-size 32] [--threads 2]

Both run the same number of optimizer steps on the same on-the-fly world examples (AdamW, same lr); prints
examples/s of each and the ratio plain / TRL. Without --model a random-init `tiny` model is built.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    from hero.model.build import build_model, num_image_tokens, save
    from hero.model.load import load_vlm
    from hero.sft.collate import SFTCollator
    from hero.sft.data import ExampleStream
    from hero.sft.pipeline import run_sft
    from hero.sft.settings import SFTRunConfig
    from hero.world import WorldConfig

    cfg = WorldConfig()
    tmp = Path(tempfile.mkdtemp(prefix="hero_trl_vs_plain_"))
    world = tmp / "world"
    world.mkdir()
    (world / "world.json").write_text(__import__("json").dumps({"config": cfg.to_dict()}))
    model_dir = Path(a.model) if a.model else tmp / "init"
    if not a.model:
        save(*build_model("tiny", cfg.colours, cfg.shapes, cfg.image_size), model_dir)

    # plain loop
    model, processor = load_vlm(model_dir)
    model.train()
    col = SFTCollator(processor, num_image_tokens(cfg.image_size, model.config.vision_config.patch_size))
    stream = ExampleStream(cfg, "answer")
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.98), weight_decay=0.0)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = model(**col(stream.take(a.batch_size))).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    t_plain = time.perf_counter() - t0

    # TRL SFTTrainer (no curriculum probe, no checkpoint inside the timed steps)
    t0 = time.perf_counter()
    run_sft(SFTRunConfig(model=str(model_dir), world=str(world), style="answer", out=str(tmp / "trl"),
                         max_steps=a.steps, batch_size=a.batch_size, curriculum=False, save_steps=10**6,
                         progress=False, budget_min=60))
    t_trl = time.perf_counter() - t0
    n = a.steps * a.batch_size
    print(f"plain loop: {n / t_plain:7.1f} examples/s ({t_plain:.1f}s)")
    print(f"TRL SFTTrainer (incl. model load and final save): {n / t_trl:7.1f} examples/s ({t_trl:.1f}s)")
    print(f"ratio plain / TRL: {t_trl / t_plain:.2f}")


if __name__ == "__main__":
    main()
