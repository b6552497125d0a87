"""The benchmarks `hero eval` runs, by name: each entry is the command's config (`hero.evaluation.config`) and the
runner that generates and scores (imported when the command runs, so `hero --help` loads no model code). `hero eval
<name>` is generated for every registered entry; `hero eval world` runs them all on the embedded world."""

from __future__ import annotations

import importlib

from hero.evaluation.config import AmberEvalConfig, ChairEvalConfig, PopeEvalConfig, ThroneEvalConfig
from hero.registry import Registry

EVALUATIONS = Registry("evaluation")
"""name → the command's config class; metadata: runner ("module:function"), doc."""

for _name, _config, _runner, _doc in (
    ("pope", PopeEvalConfig, "tasks:run_pope",
     "POPE: answer every question, write LLaVA-format answers per split, score (accuracy, precision, recall, F1)."),
    ("amber", AmberEvalConfig, "tasks:run_amber",
     'AMBER: captions for generative queries, "Yes"/"No" for discriminative ones, scored as inference.py.'),
    ("chair", ChairEvalConfig, "tasks:run_chair",
     "CHAIR: caption every COCO image found under --images, score CHAIR_s / CHAIR_i as utils/chair.py."),
    ("throne", ThroneEvalConfig, "throne:run_throne",
     "THRONE: detailed descriptions, judged per category by the evaluator(s), scored micro and class-wise."),
):
    EVALUATIONS.register(_name, runner="hero.evaluation." + _runner, doc=_doc)(_config)


def runner(name: str):
    """The run function of a registered evaluation: run(cfg, progress) -> scores dict."""
    module, _, attr = EVALUATIONS.meta(name)["runner"].partition(":")
    return getattr(importlib.import_module(module), attr)
