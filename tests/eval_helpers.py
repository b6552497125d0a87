"""Shared builders of the `hero eval` tests: a tiny world and a tiny random VLM whose generations vary."""

from __future__ import annotations

from pathlib import Path


def tiny_world(path: Path, n_test: int = 20, seed: int = 1) -> Path:
    from hero.world import WorldConfig, build_world

    build_world(WorldConfig(seed=seed, train_images=0, val_images=0, test_images=n_test), path, progress=False)
    return path


def scrambled_model(path: Path, world: Path, gain: float = 8.0) -> Path:
    """The tiny preset with random weights, the decoder and projector matrices scaled by `gain`: a plain random
    init repeats one token (tied embeddings dominate the residual stream); scaled, outputs depend on image and
    prompt and end at EOS at varied lengths, which is what batching/resume/VCD tests need."""
    import torch

    from hero.model.build import build_model, save
    from hero.world import load_world

    cfg, _ = load_world(world)
    model, processor = build_model("tiny", cfg.colours, cfg.shapes, cfg.image_size, seed=0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2 and "embed" not in name and ("language_model" in name or "projector" in name):
                p.mul_(gain)
    save(model, processor, path)
    return path


def one_thread():
    """Generator for a module-scoped autouse fixture: torch on one thread (the tiny model is latency-bound and the
    2 shared cores are oversubscribed otherwise), restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
