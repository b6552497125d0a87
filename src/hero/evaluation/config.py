"""One validated config per `hero eval` command: what every evaluation needs (`EvalConfig`: model, images, run
folder, decoding) + the benchmark's inputs + the benchmark's own config, shared with `hero score`
(`hero.benchmarks.configs`). The CLI generates its options from these classes; errors say which flag to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hero.benchmarks.configs import AmberConfig, ChairConfig, PopeConfig, ThroneConfig
from hero.benchmarks.configs import need_dir as _need_dir
from hero.benchmarks.configs import need_file as _need_file
from hero.evaluation.generate import DecodingConfig
from hero.io import InputError

THRONE_PROMPT = "Describe this image in detail."
CAPTION_PROMPT = "Describe this image."


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
    progress: bool = True
    """Show a progress bar."""

    def __post_init__(self) -> None:
        _need_dir(self.model, "--model")
        if not (Path(self.model) / "config.json").is_file():
            raise InputError(f"{self.model}: no config.json — not a Hugging Face model folder (--model)")
        _need_dir(self.images, "--images")
        if not str(self.out or "").strip():
            raise ValueError("--out is required")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit {self.limit} must be ≥ 1")


@dataclass(kw_only=True)
class PopeEvalConfig(EvalConfig):
    """`hero eval pope`."""

    questions: list[str]
    """POPE question files (JSONL {question_id, image, text, label}), one per split (coco_pope_random.json ...)."""
    pope: PopeConfig = field(default_factory=PopeConfig)
    """POPE's scoring settings."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.questions:
            raise ValueError("--questions is required (a POPE file such as coco_pope_random.json; repeat per split)")
        for q in self.questions:
            _need_file(q, "--questions")


@dataclass(kw_only=True)
class AmberEvalConfig(EvalConfig):
    """`hero eval amber`."""

    queries: str
    """AMBER query file (data/query/query_all.json: [{id, image, query}])."""
    amber: AmberConfig = field(default_factory=AmberConfig)
    """AMBER's data and settings."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _need_file(self.queries, "--queries")


@dataclass(kw_only=True)
class ChairEvalConfig(EvalConfig):
    """`hero eval chair`."""

    chair: ChairConfig
    """CHAIR's ground truth (the images to caption are those of instances_*.json) and synonyms."""
    prompt: str = CAPTION_PROMPT
    """Caption prompt."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.prompt.strip():
            raise ValueError("--prompt must not be empty")


@dataclass(kw_only=True)
class ThroneEvalConfig(EvalConfig):
    """`hero eval throne`."""

    throne: ThroneConfig
    """THRONE's ground truth (the images to describe) and thresholds."""
    judges: list[str] = field(default_factory=lambda: ["rule"], metadata={"flag": "--judge"})
    """Evaluator: 'rule' (rule-based, for the embedded world) or a seq2seq model folder (FLAN-T5 base/large/xl);
    repeat for several."""
    prompt: str = THRONE_PROMPT
    """Description prompt (THRONE's)."""
    judge_batch_size: int = 32
    """Prompts per seq2seq judge call."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.judges:
            raise ValueError("--judge is required: 'rule' or a seq2seq model folder (e.g. flan-t5-base)")
        for j in self.judges:
            if j != "rule":
                _need_dir(j, "--judge")
        if self.judge_batch_size < 1:
            raise ValueError("--judge-batch-size must be ≥ 1")
