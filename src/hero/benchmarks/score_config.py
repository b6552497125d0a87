"""One validated config per `hero score` subcommand (the CLI builds these; errors say how to fix the flag)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from hero.benchmarks.amber import EVAL_TYPES
from hero.benchmarks.pope_metrics import ANSWER_FORMATS, PAIRINGS, PARSERS
from hero.benchmarks.throne import STRATEGIES


def _choice(value: str, allowed, flag: str) -> None:
    if value not in allowed:
        raise ValueError(f"{flag} {value!r} is not one of {', '.join(allowed)}")


@dataclass
class PopeScoreConfig:
    labels: list[str]
    """Label files (JSONL); several only with `split_field`, each optionally NAME=PATH."""
    answers: Path
    """Answer file: RUCAIBox {"question", "answer"} or LLaVA {"question_id", "text"} rows."""
    parse: str = "official"
    """official (evaluate.py's first-sentence token rule) or strict (lmms-eval's exact match)."""
    fmt: str = "auto"
    """auto, rucaibox or llava."""
    pairing: str = "auto"
    """auto (RUCAIBox by order, LLaVA by id), order or id."""
    split_field: Optional[str] = None
    """Answer field naming the split (e.g. category) to score a multi-split file per split."""

    def __post_init__(self):
        _choice(self.parse, PARSERS, "--parse")
        _choice(self.fmt, ANSWER_FORMATS, "--format")
        _choice(self.pairing, PAIRINGS, "--pairing")
        if not self.labels:
            raise ValueError("--labels: give at least one label file (e.g. coco_pope_random.json)")


@dataclass
class AmberScoreConfig:
    responses: Path
    """JSON list [{"id", "response"}] as for the official --inference_data."""
    annotations: Path
    """AMBER data/annotations.json."""
    relation: Path
    """AMBER data/relation.json (word associations)."""
    safe_words: Path
    """AMBER data/safe_words.txt."""
    metrics: Path
    """AMBER data/metrics.txt (counter initial values)."""
    eval_type: str = "a"
    """a, g, d, de, da or dr (what the official script prints)."""
    similarity_model: str = "en_core_web_md"
    """spaCy model for word similarity (official: en_core_web_lg)."""
    similarity_threshold: float = 0.8
    """A noun matches a word when similarity > this (official --similarity_score)."""

    def __post_init__(self):
        _choice(self.eval_type, EVAL_TYPES, "--type")
        if not -1.0 <= self.similarity_threshold <= 1.0:
            raise ValueError(f"--similarity-threshold {self.similarity_threshold} must be a cosine in [-1, 1] "
                             "(official default 0.8)")


@dataclass
class ChairScoreConfig:
    captions: Path
    """Caption file (official imgToEval format, or a list of {"image_id", "caption"})."""
    coco: Path
    """COCO annotations folder with instances_*.json and captions_*.json."""
    synonyms: Optional[Path] = None
    """CHAIR data/synonyms.txt; None: <coco>/synonyms.txt, then ./data/synonyms.txt."""
    synonym_bigrams: bool = False
    """Also merge the synonym file's two-word entries (multi-word categories such as the world's "red circle");
    not official — the official code merges only its built-in list of double words."""

    def synonyms_path(self) -> Path:
        """The synonyms file to read; raises with the fix when none exists."""
        candidates = [self.synonyms] if self.synonyms else [self.coco / "synonyms.txt", Path("data/synonyms.txt")]
        for p in candidates:
            if p.exists():
                return p
        raise ValueError(f"synonyms file not found ({', '.join(map(str, candidates))}): pass --synonyms with the "
                         "CHAIR repository's data/synonyms.txt")


@dataclass
class ThroneScoreConfig:
    coco_annotations: Path
    """COCO-format annotation file the responses were asked about."""
    evaluations: Path
    """Folder with one JSON per evaluator LM."""
    thresholds: list[int] = field(default_factory=lambda: [5, 8, 9])
    """Vote thresholds τ (each in 1..V)."""
    strategy: str = "micro"
    """micro (image-level) or class (class-wise)."""

    def __post_init__(self):
        _choice(self.strategy, STRATEGIES, "--strategy")
        if not self.thresholds:
            raise ValueError("--thresholds: give at least one threshold, e.g. --thresholds 5 8 9")
        if not self.evaluations.is_dir():
            raise ValueError(f"{self.evaluations}: not a folder of evaluator JSON files (--evaluations)")
