"""One validated config per `hero eval` command (the CLI builds these; errors say which flag to fix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hero.evaluation.generate import DecodingConfig
from hero.io import InputError

THRONE_PROMPT = "Describe this image in detail."
CAPTION_PROMPT = "Describe this image."


def _need_file(path, flag: str) -> Path:
    p = Path(path) if path else None
    if p is None or not str(path).strip():
        raise ValueError(f"{flag} is required")
    if not p.is_file():
        raise InputError(f"{p}: file not found ({flag})")
    return p


def _need_dir(path, flag: str) -> Path:
    p = Path(path) if path else None
    if p is None or not str(path).strip():
        raise ValueError(f"{flag} is required")
    if not p.is_dir():
        raise InputError(f"{p}: folder not found ({flag})")
    return p


@dataclass
class EvalConfig:
    """What every `hero eval` command needs."""

    model: str
    """Model folder (Hugging Face format: AutoModelForImageTextToText + AutoProcessor with a chat template)."""
    images: str
    """Folder holding the images the benchmark files name."""
    out: str
    """Run folder: generations.jsonl + manifest.json (shared by benchmarks) and one sub-folder per benchmark."""
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    """Decoding settings (greedy / sample / VCD, noise, batch size, seed)."""
    limit: int | None = None
    """Evaluate only the first N items: POPE questions per split, AMBER queries per type, CHAIR / THRONE images;
    None = all."""

    def __post_init__(self) -> None:
        _need_dir(self.model, "--model")
        if not (Path(self.model) / "config.json").is_file():
            raise InputError(f"{self.model}: no config.json — not a Hugging Face model folder (--model)")
        _need_dir(self.images, "--images")
        if not str(self.out or "").strip():
            raise ValueError("--out is required")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit {self.limit} must be ≥ 1")


@dataclass
class PopeEvalConfig(EvalConfig):
    """`hero eval pope`."""

    questions: list[str] = field(default_factory=list)
    """POPE question files (JSONL {question_id, image, text, label}), one per split (coco_pope_random.json ...)."""
    parse: str = "official"
    """Answer parser of the scores: official (evaluate.py) or strict (lmms-eval)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.questions:
            raise ValueError("--questions is required (a POPE file such as coco_pope_random.json; repeat per split)")
        for q in self.questions:
            _need_file(q, "--questions")
        if self.parse not in ("official", "strict"):
            raise ValueError(f"--parse {self.parse!r}: choose official or strict")


@dataclass
class AmberEvalConfig(EvalConfig):
    """`hero eval amber`."""

    queries: str = ""
    """AMBER query file (data/query/query_all.json: [{id, image, query}])."""
    amber_data: str = ""
    """Folder with AMBER's annotations.json, relation.json, safe_words.txt and metrics.txt."""
    eval_type: str = "a"
    """a (all) | g (generative) | d (discriminative) | de | da | dr: which queries run and what is scored."""
    similarity_model: str = "en_core_web_md"
    """spaCy model for AMBER's word similarity (official: en_core_web_lg)."""

    def __post_init__(self) -> None:
        from hero.benchmarks.amber import EVAL_TYPES

        super().__post_init__()
        _need_file(self.queries, "--queries")
        d = _need_dir(self.amber_data, "--amber-data")
        for name in ("annotations.json", "relation.json", "safe_words.txt", "metrics.txt"):
            _need_file(d / name, "--amber-data")
        if self.eval_type not in EVAL_TYPES:
            raise ValueError(f"--type {self.eval_type!r}: choose one of {', '.join(EVAL_TYPES)}")


@dataclass
class ChairEvalConfig(EvalConfig):
    """`hero eval chair`."""

    coco: str = ""
    """COCO annotations folder: instances_*.json (the images to caption, and ground truth) and captions_*.json."""
    synonyms: str | None = None
    """CHAIR synonyms.txt; None = <coco>/synonyms.txt."""
    synonym_bigrams: bool = False
    """Also merge the synonym file's two-word entries (needed for multi-word categories such as the world's
    "red circle"; not official)."""
    prompt: str = CAPTION_PROMPT
    """Caption prompt."""

    def __post_init__(self) -> None:
        super().__post_init__()
        d = _need_dir(self.coco, "--coco")
        self.synonyms = str(_need_file(self.synonyms or d / "synonyms.txt", "--synonyms"))
        if not self.prompt.strip():
            raise ValueError("--prompt must not be empty")


@dataclass
class ThroneEvalConfig(EvalConfig):
    """`hero eval throne`."""

    coco_annotations: str = ""
    """COCO-format annotation file (instances_val2017.json): the images to describe and the ground truth."""
    judges: list[str] = field(default_factory=lambda: ["rule"])
    """Evaluator LMs: 'rule' (the rule-based judge, for the embedded world) or seq2seq model folders (FLAN-T5)."""
    thresholds: list[int] | None = None
    """Vote thresholds; None = 5 8 9 with 9 votes per class (official), else a majority and unanimity."""
    prompt: str = THRONE_PROMPT
    """Description prompt (THRONE's)."""
    judge_batch_size: int = 32
    """Prompts per seq2seq judge call."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _need_file(self.coco_annotations, "--coco-annotations")
        if not self.judges:
            raise ValueError("--judge is required: 'rule' or a seq2seq model folder (e.g. flan-t5-base)")
        for j in self.judges:
            if j != "rule":
                _need_dir(j, "--judge")
        if self.thresholds is not None and (not self.thresholds or any(t < 1 for t in self.thresholds)):
            raise ValueError(f"--thresholds {self.thresholds}: give integers ≥ 1, e.g. 5 8 9")
        if self.judge_batch_size < 1:
            raise ValueError("--judge-batch-size must be ≥ 1")
