"""The benchmarks `hero score` knows, by name: each entry scores a config of `hero.official.configs` and returns
(metrics, per-item details). `hero score <name>` is generated for every registered benchmark; a new benchmark is a
config class and a function registered here.

    @BENCHMARKS.register("pope", config=PopeScoreConfig, doc="...")
    def score_pope(cfg: PopeScoreConfig) -> tuple[dict, list[dict]]: ...
"""

from __future__ import annotations

from pathlib import Path

from hero.official.configs import (BUNDLED_SYNONYMS, AmberScoreConfig, ChairScoreConfig, PopeScoreConfig,
                                   ThroneScoreConfig)
from hero.io import InputError, guard_malformed
from hero.official.validate import files_in, read_json_file, read_json_items, read_rows
from hero.registry import Registry

BENCHMARKS = Registry("benchmark")


@BENCHMARKS.register("pope", config=PopeScoreConfig,
                     doc="POPE accuracy, precision, recall, F1 and yes-ratio exactly as RUCAIBox/POPE evaluate.py "
                         "prints them.")
def score_pope(cfg: PopeScoreConfig) -> tuple[dict, list[dict]]:
    from hero.official.pope_metrics import evaluate_pope, read_label_sets

    labels = read_label_sets(cfg.labels, cfg.split_field)
    answers = read_rows(cfg.answers)
    if not answers:
        raise InputError(f"{cfg.answers}: no answers (the file is empty)")
    return guard_malformed(evaluate_pope, labels, answers, cfg.pope.parse, cfg.fmt, cfg.pairing, cfg.split_field)


@BENCHMARKS.register("amber", config=AmberScoreConfig,
                     doc="AMBER CHAIR/Cover/Hal/Cog and discriminative Accuracy/Precision/Recall/F1, rounded as "
                         "inference.py.")
def score_amber(cfg: AmberScoreConfig) -> tuple[dict, list[dict]]:
    from hero.official.amber import evaluate_amber

    a = cfg.amber
    responses = read_json_items(cfg.responses, "{'id': int, 'response': str}")
    return guard_malformed(evaluate_amber, responses, a.load_data(), a.eval_type, a.similarity_model,
                           a.similarity_threshold)


@BENCHMARKS.register("chair", config=ChairScoreConfig,
                     doc="CHAIR_s and CHAIR_i as LisaAnne/Hallucination utils/chair.py computes them.")
def score_chair(cfg: ChairScoreConfig) -> tuple[dict, list[dict]]:
    from hero.official.chair import evaluate_chair_files, load_coco_dir

    instances, coco_caps = load_coco_dir(cfg.chair.coco)
    captions = read_json_file(cfg.captions, unique_keys=True)
    metrics, details = guard_malformed(evaluate_chair_files, captions, instances, coco_caps,
                                       cfg.chair.load_synonyms(), str(cfg.captions))
    metrics["synonyms"] = ("bundled: LisaAnne/Hallucination data/synonyms.txt @ 6e4d33c"
                           if Path(cfg.chair.synonyms) == BUNDLED_SYNONYMS else cfg.chair.synonyms)
    return metrics, details


@BENCHMARKS.register("throne", config=ThroneScoreConfig,
                     doc="THRONE P, R, F1, F0.5 per threshold (float32, as throne_score_aqa.py).")
def score_throne(cfg: ThroneScoreConfig) -> tuple[dict, list[dict]]:
    from hero.official.coco import read_instances
    from hero.official.throne import evaluate_throne

    files = files_in(cfg.evaluations, "*.json")
    if not files:
        raise InputError(f"{cfg.evaluations}: no *.json evaluation files (--evaluations)")
    coco = read_instances(cfg.throne.coco_annotations)
    metrics, items = guard_malformed(evaluate_throne, coco, [read_json_file(p, unique_keys=True) for p in files],
                                     cfg.throne.thresholds, cfg.strategy, [str(p) for p in files])
    metrics["evaluation_files"] = [p.name for p in files]
    return metrics, items
