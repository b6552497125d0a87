"""`hero score` — score existing model outputs on POPE, AMBER, CHAIR and THRONE with the official metrics.

Each subcommand prints one JSON object to stdout, writes it to `--out FILE` if given and per-item details (JSONL)
to `--details FILE`. Options are the fields of the configs in `hero.benchmarks.configs` (one config per benchmark,
shared with `hero eval`); the metric code lives in `hero.benchmarks.{pope_metrics,amber,chair,throne}`; every
deviation from the official scripts is listed in docs/benchmarks.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hero import options
from hero.benchmarks.configs import AmberScoreConfig, ChairScoreConfig, PopeScoreConfig, ThroneScoreConfig

app = options.group(
    help=(
        "Score existing model outputs with metrics identical to the official benchmark scripts.\n\n"
        "`hero score pope` (yes/no answers vs coco_pope_*.json labels), `hero score amber` (AMBER responses), "
        "`hero score chair` (COCO captions), `hero score throne` (THRONE evaluator answers). Each prints one JSON "
        "object; `--out` saves it, `--details` writes one JSON line per scored item. Deviations from the "
        "official code: docs/benchmarks.md."
    ),
)


def _emit(metrics: dict, details: list[dict], output) -> None:
    from hero.io import write_json_atomic, write_jsonl_atomic

    if output.out is not None:
        write_json_atomic(output.out, metrics)
    if output.details is not None:
        write_jsonl_atomic(output.details, details)
    typer.echo(json.dumps(metrics, indent=2))


def _pope(settings: options.Settings) -> None:
    from hero.benchmarks.pope_metrics import evaluate_pope, read_label_sets
    from hero.io import guard_malformed
    from hero.io import read_jsonl

    cfg = options.build(PopeScoreConfig, settings, command="score pope")
    labels = read_label_sets(cfg.labels, cfg.split_field)
    metrics, items = guard_malformed(evaluate_pope, labels, read_jsonl(cfg.answers), cfg.pope.parse, cfg.fmt,
                                  cfg.pairing, cfg.split_field)
    _emit(metrics, items, cfg.output)


def _amber(settings: options.Settings) -> None:
    from hero.benchmarks.amber import evaluate_amber, load_amber_data
    from hero.io import guard_malformed
    from hero.io import read_json

    cfg = options.build(AmberScoreConfig, settings, command="score amber")
    a = cfg.amber
    data = load_amber_data(a.annotations, a.relation, a.safe_words, a.metrics)
    metrics, items = guard_malformed(evaluate_amber, read_json(cfg.responses), data, a.eval_type, a.similarity_model,
                                  a.similarity_threshold)
    _emit(metrics, items, cfg.output)


def _chair(settings: options.Settings) -> None:
    from hero.benchmarks.chair import Synonyms, evaluate_chair_files, load_coco_dir
    from hero.io import guard_malformed
    from hero.io import read_json

    cfg = options.build(ChairScoreConfig, settings, command="score chair")
    c = cfg.chair
    instances, coco_caps = load_coco_dir(c.coco)
    syn = Synonyms.from_text(Path(c.synonyms).read_text(encoding="utf-8"), synonym_bigrams=c.synonym_bigrams)
    metrics, items = guard_malformed(evaluate_chair_files, read_json(cfg.captions), instances, coco_caps, syn)
    _emit(metrics, items, cfg.output)


def _throne(settings: options.Settings) -> None:
    from hero.benchmarks.throne import evaluate_throne
    from hero.io import guard_malformed
    from hero.io import InputError, read_json

    cfg = options.build(ThroneScoreConfig, settings, command="score throne")
    files = sorted(Path(cfg.evaluations).glob("*.json"))
    if not files:
        raise InputError(f"{cfg.evaluations}: no *.json evaluation files (--evaluations)")
    evals = [read_json(p) for p in files]
    metrics, items = guard_malformed(evaluate_throne, read_json(cfg.throne.coco_annotations), evals,
                                  cfg.throne.thresholds, cfg.strategy, [str(p) for p in files])
    metrics["evaluation_files"] = [p.name for p in files]
    _emit(metrics, items, cfg.output)


options.command(app, "pope", options.options_of(PopeScoreConfig), _pope,
                "POPE accuracy, precision, recall, F1 and yes-ratio exactly as RUCAIBox/POPE evaluate.py prints them.")
options.command(app, "amber", options.options_of(AmberScoreConfig), _amber,
                "AMBER CHAIR/Cover/Hal/Cog and discriminative Accuracy/Precision/Recall/F1, rounded as inference.py.")
options.command(app, "chair", options.options_of(ChairScoreConfig), _chair,
                "CHAIR_s and CHAIR_i as LisaAnne/Hallucination utils/chair.py computes them.")
options.command(app, "throne", options.options_of(ThroneScoreConfig), _throne,
                "THRONE P, R, F1, F0.5 per threshold (float32, as throne_score_aqa.py).")
