"""One validated config per `hero eval` command: what every evaluation needs (`EvalConfig`: model, images, run
folder, decoding) + the benchmark's inputs + the benchmark's own config, shared with `hero score`
(`hero.official.configs`). The CLI generates its options from these classes; errors say which flag to fix."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hero.official.configs import AmberConfig, ChairConfig, PopeConfig, ThroneConfig
from hero.official.configs import need_dir as _need_dir
from hero.official.configs import need_file as _need_file
from hero.degrade import Degradation
from hero.distributed import rank_device
from hero.evaluation.backends import check_backend
from hero.io import ImageFolder, InputError
from hero.threads import check_threads

DECODINGS = ("greedy", "sample", "vcd")
DTYPES = ("float32", "bfloat16", "float16")


@dataclass
class DecodingConfig:
    """How `hero eval` generates."""

    decoding: str = "greedy"
    """greedy | sample | vcd."""
    temperature: float | None = None
    """Sampling temperature; None = the decoding's default (greedy 0, sample 1, vcd 1 as the official VCD code).
    0 with vcd = greedy VCD."""
    vcd_alpha: float = 1.0
    """VCD contrast strength α (≥ 0; 0 = plain decoding inside the β cut-off)."""
    vcd_beta: float = 0.1
    """VCD plausibility cut-off β in (0, 1]: keep tokens with p(y|v,x) ≥ β·max p."""
    vcd_step: int = 500
    """VCD diffusion noise step t in 0..999 of the official 1000-step schedule."""
    degrade: str | float | None = None
    """hero.degrade spec applied to every image before the processor ('noise:30', 'blur:1', 'noise:30+blur:1';
    a number = noise σ on the 0–255 scale); None / 'none' / 0 = clean. One per run folder (one --out per spec).
    Stored canonical, None for clean."""
    noise: float | None = None
    """Shorthand for --degrade noise:σ (Gaussian noise σ on 0–255 pixels; 0 = clean)."""
    max_new_tokens: int = 128
    """Longest generation in tokens."""
    batch_size: int = 16
    """Requests per `generate` call (outputs are flushed per batch)."""
    seed: int = 0
    """Seeds the image noise, the sampling draws and the VCD noise (each per request)."""
    backend: str = "hf"
    """Generation backend (hero.evaluation.backends): hf (transformers generate: greedy, sample, vcd) or vllm
    (vLLM on CUDA GPUs: greedy, sample; `pip install hero-vlm[vllm]`; not yet verified on a GPU)."""
    device: str = "auto"
    """Where the model runs: auto (cuda if available, else cpu), cpu, cuda, cuda:1, ..."""
    dtype: str = "auto"
    """Model weights dtype: auto (bfloat16 on cuda, float32 on cpu), float32, bfloat16 or float16."""

    def __post_init__(self) -> None:
        self._resolve_device()
        self._merge_noise()
        if self.decoding not in DECODINGS:
            raise ValueError(f"--decoding {self.decoding!r}: choose one of {', '.join(DECODINGS)}")
        if self.temperature is None:
            self.temperature = 0.0 if self.decoding == "greedy" else 1.0
        t = float(self.temperature)
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"--temperature {t} must be a finite number ≥ 0")
        if self.decoding == "greedy" and t != 0:
            raise ValueError(f"--temperature {t} with greedy decoding: use --decoding sample (or vcd) to sample")
        if self.decoding == "sample" and t == 0:
            raise ValueError("--decoding sample needs --temperature > 0 (0 is greedy: use --decoding greedy)")
        self.temperature = t
        check_backend(self.backend, self.decoding)
        if self.vcd_alpha < 0 or not 0 < self.vcd_beta <= 1:
            raise ValueError(f"VCD needs --vcd-alpha ≥ 0 and 0 < --vcd-beta ≤ 1, got {self.vcd_alpha}, "
                             f"{self.vcd_beta}")
        if not 0 <= self.vcd_step < 1000:
            raise ValueError(f"--vcd-step {self.vcd_step} must be in 0..999 (1000-step diffusion schedule)")
        try:
            spec = Degradation.parse(self.degrade)
        except ValueError as e:
            raise ValueError(f"--degrade {self.degrade!r}: {e}") from None
        self.degrade = None if spec.is_identity else str(spec)
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise ValueError("--max-new-tokens and --batch-size must be ≥ 1")

    def _merge_noise(self) -> None:
        """--noise σ is --degrade noise:σ; both at once must name the same degradation (one per run folder)."""
        if self.noise is None:
            return
        given = Degradation.parse(self.degrade) if self.degrade not in (None, "") else None
        if given is not None and str(given) != str(Degradation.parse(float(self.noise))):
            raise ValueError(f"--noise {self.noise:g} and --degrade {self.degrade} give two degradations: hero eval "
                             "runs one per run folder (one --out per spec)")
        self.degrade, self.noise = float(self.noise), None

    def _resolve_device(self) -> None:
        import torch

        if self.device == "auto":
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda":  # one GPU per process under torchrun / accelerate launch
            self.device = rank_device(self.device)
        if not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"--device {self.device!r}: use auto, cpu or cuda[:N]")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"--device {self.device}: no CUDA device is available; use --device cpu")
        if self.dtype == "auto":
            self.dtype = "bfloat16" if self.device.startswith("cuda") else "float32"
        if self.dtype not in DTYPES:
            raise ValueError(f"--dtype {self.dtype!r}: choose auto or one of {', '.join(DTYPES)}")

    def identity(self) -> dict:
        """Settings that change what is generated (not the batch size — draws are per request — nor the device)."""
        d = asdict(self)
        d.pop("batch_size")
        d.pop("device")
        d.pop("noise")
        if d["backend"] == "hf":  # the default leaves the identity of older run folders as it was
            d.pop("backend")
        sigma = Degradation.parse(d.pop("degrade")).sigma
        d.update({"noise": sigma} if sigma is not None else {"degrade": self.degrade})  # older runs kept "noise"
        if self.decoding != "vcd":
            for k in ("vcd_alpha", "vcd_beta", "vcd_step"):
                d.pop(k)
        return d


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
    allow_outside_images: bool = False
    """Read images that resolve outside --images (an absolute path, '..' or a symlink out in the benchmark files);
    refused by default."""
    threads: int = 0
    """torch CPU threads; 0 = auto: every core when the machine is idle (1-minute load average < 1), 1 when other
    jobs already load it (as `hero train sft --threads`)."""
    images_flag: str = field(default="--images", metadata={"cli": False})
    """How the user named the image folder, for messages ('--world' when `hero eval world` derives it)."""

    def __post_init__(self) -> None:
        _need_dir(self.model, "--model")
        if not (Path(self.model) / "config.json").is_file():
            raise InputError(f"{self.model}: no config.json — not a Hugging Face model folder (--model)")
        _need_dir(self.images, self.images_flag)
        if not str(self.out or "").strip():
            raise ValueError("--out is required")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit {self.limit} must be ≥ 1")
        check_threads(self.threads)

    def image_folder(self) -> ImageFolder:
        """The image folder with its flag; --allow-outside-images only where the command has that flag."""
        own = self.images_flag == "--images"
        return ImageFolder(self.images, self.images_flag, self.allow_outside_images,
                           "--allow-outside-images" if own else None)


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
                if not (Path(j) / "config.json").is_file():
                    raise InputError(f"{j}: no config.json — not a seq2seq judge model folder (--judge); pass a "
                                     "FLAN-T5 folder or 'rule'")
        if self.judge_batch_size < 1:
            raise ValueError("--judge-batch-size must be ≥ 1")
