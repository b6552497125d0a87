"""`hero eval` — generate answers / captions with any Hugging Face VLM, then score them with `hero score`'s metrics.

    hero eval pope   --model DIR --images DIR --questions coco_pope_random.json [--questions ...] --out RUN
    hero eval amber  --model DIR --images DIR --queries query_all.json --amber-data AMBER/data [--type a] --out RUN
    hero eval chair  --model DIR --images DIR --coco COCO/annotations [--synonym-bigrams] --out RUN
    hero eval throne --model DIR --images DIR --coco-annotations instances.json --judge rule|FLAN_T5_DIR --out RUN
    hero eval world  --model DIR --world DIR --out RUN [--split test] [--throne]

Decoding for all: --decoding greedy|sample|vcd, --temperature, --vcd-alpha/--vcd-beta/--vcd-step, --noise σ or
--degrade SPEC (one degradation per run),
--batch-size, --max-new-tokens, --seed, --limit, --device, --dtype. Rerunning with the same RUN resumes; another
model or other settings in the same RUN are refused. The code lives in `hero.evaluation`; formats in
docs/benchmarks.md.
"""

from __future__ import annotations

import json
import math
from typing import List, Optional

import typer

from hero.cli.common import fail_on_input_errors

app = typer.Typer(
    help=(
        "Evaluate a VLM on POPE, AMBER, CHAIR and THRONE: generate (batched, greedy / sampling / VCD, resumable), "
        "then score with the official-exact metrics of `hero score`. `hero eval world` runs them all on the "
        "embedded world."
    ),
    no_args_is_help=True,
)

MODEL = typer.Option(..., "--model", help="Model folder (Hugging Face format, with processor and chat template).")
IMAGES = typer.Option(..., "--images", help="Folder with the benchmark's images.")
OUT = typer.Option(..., "--out", help="Run folder (generations.jsonl shared by benchmarks; rerun = resume).")
DECODING = typer.Option("greedy", "--decoding", help="greedy | sample | vcd (Visual Contrastive Decoding).")
TEMPERATURE = typer.Option(None, "--temperature", help="Sampling temperature (default: greedy 0, sample 1, vcd 1 as "
                           "the official VCD; 0 with vcd = greedy VCD).")
VCD_ALPHA = typer.Option(1.0, "--vcd-alpha", help="VCD contrast α: (1+α)·logit(v) − α·logit(v').")
VCD_BETA = typer.Option(0.1, "--vcd-beta", help="VCD plausibility cut-off β: keep p ≥ β·max p.")
VCD_STEP = typer.Option(500, "--vcd-step", help="VCD diffusion noise step t (0..999).")
NOISE = typer.Option(0.0, "--noise", help="Gaussian noise σ on 0–255 pixels applied to every image (0 = clean).")
DEGRADE = typer.Option([], "--degrade", help="A hero.degrade spec applied to every image (blur:1, noise:30+blur:1); "
                       "one per run (with --noise: the two must agree).")
BATCH = typer.Option(16, "--batch-size", help="Requests per generate call (flushed per batch).")
MAX_NEW = typer.Option(128, "--max-new-tokens", help="Longest generation.")
SEED = typer.Option(0, "--seed", help="Seeds image noise, sampling and VCD noise (per request).")
LIMIT = typer.Option(None, "--limit", help="Only the first N items: POPE questions per split, AMBER queries per "
                     "type, CHAIR / THRONE images.")
PROGRESS = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.")
DEVICE = typer.Option("auto", "--device", help="auto (cuda if available) | cpu | cuda[:N].")
DTYPE = typer.Option("auto", "--dtype", help="auto (bfloat16 on cuda, float32 on cpu) | float32 | bfloat16 | float16.")


def _decoding(decoding, temperature, vcd_alpha, vcd_beta, vcd_step, noise, batch_size, max_new_tokens, seed,
              device, dtype):
    from hero.evaluation.generate import DecodingConfig

    return DecodingConfig(decoding=decoding, temperature=temperature, vcd_alpha=vcd_alpha, vcd_beta=vcd_beta,
                          vcd_step=vcd_step, degrade=_one_spec(noise), max_new_tokens=max_new_tokens,
                          batch_size=batch_size,
                          seed=seed, device=device, dtype=dtype)


def _one_spec(noise):
    """(--noise σ, [--degrade SPEC, ...]) → the run's single canonical spec; ValueError if they give several."""
    from hero.degrade import merge_specs

    sigma, specs = (noise if isinstance(noise, tuple) else (noise, []))
    grid = merge_specs([sigma] if sigma else [], list(specs), default_noise=[0])
    if len(grid) > 1:
        raise ValueError(f"--noise/--degrade give {len(grid)} degradations {grid}: hero eval runs one per run folder; "
                         "run it once per spec with its own --out")
    return grid[0]


def _print(scores: dict) -> None:
    typer.echo(json.dumps(scores, indent=2))


def _fmt(x) -> str:
    return "nan" if isinstance(x, float) and math.isnan(x) else f"{x:.4g}" if isinstance(x, float) else str(x)


@app.command("pope")
@fail_on_input_errors
def pope(
    model: str = MODEL, images: str = IMAGES, out: str = OUT,
    questions: List[str] = typer.Option(..., "--questions", help="POPE file (JSONL question_id, image, text, "
                                        "label), e.g. coco_pope_random.json; repeat for each split."),
    parse: str = typer.Option("official", "--parse", help="official (evaluate.py) | strict (lmms-eval)."),
    decoding: str = DECODING, temperature: Optional[float] = TEMPERATURE, vcd_alpha: float = VCD_ALPHA,
    vcd_beta: float = VCD_BETA, vcd_step: int = VCD_STEP, noise: float = NOISE, degrade: List[str] = DEGRADE,
    batch_size: int = BATCH,
    max_new_tokens: int = MAX_NEW, seed: int = SEED, limit: Optional[int] = LIMIT, progress: bool = PROGRESS,
    device: str = DEVICE, dtype: str = DTYPE,
) -> None:
    """POPE: answer every question, write LLaVA-format answers per split, score (accuracy, precision, recall, F1)."""
    from hero.evaluation import PopeEvalConfig, run_pope

    dec = _decoding(decoding, temperature, vcd_alpha, vcd_beta, vcd_step, (noise, degrade), batch_size,
                    max_new_tokens, seed,
                    device, dtype)
    _print(run_pope(PopeEvalConfig(model, images, out, dec, limit, questions=list(questions), parse=parse),
                    progress))


@app.command("amber")
@fail_on_input_errors
def amber(
    model: str = MODEL, images: str = IMAGES, out: str = OUT,
    queries: str = typer.Option(..., "--queries", help="AMBER data/query/query_all.json ([{id, image, query}])."),
    amber_data: str = typer.Option(..., "--amber-data", help="AMBER data/ folder (annotations.json, relation.json, "
                                   "safe_words.txt, metrics.txt)."),
    eval_type: str = typer.Option("a", "--type", help="a (all) | g (generative) | d | de | da | dr."),
    similarity_model: str = typer.Option("en_core_web_md", "--similarity-model", help="spaCy model for word "
                                         "similarity (official: en_core_web_lg)."),
    decoding: str = DECODING, temperature: Optional[float] = TEMPERATURE, vcd_alpha: float = VCD_ALPHA,
    vcd_beta: float = VCD_BETA, vcd_step: int = VCD_STEP, noise: float = NOISE, degrade: List[str] = DEGRADE,
    batch_size: int = BATCH,
    max_new_tokens: int = MAX_NEW, seed: int = SEED, limit: Optional[int] = LIMIT, progress: bool = PROGRESS,
    device: str = DEVICE, dtype: str = DTYPE,
) -> None:
    """AMBER: captions for generative queries, "Yes"/"No" for discriminative ones, scored as inference.py."""
    from hero.evaluation import AmberEvalConfig, run_amber

    dec = _decoding(decoding, temperature, vcd_alpha, vcd_beta, vcd_step, (noise, degrade), batch_size,
                    max_new_tokens, seed,
                    device, dtype)
    _print(run_amber(AmberEvalConfig(model, images, out, dec, limit, queries=queries, amber_data=amber_data,
                                     eval_type=eval_type, similarity_model=similarity_model), progress))


@app.command("chair")
@fail_on_input_errors
def chair(
    model: str = MODEL, images: str = IMAGES, out: str = OUT,
    coco: str = typer.Option(..., "--coco", help="COCO annotations folder (instances_*.json: the images to caption "
                             "and their objects; captions_*.json)."),
    synonyms: Optional[str] = typer.Option(None, "--synonyms", help="CHAIR synonyms.txt (default "
                                           "<coco>/synonyms.txt)."),
    synonym_bigrams: bool = typer.Option(False, "--synonym-bigrams", help="Also merge the synonym file's two-word "
                                         "entries (multi-word categories; not official)."),
    prompt: str = typer.Option("Describe this image.", "--prompt", help="Caption prompt."),
    decoding: str = DECODING, temperature: Optional[float] = TEMPERATURE, vcd_alpha: float = VCD_ALPHA,
    vcd_beta: float = VCD_BETA, vcd_step: int = VCD_STEP, noise: float = NOISE, degrade: List[str] = DEGRADE,
    batch_size: int = BATCH,
    max_new_tokens: int = MAX_NEW, seed: int = SEED, limit: Optional[int] = LIMIT, progress: bool = PROGRESS,
    device: str = DEVICE, dtype: str = DTYPE,
) -> None:
    """CHAIR: caption every COCO image found under --images, score CHAIR_s / CHAIR_i as utils/chair.py."""
    from hero.evaluation import ChairEvalConfig, run_chair

    dec = _decoding(decoding, temperature, vcd_alpha, vcd_beta, vcd_step, (noise, degrade), batch_size,
                    max_new_tokens, seed,
                    device, dtype)
    _print(run_chair(ChairEvalConfig(model, images, out, dec, limit, coco=coco, synonyms=synonyms,
                                     synonym_bigrams=synonym_bigrams, prompt=prompt), progress))


def _thresholds(text: Optional[str]) -> Optional[list[int]]:
    if text is None:
        return None
    try:
        return [int(t) for t in text.replace(" ", ",").split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"--thresholds {text!r}: write integers, e.g. 5,8,9") from None


@app.command("throne")
@fail_on_input_errors
def throne(
    model: str = MODEL, images: str = IMAGES, out: str = OUT,
    coco_annotations: str = typer.Option(..., "--coco-annotations", help="COCO-format file (e.g. "
                                         "instances_val2017.json): images to describe and ground truth."),
    judge: List[str] = typer.Option(..., "--judge", help="Evaluator: 'rule' (rule-based, for the embedded world) "
                                    "or a seq2seq model folder (FLAN-T5 base/large/xl); repeat for several."),
    thresholds: Optional[str] = typer.Option(None, "--thresholds", help="Vote thresholds, e.g. 5,8,9 (default: "
                                             "5,8,9 with 9 votes per class, else majority and unanimity)."),
    judge_batch_size: int = typer.Option(32, "--judge-batch-size", help="Prompts per seq2seq judge call."),
    decoding: str = DECODING, temperature: Optional[float] = TEMPERATURE, vcd_alpha: float = VCD_ALPHA,
    vcd_beta: float = VCD_BETA, vcd_step: int = VCD_STEP, noise: float = NOISE, degrade: List[str] = DEGRADE,
    batch_size: int = BATCH,
    max_new_tokens: int = MAX_NEW, seed: int = SEED, limit: Optional[int] = LIMIT, progress: bool = PROGRESS,
    device: str = DEVICE, dtype: str = DTYPE,
) -> None:
    """THRONE: detailed descriptions, judged per category by the evaluator(s), scored micro and class-wise."""
    from hero.evaluation import ThroneEvalConfig, run_throne

    dec = _decoding(decoding, temperature, vcd_alpha, vcd_beta, vcd_step, (noise, degrade), batch_size,
                    max_new_tokens, seed,
                    device, dtype)
    _print(run_throne(ThroneEvalConfig(model, images, out, dec, limit, coco_annotations=coco_annotations,
                                       judges=list(judge), thresholds=_thresholds(thresholds),
                                       judge_batch_size=judge_batch_size), progress))


@app.command("world")
@fail_on_input_errors
def world(
    model: str = MODEL,
    world_dir: str = typer.Option(..., "--world", help="Built world folder (`hero world build`)."),
    out: str = OUT,
    split: str = typer.Option("test", "--split", help="World split: val or test."),
    throne_: bool = typer.Option(False, "--throne/--no-throne", help="Also run THRONE with the rule judge."),
    decoding: str = DECODING, temperature: Optional[float] = TEMPERATURE, vcd_alpha: float = VCD_ALPHA,
    vcd_beta: float = VCD_BETA, vcd_step: int = VCD_STEP, noise: float = NOISE, degrade: List[str] = DEGRADE,
    batch_size: int = BATCH,
    max_new_tokens: int = MAX_NEW, seed: int = SEED, limit: Optional[int] = LIMIT, progress: bool = PROGRESS,
    device: str = DEVICE, dtype: str = DTYPE,
) -> None:
    """POPE (3 splits), AMBER (d + g), CHAIR (+ THRONE) on the embedded world; one results.json."""
    from pathlib import Path

    from hero.evaluation.world import WorldEvalConfig, run_world

    dec = _decoding(decoding, temperature, vcd_alpha, vcd_beta, vcd_step, (noise, degrade), batch_size,
                    max_new_tokens, seed,
                    device, dtype)
    res = run_world(WorldEvalConfig(model, world_dir, out, split, dec, limit, throne_), progress)
    for name, m in res["pope"]["splits"].items():
        typer.echo(f"POPE {name:<12} accuracy {_fmt(m['accuracy'])}  F1 {_fmt(m['f1'])}  "
                   f"yes-ratio {_fmt(m['yes_ratio'])}  (n={m['n']})")
    a, c = res["amber"], res["chair"]
    typer.echo(f"AMBER  CHAIR {a['CHAIR']}  Cover {a['Cover']}  Hal {a['Hal']}  Cog {a['Cog']}  "
               f"Accuracy {a['Accuracy']}  F1 {a['F1']}  AMBER score {a['AMBER_score']}")
    typer.echo(f"CHAIR  CHAIR_s {c['CHAIRs']}  CHAIR_i {c['CHAIRi']}  (captions {c['n_captions']})")
    if "throne" in res:
        for strategy in ("micro", "class"):
            for tau, m in res["throne"][strategy]["thresholds"].items():
                typer.echo(f"THRONE {strategy:<5} τ={tau}  P {_fmt(m['P'])}  R {_fmt(m['R'])}  "
                           f"F1 {_fmt(m['F1'])}  F0.5 {_fmt(m['F0_5'])}")
    typer.echo(f"results: {Path(out) / 'results.json'}")
