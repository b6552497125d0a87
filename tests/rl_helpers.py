"""Shared builders of the `hero train grpo|hero|dpo` tests: a tiny 32 px world (20 train images) and a tiny
random-init VLM for it marked as a CoT model (the VLM need not be trained to test the plumbing)."""

from __future__ import annotations

from pathlib import Path

SMALL_WORLD = dict(image_size=32, colours=["red", "green", "blue"], shapes=["circle", "square"], min_size=8,
                   max_size=10, max_objects=3, prior=[["red circle", "blue square", 0.85]], train_images=20,
                   val_images=0, test_images=0)
FAST = dict(per_device_train_batch_size=8, num_generations=4, max_completion_length=12, progress=False,
            threads=1, budget_min=10.0)
"""Small steps for tests: 2 prompts × 4 completions of ≤ 12 tokens, one thread (the machine is shared)."""


def tiny_world(path: Path, seed: int = 0) -> Path:
    from hero.world import WorldConfig, build_world

    build_world(WorldConfig(seed=seed, **SMALL_WORLD), path, progress=False)
    return path


def tiny_model(path: Path, world: Path, seed: int = 0, style: str = "cot") -> Path:
    from hero.model.build import build_model, save
    from hero.world import load_world

    cfg, _ = load_world(world)
    model, processor = build_model("tiny", cfg.colours, cfg.shapes, cfg.image_size, seed=seed)
    model.config.hero_style = style
    save(model, processor, path)
    return path


def world_and_model(root: Path) -> tuple[Path, Path]:
    """tiny_world in root/world and tiny_model for it in root/model."""
    world = tiny_world(root / "world")
    return world, tiny_model(root / "model", world)


def parity_reward(prompts, completions, **kwargs):
    """1 for a completion with an even number of characters: varies within groups of a random model."""
    return [float(len(str(c)) % 2 == 0) for c in completions]
