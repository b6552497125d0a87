"""One config per benchmark, shared by `hero score` and `hero eval` (validated once, here), and the commands'
configs built from them: `hero score X` = the output files to score + X's config; `hero eval X` = the model, images
and decoding (`hero.evaluation.config`) + the benchmark's inputs + X's config. The CLI generates every option from
these dataclasses (hero.options); errors name the flag and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hero.official.amber import EVAL_TYPES
from hero.official.pope_metrics import ANSWER_FORMATS, PAIRINGS, PARSERS
from hero.official.throne import STRATEGIES
from hero.io import InputError


def choice(value: str, allowed, flag: str) -> None:
    if value not in allowed:
        raise ValueError(f"{flag} {value!r} is not one of {', '.join(allowed)}")


def need_file(path, flag: str) -> Path:
    """`path` as a Path; ValueError when not given, InputError naming the flag when it is not a file."""
    if path is None or not str(path).strip():
        raise ValueError(f"{flag} is required")
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {'a folder, expected a file' if p.is_dir() else 'file not found'} ({flag})")
    return p


def need_dir(path, flag: str) -> Path:
    """`path` as a Path; ValueError when not given, InputError naming the flag when it is not a folder."""
    if path is None or not str(path).strip():
        raise ValueError(f"{flag} is required")
    p = Path(path)
    if not p.is_dir():
        raise InputError(f"{p}: {'a file, expected a folder' if p.exists() else 'folder not found'} ({flag})")
    return p


BUNDLED_SYNONYMS = Path(__file__).parent / "data" / "chair_synonyms.txt"
"""LisaAnne/Hallucination data/synonyms.txt @ 6e4d33c, unchanged (provenance and licence: data/README.md)."""


# ---------------------------------------------------------------------------------------------- the benchmarks
@dataclass
class PopeConfig:
    """POPE's scoring settings."""

    parse: str = "official"
    """official: the first-sentence token rule of RUCAIBox/POPE evaluate.py ('NO' counts as yes!); strict:
    lmms-eval's lower().strip() == label."""

    def __post_init__(self) -> None:
        choice(self.parse, PARSERS, "--parse")


@dataclass
class AmberConfig:
    """AMBER's data files and scoring settings (inference.py)."""

    amber_data: str = "data"
    """Folder of your AMBER checkout's data files (annotations.json, relation.json, safe_words.txt, metrics.txt);
    the four flags below override single files."""
    annotations: str | None = None
    """AMBER data/annotations.json (default: in --amber-data)."""
    relation: str | None = None
    """AMBER data/relation.json (default: in --amber-data)."""
    safe_words: str | None = None
    """AMBER data/safe_words.txt (default: in --amber-data)."""
    metrics: str | None = None
    """AMBER data/metrics.txt, the initial counters (default: in --amber-data)."""
    eval_type: str = field(default="a", metadata={"flag": "--type"})
    """a (all) | g (generative) | d (discriminative) | de | da | dr: which queries run and what is scored."""
    similarity_model: str | None = None
    """spaCy model for word similarity (default: the official en_core_web_lg if installed, else
    en_core_web_md)."""
    similarity_threshold: float = 0.8
    """A noun matches a word when similarity > this (official --similarity_score)."""

    def __post_init__(self) -> None:
        choice(self.eval_type, EVAL_TYPES, "--type")
        if not -1.0 <= self.similarity_threshold <= 1.0:
            raise ValueError(f"--similarity-threshold {self.similarity_threshold} must be a cosine in [-1, 1] "
                             "(official default 0.8)")
        d = Path(self.amber_data)
        if not d.is_dir() and not all((self.annotations, self.relation, self.safe_words, self.metrics)):
            need_dir(d, "--amber-data")
        for name, file in (("annotations", "annotations.json"), ("relation", "relation.json"),
                           ("safe_words", "safe_words.txt"), ("metrics", "metrics.txt")):
            given = getattr(self, name)
            flag = "--" + name.replace("_", "-") if given else "--amber-data"
            setattr(self, name, str(need_file(given or d / file, flag)))

    def load_data(self):
        """The four official data files, read (`hero.official.amber.AmberData`)."""
        from hero.official.amber import load_amber_data

        return load_amber_data(self.annotations, self.relation, self.safe_words, self.metrics)


@dataclass
class ChairConfig:
    """CHAIR's ground truth and synonym table (LisaAnne/Hallucination utils/chair.py)."""

    coco: str
    """COCO annotations folder: all instances_*.json and captions_*.json in it are read (official: train2014 +
    val2014)."""
    synonyms: str | None = None
    """CHAIR synonym table (default: <coco>/synonyms.txt if present, else the bundled official data/synonyms.txt
    of LisaAnne/Hallucination)."""
    synonym_bigrams: bool = False
    """Also merge the synonym file's two-word entries (multi-word categories such as the world's "red circle");
    not official — the official code merges only its built-in list of double words."""

    def __post_init__(self) -> None:
        need_dir(self.coco, "--coco")
        self.synonyms = str(self.synonyms_path())

    def load_synonyms(self):
        """The synonym table, read with this config's bigram setting (`hero.official.chair.Synonyms`)."""
        from hero.official.chair import Synonyms

        return Synonyms.from_text(Path(self.synonyms).read_text(encoding="utf-8"),
                                  synonym_bigrams=self.synonym_bigrams, source=str(self.synonyms))

    def synonyms_path(self) -> Path:
        """The synonyms file to read: --synonyms, else <coco>/synonyms.txt (the embedded world exports one there),
        else the bundled official table (`BUNDLED_SYNONYMS`)."""
        if self.synonyms:
            return need_file(self.synonyms, "--synonyms")
        in_coco = Path(self.coco) / "synonyms.txt"
        return in_coco if in_coco.is_file() else BUNDLED_SYNONYMS


@dataclass
class ThroneConfig:
    """THRONE's ground truth and vote thresholds (throne_score_aqa.py)."""

    coco_annotations: str
    """COCO-format annotation file the responses are about (e.g. instances_val2017.json)."""
    thresholds: list[int] | None = field(default=None, metadata={"greedy": True})
    """Vote thresholds τ, e.g. 5,8,9 (default: 5,8,9 with 9 votes per class, else a majority and unanimity)."""

    def __post_init__(self) -> None:
        need_file(self.coco_annotations, "--coco-annotations")
        if self.thresholds is not None and (not self.thresholds or any(t < 1 for t in self.thresholds)):
            raise ValueError(f"--thresholds {self.thresholds}: give integers ≥ 1, e.g. 5,8,9")


# ---------------------------------------------------------------------------------------------- hero score
@dataclass
class ScoreOutput:
    """Where `hero score` writes besides stdout."""

    out: str | None = None
    """Also write the JSON result here."""
    details: str | None = None
    """JSONL: one line per scored item."""


@dataclass
class PopeScoreConfig:
    """`hero score pope`."""

    labels: list[str]
    """Label file (JSONL {question_id, text, label}), e.g. coco_pope_random.json. Repeat (or NAME=PATH) for one
    file per split."""
    answers: str
    """Answers: RUCAIBox {"question", "answer"} (paired with the labels by line order) or LLaVA {"question_id",
    "text"} (joined by id)."""
    pope: PopeConfig = field(default_factory=PopeConfig)
    """POPE's scoring settings."""
    fmt: str = field(default="auto", metadata={"flag": "--format"})
    """auto | rucaibox | llava."""
    pairing: str = "auto"
    """auto (RUCAIBox: order, LLaVA: id) | order (LLaVA's eval_pope.py zips each split by order) | id."""
    split_field: str | None = None
    """Score a multi-split answer file per split, e.g. 'category' (random/popular/adversarial)."""
    output: ScoreOutput = field(default_factory=ScoreOutput)
    """Output files."""

    def __post_init__(self) -> None:
        choice(self.fmt, ANSWER_FORMATS, "--format")
        choice(self.pairing, PAIRINGS, "--pairing")
        if not self.labels:
            raise ValueError("--labels: give at least one label file (e.g. coco_pope_random.json)")
        for spec in self.labels:
            need_file(spec.rpartition("=")[2], "--labels")
        need_file(self.answers, "--answers")

    def input_paths(self) -> list[tuple[str, str]]:
        """(flag, path) of every file this command reads (the outputs must be none of them)."""
        return [("--labels", spec.rpartition("=")[2]) for spec in self.labels] + [("--answers", self.answers)]


@dataclass
class AmberScoreConfig:
    """`hero score amber`."""

    responses: str
    """JSON list [{"id": int, "response": str}] (any subset, any order), as for the official inference.py
    --inference_data."""
    amber: AmberConfig = field(default_factory=AmberConfig)
    """AMBER's data and settings."""
    output: ScoreOutput = field(default_factory=ScoreOutput)
    """Output files."""

    def __post_init__(self) -> None:
        need_file(self.responses, "--responses")

    def input_paths(self) -> list[tuple[str, str]]:
        """(flag, path) of every file this command reads (the outputs must be none of them)."""
        a = self.amber
        return [("--responses", self.responses), ("--annotations", a.annotations), ("--relation", a.relation),
                ("--safe-words", a.safe_words), ("--metrics", a.metrics)]


@dataclass
class ChairScoreConfig:
    """`hero score chair`."""

    captions: str
    """Caption file {"overall": {...}, "imgToEval": {"<id>": {"image_id", "caption"}}} (or a list of
    {"image_id", "caption"})."""
    chair: ChairConfig
    """CHAIR's ground truth and synonyms."""
    output: ScoreOutput = field(default_factory=ScoreOutput)
    """Output files."""

    def __post_init__(self) -> None:
        need_file(self.captions, "--captions")

    def input_paths(self) -> list[tuple[str, str]]:
        """(flag, path) of every file and folder this command reads (the outputs must be none of them)."""
        return [("--captions", self.captions), ("--coco", self.chair.coco), ("--synonyms", self.chair.synonyms)]


@dataclass
class ThroneScoreConfig:
    """`hero score throne`."""

    evaluations: str
    """Folder with one JSON per evaluator LM ({image_id: [M*C answers]}), e.g. evaluations/combined."""
    throne: ThroneConfig
    """THRONE's ground truth and thresholds."""
    strategy: str = "micro"
    """micro (image-level) | class (class-wise; the paper's headline F0.5)."""
    output: ScoreOutput = field(default_factory=ScoreOutput)
    """Output files."""

    def __post_init__(self) -> None:
        choice(self.strategy, STRATEGIES, "--strategy")
        need_dir(self.evaluations, "--evaluations")

    def input_paths(self) -> list[tuple[str, str]]:
        """(flag, path) of every file and folder this command reads (the outputs must be none of them)."""
        return [("--evaluations", self.evaluations), ("--coco-annotations", self.throne.coco_annotations)]
