"""Held-out accuracy and wall-clock time of `hero train nli` with the default settings (goal: ≥ 95 % held-out
accuracy, well under 2 minutes on 1 CPU thread), next to a template baseline run on the same pairs.

The template baseline predicts, for each claim with its object names masked ("There is no <obj>"), the majority
label of that template in 20,000 training pairs — everything a model can get without checking the objects against
the description (≈ 2/3). The learned model's margin over it is the part that needs the premise.

Run: python benchmarks/nli_accuracy.py [--world DIR | --world-seed N] [--seeds 0 1 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path


def template(claim: str, categories) -> str:
    for c in sorted(categories, key=len, reverse=True):
        claim = re.sub(rf"\b{re.escape(c)}\b", "<obj>", claim)
    return claim


def template_baseline(world_dir, seed: int) -> float:
    from hero.rewards.nli_data import annotation_scenes, heldout_pairs, pair_stream
    from hero.rewards.nli_train import HELDOUT_SEED_OFFSET
    from hero.world import load_annotations, load_world

    cfg, _ = load_world(world_dir)
    cats = cfg.categories
    stream = pair_stream(annotation_scenes(load_annotations(world_dir, "train")), cats, seed)
    votes: dict[str, Counter] = defaultdict(Counter)
    for _ in range(20000):
        _, claim, y = next(stream)
        votes[template(claim, cats)][y] += 1
    held = heldout_pairs(annotation_scenes(load_annotations(world_dir, "test")), cats, seed + HELDOUT_SEED_OFFSET, 2)
    hits = sum(votes[template(c, cats)].most_common(1)[0][0] == y if votes[template(c, cats)] else y == 0
               for _, c, y in held)
    return hits / len(held)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", help="built world (default: build 2,000 train + 500 test images in a temp folder)")
    ap.add_argument("--world-seed", type=int, default=0, help="seed of the world built when --world is not given")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch

    from hero.rewards.nli_train import train_nli
    from hero.world import WorldConfig, build_world

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        world = args.world
        if world is None:
            world = Path(tmp) / "world"
            build_world(WorldConfig(seed=args.world_seed, train_images=2000, val_images=0,
                                                  test_images=500), world, progress=False)
        print(f"threads={args.threads}  world={args.world or f'built, seed {args.world_seed}'}")
        for seed in args.seeds:
            t0 = time.perf_counter()
            s = train_nli(world, Path(tmp) / f"nli{seed}", seed=seed, progress=False)
            total = time.perf_counter() - t0
            base = template_baseline(world, seed)
            per = "  ".join(f"{k} {v:.4f}" for k, v in s["heldout"]["per_class"].items())
            print(f"seed {seed}: held-out accuracy {s['heldout_accuracy']:.4f} on {s['heldout']['n']} pairs ({per}); "
                  f"unseen pairs {s['heldout_unseen_accuracy']:.4f} on {s['heldout_unseen_n']}; "
                  f"template baseline {base:.4f}; {s['steps']} steps ({s['stopped_by']}), "
                  f"train {s['train_seconds']:.1f} s, total {total:.1f} s; "
                  f"goal ≥ 0.95: {'met' if s['heldout_accuracy'] >= 0.95 else 'NOT met'}")


if __name__ == "__main__":
    main()
