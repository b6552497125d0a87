"""`hero eval`: generate answers / captions with any Hugging Face VLM, then score them with the official-exact
scorers of `hero.official`.

Public API:
* `evaluate_world(model_dir, world_dir, out_dir, *, split="test", limit=None, throne=False, progress=False,
  **decoding) -> dict` — POPE + AMBER + CHAIR (+ THRONE) on the embedded world, results.json;
* `run_pope(PopeEvalConfig)`, `run_amber(AmberEvalConfig)`, `run_chair(ChairEvalConfig)`,
  `run_throne(ThroneEvalConfig)` → scores dict (also RUN/<bench>/scores.json);
* `DecodingConfig`, `Generator`, `load_generator`, `Request` — batched generation (greedy / sample / VCD);
* `RuleJudge`, `Seq2SeqJudge`, `Judge` — THRONE's evaluator step.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "AmberEvalConfig": "config", "ChairEvalConfig": "config", "DecodingConfig": "config", "EvalConfig": "config",
    "PopeEvalConfig": "config", "ThroneEvalConfig": "config", "Generator": "generate", "Request": "generate",
    "load_generator": "generate", "run_amber": "tasks", "run_chair": "tasks", "run_pope": "tasks",
    "Judge": "throne", "RuleJudge": "throne", "Seq2SeqJudge": "throne", "run_throne": "throne",
    "WorldEvalConfig": "world", "evaluate_world": "world", "run_world": "world",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """Lazy exports: `import hero.evaluation` (and `hero --help`) loads no torch; the names load on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'hero.evaluation' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hero.evaluation.{_WHERE[name]}"), name)
