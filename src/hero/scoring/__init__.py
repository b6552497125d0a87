"""Scoring engine under `hero trap`, `hero eval` and HERO's rewards: p(yes), p(no), answer, entropies.

Public API: `Scorer`, `ScoringConfig`, `ScoreRequest`, `load_scorer(path, ...)`, `make_trap_scorer(path, ...)`;
the pure math lives in `hero.scoring.core`.
"""

from __future__ import annotations

from pathlib import Path

from hero.model.load import model_style  # re-exported: hero.scoring.model_style stays importable
from hero.scoring.engine import Scorer, ScoreRequest, ScoringConfig, ScoringRun

__all__ = ["Scorer", "ScoreRequest", "ScoringConfig", "ScoringRun", "load_scorer", "make_trap_scorer", "model_style"]


def load_scorer(path, mode: str | None = None, device: str = "cpu", **cfg) -> Scorer:
    """A Scorer over a model folder on `device`; `mode` defaults to the style the model was trained with."""
    from hero.model.load import load_vlm

    model, processor = load_vlm(path)
    model = model.to(device)
    return Scorer(model, processor, ScoringConfig(mode=mode or model_style(model), **cfg))


def make_trap_scorer(model_path, seed: int = 0, batch_size: int = 64, mode: str | None = None,
                     max_new_tokens: int = 64, device: str = "cpu", vcd: dict | None = None):
    """`score_fn(batch, degrade, temperature) -> list[dict]` for `hero trap` (contract in hero.trap.run).

    Each question dict has id, image (file name), image_path and text. The degradation spec (a hero.degrade string,
    e.g. 'noise:30') is applied in memory, seeded by (seed, image file name), so every question about one image
    sees the same degraded image; the temperature is the answer distribution's (and CoT sampling's). Both are
    passed per call: the scorer's config is never mutated. An unreadable image
    raises an error naming the file and the question id (the trap runner checks files before scoring).
    `vcd`: {"vcd_alpha", "vcd_beta", "vcd_step"} scores VCD's contrastive answer distribution (ScoringConfig);
    None = plain decoding. The VCD settings join `settings` (the run identity).
    """
    vcd = dict(vcd or {})
    scorer = load_scorer(model_path, mode=mode, device=device, seed=seed, batch_size=batch_size,
                         max_new_tokens=max_new_tokens, **vcd)

    def score_fn(batch: list[dict], degrade: str, temperature: float) -> list[dict]:
        reqs = [ScoreRequest(id=str(q["id"]), image=q.get("image_path") or q["image"], question=q["text"],
                             image_id=str(q.get("image") or q["id"])) for q in batch]
        run = scorer.score(reqs, degrade=degrade, temperature=float(temperature))
        if run.errors:
            raise ValueError("unreadable image(s): " + "; ".join(
                f"{e['file']} (question {e['id']}): {e['error']}" for e in run.errors))
        return run.samples

    # CoT sampling draws from torch's generator per batch, so there the batch size is part of the identity.
    score_fn.settings = {"mode": scorer.cfg.mode, "max_new_tokens": max_new_tokens,
                         **({"batch_size": batch_size} if scorer.cfg.mode == "cot" else {}),
                         "prompt": "chat template: [image, question], add_generation_prompt",
                         "yes_tokens": len(scorer.yes_ids), "no_tokens": len(scorer.no_ids),
                         "model": str(Path(model_path)), **({"decoding": {"kind": "vcd", **vcd}} if vcd else {})}
    return score_fn
