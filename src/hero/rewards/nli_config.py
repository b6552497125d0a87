"""Settings of `hero train nli` (a light module: the CLI builds its options from it without importing torch)."""

from __future__ import annotations

from dataclasses import dataclass

from hero.io import check_out_folder

NLI_NOT_IDENTITY = ("world", "out", "budget_min", "max_steps", "threads", "progress")
"""NLITrainConfig fields left out of the run identity (hero.runid): stored apart (world, out) or budget-like."""


@dataclass
class NLITrainConfig:
    """Settings of one `hero train nli` run."""

    world: str
    """World folder (with world.json) from `hero world build`; its train split trains, its test split is held out."""
    out: str
    """Output folder: model + tokenizer (`save_pretrained`) and the run summary `nli_train.json`."""
    budget_min: float = 2.0
    """Wall-clock cap on training in minutes (evaluation excluded); stops the run early if max_steps is not done."""
    max_steps: int = 800
    """Optimizer steps; the learning-rate schedule spans them."""
    batch_size: int = 64
    """Pairs per optimizer step."""
    lr: float = 2e-3
    """Peak learning rate (AdamW, weight decay 0.01), linear warm-up then cosine decay over max_steps."""
    warmup_steps: int = 50
    """Linear warm-up steps."""
    hidden: int = 64
    """Width of the BERT encoder (attention heads = hidden / 16)."""
    layers: int = 2
    """Transformer layers."""
    init_std: float = 0.1
    """Std of the initial weights (BertConfig.initializer_range). BERT's 0.02 suits width 768; at width 64 it
    leaves the encoder's output almost independent of the input and training stalls for hundreds of steps."""
    aux_weight: float = 1.0
    """Weight of the training-only occurrence loss (see `occurrence_targets`); 0 turns it off."""
    heldout_per_label: int = 2
    """Held-out pairs of each class per test-split scene."""
    seed: int = 0
    """Seeds the weights, the train pair stream and (offset) the held-out claims."""
    threads: int = 0
    """torch CPU threads (0 = leave torch's default)."""
    progress: bool = True
    """Show a progress bar."""

    def __post_init__(self) -> None:
        if self.out:
            check_out_folder(self.out)
        if not self.budget_min > 0:
            raise ValueError(f"--budget-min {self.budget_min}: must be > 0 minutes")
        if self.max_steps < 1:
            raise ValueError(f"--max-steps {self.max_steps}: must be ≥ 1 (the learning-rate schedule spans them)")
        if self.batch_size < 1:
            raise ValueError(f"--batch-size {self.batch_size}: must be ≥ 1")
        if self.warmup_steps < 0:
            raise ValueError(f"--warmup-steps {self.warmup_steps}: must be ≥ 0")
        if not self.lr > 0:
            raise ValueError(f"--lr {self.lr}: must be > 0")
        if self.hidden < 16 or self.hidden % 16 or self.layers < 1:
            raise ValueError(f"hidden={self.hidden}, layers={self.layers}: hidden must be a multiple of 16 (≥ 16) "
                             "and layers ≥ 1")
        if self.heldout_per_label < 1 or self.threads < 0:
            raise ValueError("heldout_per_label must be ≥ 1 and threads ≥ 0")
        if not self.init_std > 0 or self.aux_weight < 0:
            raise ValueError(f"init_std={self.init_std} must be > 0 and aux_weight={self.aux_weight} ≥ 0")
