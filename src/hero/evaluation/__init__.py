"""`hero eval`: generate answers / captions with any Hugging Face VLM, then score them with the official-exact
scorers of `hero.benchmarks`.

Public API:
* `evaluate_world(model_dir, world_dir, out_dir, *, split="test", limit=None, throne=False, progress=False,
  **decoding) -> dict` — POPE + AMBER + CHAIR (+ THRONE) on the embedded world, results.json;
* `run_pope(PopeEvalConfig)`, `run_amber(AmberEvalConfig)`, `run_chair(ChairEvalConfig)`,
  `run_throne(ThroneEvalConfig)` → scores dict (also RUN/<bench>/scores.json);
* `DecodingConfig`, `Generator`, `load_generator`, `Request` — batched generation (greedy / sample / VCD);
* `RuleJudge`, `Seq2SeqJudge`, `Judge` — THRONE's evaluator step.
"""

from __future__ import annotations

from hero.evaluation.config import (
    AmberEvalConfig, ChairEvalConfig, EvalConfig, PopeEvalConfig, ThroneEvalConfig,
)
from hero.evaluation.generate import DecodingConfig, Generator, Request, load_generator
from hero.evaluation.tasks import run_amber, run_chair, run_pope
from hero.evaluation.throne import Judge, RuleJudge, Seq2SeqJudge, run_throne
from hero.evaluation.world import WorldEvalConfig, evaluate_world, run_world

__all__ = [
    "AmberEvalConfig", "ChairEvalConfig", "DecodingConfig", "EvalConfig", "Generator", "Judge", "PopeEvalConfig",
    "Request", "RuleJudge", "Seq2SeqJudge", "ThroneEvalConfig", "WorldEvalConfig", "evaluate_world",
    "load_generator", "run_amber", "run_chair", "run_pope", "run_throne", "run_world",
]
