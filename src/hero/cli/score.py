"""`hero score` — score existing model outputs on POPE, AMBER, CHAIR and THRONE with the official metrics.

Each subcommand prints one JSON object to stdout, writes it to `--out FILE` if given and per-item details (JSONL)
to `--details FILE`. The metric code lives in `hero.benchmarks.{pope_metrics,amber,chair,throne}`; every
deviation from the official scripts is listed in docs/benchmarks.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from hero.cli.common import fail_on_input_errors
from hero.io import guard_malformed

app = typer.Typer(
    help=(
        "Score existing model outputs with metrics identical to the official benchmark scripts.\n\n"
        "`hero score pope` (yes/no answers vs coco_pope_*.json labels), `hero score amber` (AMBER responses), "
        "`hero score chair` (COCO captions), `hero score throne` (THRONE evaluator answers). Each prints one JSON "
        "object; `--out` saves it, `--details` writes one JSON line per scored item. Deviations from the "
        "official code: docs/benchmarks.md."
    ),
    no_args_is_help=True,
)


def _emit(metrics: dict, details: list[dict], out: Optional[Path], details_path: Optional[Path]) -> None:
    from hero.io import write_json_atomic, write_jsonl_atomic

    if out is not None:
        write_json_atomic(out, metrics)
    if details_path is not None:
        write_jsonl_atomic(details_path, details)
    typer.echo(json.dumps(metrics, indent=2))


def _label_sets(labels: List[str], split_field: Optional[str]):
    """One label file -> its rows; several (or NAME=PATH) -> {split name: rows}."""
    from hero.benchmarks.pope_metrics import split_name_from_path
    from hero.io import read_jsonl

    named = []
    for spec in labels:
        name, _, path = spec.rpartition("=") if "=" in spec else ("", "", spec)
        named.append((name or split_name_from_path(path), path))
    if len(named) == 1 and "=" not in labels[0]:
        return read_jsonl(named[0][1])
    if split_field is None:
        raise ValueError("several label files need --split-field (e.g. --split-field category): answers are "
                         "scored per split against the label file of their split")
    sets: dict = {}
    for name, path in named:
        if name in sets:
            raise ValueError(f"two label files for split {name!r}; name them NAME=PATH")
        sets[name] = read_jsonl(path)
    return sets


@app.command("pope")
@fail_on_input_errors
def pope(
    labels: List[str] = typer.Option(..., "--labels", help="Label file (JSONL {question_id, text, label}), e.g. "
                                     "coco_pope_random.json. Repeat (or NAME=PATH) for one file per split."),
    answers: Path = typer.Option(..., "--answers", help='Answers: RUCAIBox {"question", "answer"} (paired with '
                                 'the labels by line order) or LLaVA {"question_id", "text"} (joined by id).'),
    parse: str = typer.Option("official", "--parse", help="official: first-sentence token rule of "
                              "evaluate.py ('NO' counts as yes!); strict: lmms-eval's lower().strip() == label."),
    fmt: str = typer.Option("auto", "--format", help="auto | rucaibox | llava."),
    pairing: str = typer.Option("auto", "--pairing", help="auto (RUCAIBox: order, LLaVA: id) | order (LLaVA's "
                                "eval_pope.py zips each split by order) | id."),
    split_field: Optional[str] = typer.Option(None, "--split-field", help="Score a multi-split answer file per "
                                              "split, e.g. 'category' (random/popular/adversarial)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON result here."),
    details: Optional[Path] = typer.Option(None, "--details", help="JSONL: one line per answer (pred, correct)."),
) -> None:
    """POPE accuracy, precision, recall, F1 and yes-ratio exactly as RUCAIBox/POPE evaluate.py prints them."""
    from hero.benchmarks.pope_metrics import evaluate_pope
    from hero.benchmarks.score_config import PopeScoreConfig
    from hero.io import read_jsonl

    cfg = PopeScoreConfig(labels, answers, parse, fmt, pairing, split_field)
    label_rows = _label_sets(cfg.labels, cfg.split_field)
    rows = read_jsonl(cfg.answers)
    metrics, items = guard_malformed(evaluate_pope, label_rows, rows, cfg.parse, cfg.fmt, cfg.pairing,
                                     cfg.split_field)
    _emit(metrics, items, out, details)


@app.command("amber")
@fail_on_input_errors
def amber(
    responses: Path = typer.Option(..., "--responses", help='JSON list [{"id": int, "response": str}] (any subset, '
                                   "any order), as for the official inference.py --inference_data."),
    amber_data: Path = typer.Option(Path("data"), "--amber-data", help="Folder of your AMBER checkout's data files "
                                    "(annotations.json, relation.json, safe_words.txt, metrics.txt); the flags "
                                    "below override single files."),
    annotations: Optional[Path] = typer.Option(None, "--annotations", help="AMBER data/annotations.json."),
    relation: Optional[Path] = typer.Option(None, "--relation", help="AMBER data/relation.json."),
    safe_words: Optional[Path] = typer.Option(None, "--safe-words", help="AMBER data/safe_words.txt."),
    metrics_file: Optional[Path] = typer.Option(None, "--metrics", help="AMBER data/metrics.txt (initial counters)."),
    eval_type: str = typer.Option("a", "--type", help="a (all) | g (generative) | d (discriminative) | de | da | dr."),
    similarity_model: str = typer.Option("en_core_web_md", "--similarity-model", help="spaCy model for word "
                                         "similarity; the official one is en_core_web_lg (if you have it)."),
    threshold: float = typer.Option(0.8, "--similarity-threshold", help="Official --similarity_score."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON result here."),
    details: Optional[Path] = typer.Option(None, "--details", help="JSONL: nouns and hallucinations per response."),
) -> None:
    """AMBER CHAIR/Cover/Hal/Cog and discriminative Accuracy/Precision/Recall/F1, rounded as inference.py."""
    from hero.benchmarks.amber import evaluate_amber, load_amber_data
    from hero.benchmarks.score_config import AmberScoreConfig
    from hero.io import read_json

    cfg = AmberScoreConfig(responses, annotations or amber_data / "annotations.json",
                           relation or amber_data / "relation.json", safe_words or amber_data / "safe_words.txt",
                           metrics_file or amber_data / "metrics.txt", eval_type, similarity_model, threshold)
    data = load_amber_data(cfg.annotations, cfg.relation, cfg.safe_words, cfg.metrics)
    rows = read_json(cfg.responses)
    metrics, items = guard_malformed(evaluate_amber, rows, data, cfg.eval_type, cfg.similarity_model,
                                     cfg.similarity_threshold)
    _emit(metrics, items, out, details)


@app.command("chair")
@fail_on_input_errors
def chair(
    captions: Path = typer.Option(..., "--captions", help='Caption file {"overall": {...}, "imgToEval": {"<id>": '
                                  '{"image_id", "caption"}}} (or a list of {"image_id", "caption"}).'),
    coco: Path = typer.Option(..., "--coco", help="COCO annotations folder: all instances_*.json and "
                              "captions_*.json in it are read (official: train2014 + val2014)."),
    synonyms: Optional[Path] = typer.Option(None, "--synonyms", help="CHAIR data/synonyms.txt (default: "
                                            "<coco>/synonyms.txt, then ./data/synonyms.txt as the official code)."),
    synonym_bigrams: bool = typer.Option(False, "--synonym-bigrams", help="Also merge the synonym file's two-word "
                                         "entries (multi-word categories; not official)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON result here."),
    details: Optional[Path] = typer.Option(None, "--details", help="JSONL: per-caption words and hallucinations."),
) -> None:
    """CHAIR_s and CHAIR_i as LisaAnne/Hallucination utils/chair.py computes them."""
    from hero.benchmarks.chair import Synonyms, evaluate_chair_files, load_coco_dir
    from hero.benchmarks.score_config import ChairScoreConfig
    from hero.io import read_json

    cfg = ChairScoreConfig(captions, coco, synonyms, synonym_bigrams)
    syn_path = cfg.synonyms_path()
    caps = read_json(cfg.captions)
    instances, coco_caps = load_coco_dir(cfg.coco)
    syn = Synonyms.from_text(syn_path.read_text(encoding="utf-8"), synonym_bigrams=cfg.synonym_bigrams)
    metrics, items = guard_malformed(evaluate_chair_files, caps, instances, coco_caps, syn)
    _emit(metrics, items, out, details)


@app.command("throne", context_settings={"allow_extra_args": True, "ignore_unknown_options": False})
@fail_on_input_errors
def throne(
    ctx: typer.Context,
    coco_annotations: Path = typer.Option(..., "--coco-annotations", help="COCO-format annotations the responses "
                                          "were asked about (e.g. instances_val2017.json)."),
    evaluations: Path = typer.Option(..., "--evaluations", help="Folder with one JSON per evaluator LM "
                                     "({image_id: [M*C answers]}), e.g. evaluations/combined."),
    thresholds: str = typer.Option("5", "--thresholds", help="Vote thresholds: `--thresholds 5 8 9` or 5,8,9."),
    strategy: str = typer.Option("micro", "--strategy", help="micro (image-level) | class (class-wise; the "
                                 "paper's headline F0.5)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the JSON result here."),
    details: Optional[Path] = typer.Option(None, "--details", help="JSONL: ground truth and votes per image."),
) -> None:
    """THRONE P, R, F1, F0.5 per threshold (float32, as throne_score_aqa.py)."""
    from hero.benchmarks.score_config import ThroneScoreConfig
    from hero.benchmarks.throne import evaluate_throne
    from hero.io import InputError, read_json

    raw = thresholds.split(",") + list(ctx.args)
    try:
        taus = [int(t) for t in raw if t.strip()]
    except ValueError:
        raise InputError(f"--thresholds: expected integers, got {raw}") from None
    cfg = ThroneScoreConfig(coco_annotations, evaluations, taus, strategy)
    files = sorted(cfg.evaluations.glob("*.json"))
    if not files:
        raise InputError(f"{cfg.evaluations}: no *.json evaluation files")
    evals = [read_json(p) for p in files]
    metrics, items = guard_malformed(evaluate_throne, read_json(cfg.coco_annotations), evals, cfg.thresholds,
                                     cfg.strategy, [str(p) for p in files])
    metrics["evaluation_files"] = [p.name for p in files]
    _emit(metrics, items, out, details)
