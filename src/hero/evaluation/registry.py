"""The benchmarks `hero eval` runs, by name: each entry is the command's config (`hero.evaluation.config`) and the
runner that generates and scores (imported when the command runs, so `hero --help` loads no model code). `hero eval
<name>` is generated for every registered entry; `hero eval world` runs them all on the embedded world."""

from __future__ import annotations

import importlib

from hero.evaluation.config import AmberEvalConfig, ChairEvalConfig, PopeEvalConfig, ThroneEvalConfig
from hero.registry import Registry

EVALUATIONS = Registry("evaluation")
EVALUATIONS.register("pope", config=PopeEvalConfig, runner="hero.evaluation.tasks:run_pope",
                     doc="POPE: answer every question, write LLaVA-format answers per split, score (accuracy, "
                         "precision, recall, F1).")(PopeEvalConfig)
EVALUATIONS.register("amber", config=AmberEvalConfig, runner="hero.evaluation.tasks:run_amber",
                     doc='AMBER: captions for generative queries, "Yes"/"No" for discriminative ones, scored as '
                         "inference.py.")(AmberEvalConfig)
EVALUATIONS.register("chair", config=ChairEvalConfig, runner="hero.evaluation.tasks:run_chair",
                     doc="CHAIR: caption every COCO image found under --images, score CHAIR_s / CHAIR_i as "
                         "utils/chair.py.")(ChairEvalConfig)
EVALUATIONS.register("throne", config=ThroneEvalConfig, runner="hero.evaluation.throne:run_throne",
                     doc="THRONE: detailed descriptions, judged per category by the evaluator(s), scored micro and "
                         "class-wise.")(ThroneEvalConfig)


def runner(name: str):
    """The run function of a registered evaluation: run(cfg, progress) -> scores dict."""
    module, _, attr = EVALUATIONS.meta(name)["runner"].partition(":")
    return getattr(importlib.import_module(module), attr)
