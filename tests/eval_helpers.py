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


def cot_model(tmp_path: Path) -> tuple[Path, Path]:
    """(world, model): a 3-test-image world and the scrambled tiny model marked CoT-style (`hero_style: cot`), for
    the `hero trap --confidence marginal|semantic` CLI tests."""
    import json

    world = tiny_world(tmp_path / "world", n_test=3)
    model = scrambled_model(tmp_path / "model", world)
    cfg = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**cfg, "hero_style": "cot"}))
    return world, model


def fake_cot(calls: list, reasoning=None):
    """A fake CoT trap scorer for sampled-confidence tests (ids '<question>#<sample>'): sample j of question i
    answers "yes" if j < i mod 4, else "no"; question 6 never answers. `reasoning(qid, j, answer)` gives the CoT
    text (default 'cot <qid>'); every call's ids are appended to `calls`."""
    def score(batch, degrade, temperature):
        calls.append([q["id"] for q in batch])
        out = []
        for q in batch:
            i, j = (int(v) for v in str(q["id"]).split("#"))
            a = "" if i == 6 else "yes" if j < i % 4 else "no"
            text = reasoning(q["id"], j, a) if reasoning else f"cot {q['id']}"
            out.append({"id": q["id"], "answer": a, "p_yes": 0.9, "p_no": 0.1, "entropy_binary": 0.3,
                        "entropy_full": 0.4, "reasoning": text, "parse_status": "ok" if a else "unparseable"})
        return out
    score.settings = {"mode": "cot"}
    return score
