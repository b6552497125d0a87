"""Settings of `hero train sft` (`SFTRunConfig`) and how its 'auto' values resolve on this machine (precision,
CPU threads)."""

from __future__ import annotations

from dataclasses import dataclass

from hero.io import check_out_folder
from hero.threads import pick_threads  # noqa: F401 (moved to hero.threads; this import path is kept)

PRECISIONS = ("auto", "bf16", "fp32")
CURRICULUM = ((2, 1), (3, 2), (4, 3), (None, None))
"""Stages as (colours, shapes) of the world's first colours/shapes; (None, None) is the full world."""

SFT_NOT_IDENTITY = ("model", "world", "data", "images", "allow_outside_images", "out", "budget_min", "max_steps",
                    "resume", "threads", "progress", "save_steps", "precision", "gradient_checkpointing")
"""SFTRunConfig fields left out of the run identity (hero.runid): stored apart (model, world, out), budget-like or
machine choices, free to change on --resume."""


@dataclass
class SFTRunConfig:
    """Settings of one `hero train sft` run."""

    model: str
    """Folder of the model to fine-tune (from `hero model init` or an earlier SFT run)."""
    style: str
    """'answer' (targets "yes"/"no") or 'cot' (the world's short chain-of-thought ending "Answer: yes|no.")."""
    out: str
    """Output folder: the fine-tuned model + processor, `checkpoints/`, `sft_log.jsonl`."""
    world: str = ""
    """World folder (with world.json) from `hero world build` (give --world or --data, not both)."""
    data: str = ""
    """Train on your files instead of the world: a JSONL file, a JSON list or a `datasets.save_to_disk` folder of
    rows (hero.data.rows); needs --images. Targets: answer style the yes/no answer, CoT style the reference then
    "Answer: yes|no.", an open question its reference (hero.data.training). The auxiliary losses are off."""
    images: str = ""
    """With --data: the folder the rows' image paths are relative to."""
    allow_outside_images: bool = False
    """With --data: read images whose path resolves outside --images; refused by default."""
    budget_min: float = 5.0
    """Wall-clock training budget in minutes (data rendering included, evaluation excluded)."""
    max_steps: int = 0
    """Stop after this many optimizer steps (0 = no step limit; the budget still applies)."""
    batch_size: int = 128
    """Examples per optimizer step (even: examples come in pairs on one scene)."""
    lr: float = 3e-3
    """Peak learning rate (AdamW), linear warm-up then cosine decay over the budget (or warmup-stable-decay, see
    `cooldown`). Chosen together with `batch_size`; the measurements behind both: benchmarks/sft_experiments.md."""
    warmup_steps: int = 30
    """Linear warm-up steps."""
    cooldown: float = 0.0
    """0 = cosine decay over the whole budget; c > 0 = warmup-stable-decay: the peak rate until the last c of the
    budget, then linear to 0."""
    caption_frac: float = 0.0
    """Fraction of examples that are captions ("Describe this image."); their long targets pad the whole batch."""
    patch_aux: float = 2.0
    """Weight of the per-patch category-presence auxiliary loss on the vision tower's output (hero.sft.aux; a
    training-only linear head, not saved in the model). 0 = off."""
    ground_aux: float = 1.0
    """Weight of the question-grounding auxiliary loss (hero.sft.aux): a training-only linear head on the first
    decoder layer's output at each image token predicts whether that patch holds the asked category. 0 = off."""
    list_aux: float = 1.0
    """Weight of the listing auxiliary loss (training only, like the other heads): a linear head on the decoder's
    final hidden state at the answer position predicts every category present in the image — the listing a CoT
    target spells out, supervised alongside the answer. 0 = off."""
    patch_aux_pixels: int = 8
    """A patch counts as holding a category when ≥ this many of its pixels belong to an object of it."""
    questions_per_image: int = 2
    """Questions asked about each training scene (even: positive/negative pairs on the same image, so only the
    question decides the answer). More questions per scene cost less rendering per example."""
    min_objects: int = 3
    """Fewest objects per training scene (0 = the world's own min_objects). POPE asks about images with ≥ 3
    objects, where colour–shape binding matters."""
    cot_first: float = 0.0
    """answer style only: fraction of the budget trained on CoT targets before switching to yes/no targets (the
    listing in a CoT target supervises colour–shape binding token by token). 0 = answer targets throughout."""
    curriculum: bool = False
    """Start on a 2×1 sub-world and grow it (2×1 → 3×2 → 4×3 → full) when probe accuracy ≥ 0.9 or a stage
    has used its share (20 %) of the budget. Off = the full world from the start."""
    seed: int = 0
    """Seeds weights' update order, the example stream and the shuffling."""
    save_steps: int = 200
    """Checkpoint every this many steps (the last 2 are kept)."""
    resume: bool = False
    """Continue from the newest checkpoint in OUT/checkpoints."""
    precision: str = "auto"
    """'bf16' (bf16 autocast, fp32 master weights), 'fp32', or 'auto': bf16 where the hardware computes it natively
    (a CUDA GPU with bf16, or a CPU whose oneDNN has bf16 kernels: AVX512-BF16 / AMX), else fp32. bf16 on the CPU
    uses eager attention (set automatically: PyTorch's CPU flash-attention kernel is slow in bf16 for these short
    sequences)."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass to save memory (transformers' activation_checkpointing; for
    large models on a GPU). Not yet verified on a GPU (docs/gpu.md)."""
    threads: int = 0
    """torch CPU threads; 0 = auto: every core when the machine is idle, 1 when other jobs already load it (a
    2-thread run whose second thread gets descheduled waits at every op's barrier: 10–20× slower)."""
    progress: bool = True
    """Show a progress bar."""

    def __post_init__(self) -> None:
        from hero.data.training import check_source

        if self.out:
            check_out_folder(self.out)
        check_source(self.world, self.data, self.images)
        if self.data and (self.curriculum or self.cot_first or self.caption_frac):
            raise ValueError("--curriculum, --cot-first and --caption-frac draw from the world's scenes; drop them "
                             "with --data")
        if self.style not in ("answer", "cot"):
            raise ValueError(f"--style {self.style!r}: use 'answer' or 'cot'")
        if self.budget_min <= 0:
            raise ValueError(f"--budget-min {self.budget_min}: must be > 0 minutes")
        if self.max_steps < 0:
            raise ValueError(f"--max-steps {self.max_steps}: must be ≥ 0 (0 = no step limit)")
        if self.batch_size < 2 or self.batch_size % 2:
            raise ValueError(f"--batch-size {self.batch_size}: must be even and ≥ 2 (examples come in pairs)")
        if self.save_steps < 1:
            raise ValueError(f"--save-steps {self.save_steps}: must be ≥ 1")
        if self.warmup_steps < 0 or self.threads < 0:
            raise ValueError(f"--warmup-steps {self.warmup_steps} and --threads {self.threads}: must be ≥ 0")
        if not 0.0 <= self.cot_first < 1.0 or (self.cot_first and self.style != "answer"):
            raise ValueError(f"--cot-first {self.cot_first}: must be in [0, 1) and only with --style answer")
        if not 0.0 <= self.caption_frac < 0.5:
            raise ValueError(f"--caption-frac {self.caption_frac}: must be in [0, 0.5) (a pair of examples on one "
                             "scene holds at most one caption)")
        if self.patch_aux < 0 or self.ground_aux < 0 or self.list_aux < 0 or self.patch_aux_pixels < 1:
            raise ValueError(f"--patch-aux {self.patch_aux} and --ground-aux {self.ground_aux} must be ≥ 0 "
                             f"(0 = off), --patch-aux-pixels {self.patch_aux_pixels} ≥ 1")
        if self.questions_per_image < 2 or self.questions_per_image % 2:
            raise ValueError(f"--questions-per-image {self.questions_per_image}: must be even and ≥ 2 (pairs)")
        if self.min_objects < 0:
            raise ValueError(f"--min-objects {self.min_objects}: must be ≥ 0 (0 = the world's own minimum)")
        if self.precision not in PRECISIONS:
            raise ValueError(f"--precision {self.precision!r}: use one of {', '.join(PRECISIONS)}")
        if not 0.0 <= self.cooldown <= 1.0:
            raise ValueError(f"--cooldown {self.cooldown}: a fraction of the budget in [0, 1] (0 = cosine)")
        if not self.lr > 0:
            raise ValueError(f"--lr {self.lr}: must be > 0")

def resolve_precision(requested: str, cuda: bool, cuda_bf16: bool, cpu_bf16: bool) -> str:
    """'bf16' or 'fp32' for a run. 'auto' → bf16 when the device computes it natively: on a GPU when it supports
    bf16, on the CPU when oneDNN has bf16 kernels. resolve_precision("auto", False, False, True) = "bf16";
    ("auto", True, False, True) = "fp32" (a GPU without bf16: the CPU's support does not matter);
    ("fp32", True, True, True) = "fp32"."""
    if requested != "auto":
        return requested
    return "bf16" if (cuda_bf16 if cuda else cpu_bf16) else "fp32"


def device_precision(requested: str) -> tuple[bool, str]:
    """(use_cuda, precision) on this machine: resolve_precision with the detected hardware."""
    import torch

    cuda = torch.cuda.is_available()
    cuda_bf16 = cuda and torch.cuda.is_bf16_supported()
    try:  # a private probe of oneDNN's bf16 kernels; treat a build without it as "no native bf16"
        cpu_bf16 = bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        cpu_bf16 = False
    return cuda, resolve_precision(requested, cuda, cuda_bf16, cpu_bf16)
