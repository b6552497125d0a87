"""Settings of `hero train grpo|hero|dpo`: the run's own fields (`RLRunConfig`) plus every field of the trainer's
config (`HeroConfig` for hero, TRL's `GRPOConfig` for grpo, `DPOConfig` for dpo), from YAML, flags and `--set`.

Precedence: the run defaults below (CPU-safe, `TRAINER_DEFAULTS`) < the YAML file < flags and `--set key=value`.
Every value is checked against its field's type; an unknown or badly typed key is an error naming where it came
from (file:line, --set, or the keyword) and, for a typo, the closest field name.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field

from hero.degrade import canonical, merge_specs
from hero.hardware import vllm_settings
from hero.io import check_out_folder
from hero.options import coerce, parse_set, read_yaml  # noqa: F401 (one implementation; re-exported)

METHODS = ("grpo", "hero", "dpo")
RESERVED = {"output_dir": "it is OUT/checkpoints; set --out", "logging_dir": "TensorBoard logs go to OUT/tensorboard"}


@dataclass
class RLRunConfig:
    """Settings of one RL / preference run that are not fields of the trainer's config."""

    method: str
    """'hero' (HeroGRPOTrainer), 'grpo' (TRL's GRPOTrainer, same settings without the three mechanisms) or 'dpo'
    (offline preference pairs from the model's own samples, TRL's DPOTrainer)."""
    model: str
    """Model folder to start from (a `hero train sft` output; its `hero_style` is kept in the trained model)."""
    world: str = ""
    """World folder from `hero world build` (give --world or --data, not both)."""
    out: str = ""
    """Output folder (required): the trained model + processor, checkpoints/, tensorboard/, log_history.json,
    rl_summary.json."""
    data: str = ""
    """Training rows from your files instead of the world: a JSONL file, a JSON list or a `datasets.save_to_disk`
    folder with image, question (or messages), answer (yes/no) and/or reference per row (hero.data.rows); needs
    --images. Checked row by row, every image opened, before any model loads."""
    images: str = ""
    """With --data: the folder the rows' image paths are relative to."""
    allow_outside_images: bool = False
    """With --data: read images whose path resolves outside --images (absolute, '..', a symlink out); refused by
    default."""
    split: str = "train"
    """World split whose images the prompts are about."""
    sigmas: list[float] = field(default_factory=list)
    """Noise shorthand: Gaussian σ (0-255 scale) as noise specs; RL must see degraded images to change anything
    there. The per-prompt grid is hero.degrade.merge_specs(sigmas, degrade): both empty → noise 0, 30, 50."""
    degrade: list[str] = field(default_factory=list)
    """hero.degrade specs drawn per prompt besides the sigmas ('blur:1', 'noise:30+blur:1'); stored canonical."""
    questions_per_image: int = 2
    """Questions per image, alternating positive / negative (negatives of every SFT kind)."""
    max_images: int = 0
    """Use only the split's first N images (--data: the file's first N rows; 0 = all)."""
    budget_min: float = 1.5
    """Wall-clock training budget in minutes (DPO: sampling included); training stops and saves when it is used."""
    max_steps: int = 0
    """Stop after this many optimizer steps (0 = budget only); passed to the trainer's `max_steps`."""
    seed: int = 0
    """Seed of the questions, the noise, sampling and training (the trainer's `seed`)."""
    reward: str = "yes_no"
    """Reward functions by name (`hero.rewards.registry`), joined by '+' (summed): 'yes_no' (exact verifier against
    the label), 'nli' (NLI claims reward against the ground-truth caption, needs nli_model), 'yes_no+nli', or a
    function of yours as 'module:function' (TRL form f(prompts, completions, **kwargs) -> list[float]). Not used by
    dpo, whose pairs come from the exact verifier."""
    nli_model: str | None = None
    """NLI classifier folder (AutoModelForSequenceClassification) for reward='nli' / 'yes_no+nli'."""
    lora: bool = False
    """Train PEFT LoRA adapters instead of all weights; the reference model is the adapter-disabled base. The saved
    model is merged (loadable like any model); the adapter alone is saved in OUT/adapter."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling α (the update is scaled by α / r)."""
    lora_dropout: float = 0.0
    """Dropout on the LoRA input."""
    lora_target_modules: list[str] = field(default_factory=lambda: ["all-linear"])
    """Modules that get adapters: ['all-linear'] (every linear layer but the output head) or module names."""
    load_in_4bit: bool = False
    """QLoRA: load the start model in 4-bit NF4 (bitsandbytes, CUDA only; `pip install hero-vlm[qlora]`) and train
    LoRA adapters on it (needs --lora). Not yet verified on a GPU (docs/gpu.md)."""
    resume: bool = False
    """Continue from the newest checkpoint in OUT/checkpoints (β, optimizer, clock and step restored)."""
    threads: int = 0
    """torch CPU threads (0 = leave torch's default)."""
    progress: bool = True
    """Show a progress bar."""
    dpo_prompts: int = 512
    """DPO: prompts sampled from the model to build preference pairs (first N of the shuffled prompt set)."""
    dpo_samples: int = 8
    """DPO: completions sampled per prompt (k); a prompt with a right and a wrong one yields a pair."""
    dpo_pairs_per_prompt: int = 1
    """DPO: most pairs per prompt (right/wrong completions matched in sampling order)."""
    dpo_temperature: float = 1.0
    """DPO: sampling temperature of the completions."""
    dpo_max_new_tokens: int = 48
    """DPO: longest sampled completion."""
    dpo_sampling_share: float = 0.5
    """DPO: sampling stops early (with the pairs found so far) once it has used this share of the budget."""

    def __post_init__(self) -> None:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValueError(msg)

        need(self.method in METHODS, f"method={self.method!r}: use one of {METHODS}")
        from hero.data.training import check_source

        check_source(self.world, self.data, self.images)
        if self.out:
            check_out_folder(self.out)
        if self.method != "dpo":
            from hero.rewards.registry import check_spec

            check_spec(self.reward, nli_model=self.nli_model)
        need(self.budget_min > 0, f"budget_min={self.budget_min}: must be > 0 minutes")
        for name in ("max_steps", "max_images", "threads"):
            need(getattr(self, name) >= 0, f"{name}={getattr(self, name)}: must be ≥ 0 (0 = "
                                           f"{'torch default' if name == 'threads' else 'no limit'})")
        need(self.questions_per_image >= 1, f"questions_per_image={self.questions_per_image} must be ≥ 1")
        try:
            self.degrade = [canonical(d) for d in ([self.degrade] if isinstance(self.degrade, str) else self.degrade)]
            merge_specs(self.sigmas, self.degrade)
        except ValueError as e:
            need(False, f"sigmas={self.sigmas} / degrade={self.degrade}: {e}")
        need(self.lora_r >= 1 and self.lora_alpha > 0, "lora_r must be ≥ 1 and lora_alpha > 0")
        need(self.dpo_prompts >= 1 and self.dpo_samples >= 2 and self.dpo_pairs_per_prompt >= 1,
             "dpo_prompts ≥ 1, dpo_samples ≥ 2 (a pair needs two completions) and dpo_pairs_per_prompt ≥ 1")
        need(self.dpo_temperature > 0, f"dpo_temperature={self.dpo_temperature} must be > 0 (sampling)")
        need(0 < self.dpo_sampling_share <= 1, f"dpo_sampling_share={self.dpo_sampling_share} must be in (0, 1]")


@dataclass
class TrainerFlags:
    """Flags for the most used fields of the trainer's config (HeroConfig / GRPOConfig / DPOConfig); every other
    trainer field is set with `--set key=value` or in the YAML file. None = the run's default (`trainer_defaults`)
    or the trainer config's own."""

    learning_rate: float | None = field(default=None, metadata={"flag": "--lr"})
    """Learning rate (constant schedule by default)."""
    per_device_train_batch_size: int | None = field(default=None, metadata={"flag": "--batch-size"})
    """Completions (GRPO, HERO) or pairs (DPO) per device per step."""
    beta: float | None = None
    """KL weight β (HERO: β_0, then moved by the balancer; DPO: the DPO β)."""
    num_generations: int | None = None
    """Completions per prompt (group size G)."""
    max_completion_length: int | None = None
    """Longest sampled completion in tokens."""
    save_steps: int | None = None
    """Checkpoint every N optimizer steps."""
    weight_mode: str | None = None
    """HERO's entropy weight: a name from the weight registry (hero.rl.weights; built in: none, softmax,
    neg_exp)."""
    gate: bool | None = None
    """The variance gate on/off: drop the prompt groups with zero reward variance (hero: on by default; grpo: off
    by default, on gives DAPO's dynamic-sampling filter, the same groups as HERO's gate)."""
    balancer: str | None = None
    """HERO's KL balancer: adaptive, pid or fixed."""
    bf16: bool | None = None
    """bf16 mixed precision (a CUDA GPU with bf16, or a CPU with native bf16 kernels; default off = fp32)."""
    gradient_checkpointing: bool | None = None
    """Recompute activations in the backward pass to save memory (transformers' activation_checkpointing)."""
    vllm: str | None = field(default=None, metadata={"flag": "--use-vllm"})
    """Generate with vLLM (grpo/hero; CUDA + `pip install hero-vlm[vllm]`): colocate (inside each training
    process) or server (a `trl vllm-serve` process); off = transformers' generate. Sets TRL's use_vllm and
    vllm_mode. Not yet verified on a GPU (docs/gpu.md)."""
    vllm_server_host: str | None = None
    """--use-vllm server: host of the `trl vllm-serve` process."""
    vllm_server_port: int | None = None
    """--use-vllm server: port of the `trl vllm-serve` process."""
    vllm_gpu_memory_utilization: float | None = None
    """--use-vllm colocate: share of each GPU's memory vLLM may take (TRL's default 0.3)."""

    def __post_init__(self) -> None:
        for key, (ok, rule) in TRAINER_RULES.items():
            value = getattr(self, key)
            if value is not None and not ok(value):
                raise ValueError(f"{key}={value!r} {rule}")


TRAINER_RULES = {
    "learning_rate": (lambda v: v > 0, "must be > 0 (e.g. 1e-4)"),  # NaN fails too
    "per_device_train_batch_size": (lambda v: v >= 1, "must be ≥ 1"),
    "beta": (lambda v: v >= 0, "must be ≥ 0 (0 = no KL term)"),
    "num_generations": (lambda v: v >= 2, "must be ≥ 2 (GRPO compares the completions of a prompt)"),
    "max_completion_length": (lambda v: v >= 1, "must be ≥ 1"),
    "save_steps": (lambda v: v >= 1, "must be ≥ 1"),
    "vllm_server_port": (lambda v: 1 <= v <= 65535, "must be a port number in 1..65535"),
    "vllm_gpu_memory_utilization": (lambda v: 0 < v <= 1, "must be in (0, 1] (a share of the GPU's memory)"),
}
"""Range checks of the trainer fields that have flags (TrainerFlags), run on flags, YAML and --set alike, before
anything loads; the trainer configs check the rest when they are built."""


HERO_ONLY_FLAGS = ("weight_mode", "balancer")
GRPO_ONLY_FLAGS = ("num_generations", "max_completion_length", "vllm", "vllm_server_host", "vllm_server_port",
                   "vllm_gpu_memory_utilization")
SHORTCUTS = {"vllm": vllm_settings}
"""Flags that set several trainer fields: key → function turning the value into {field: value}."""
RUN_NOT_IDENTITY = ("method", "model", "world", "data", "images", "allow_outside_images", "out", "budget_min",
                    "max_steps", "resume", "threads", "progress", "dpo_sampling_share", "load_in_4bit")
"""RLRunConfig fields left out of the run identity (hero.runid): stored apart (method, model, world / data and
images, out), budget-like or machine choices (load_in_4bit), free to change on --resume."""
TRAINER_NOT_IDENTITY = (
    "output_dir", "logging", "log_", "run_name", "project", "report_to", "disable_tqdm", "max_steps",
    "num_train_epochs", "seed", "data_seed", "resume_from_checkpoint", "save_", "eval_", "per_device_eval", "do_",
    "dataloader_", "use_cpu", "bf16", "fp16", "tf32", "ddp_", "local_rank", "fsdp", "deepspeed", "ds3_",
    "accelerator_config", "parallelism_config", "activation_checkpointing", "gradient_checkpointing", "torch_",
    "skip_memory_metrics", "include_num_input_tokens_seen", "push_to_hub", "hub_", "trackio_", "vllm_", "use_vllm",
    "use_liger", "liger_", "use_transformers_", "num_completions_to_print")
"""Name prefixes of trainer-config fields left out of the run identity: logging, saving, device, precision,
memory and backend choices (and the seed and step limit, which the run sets) may change on --resume."""
DPO_ONLY_FIELDS = ("dpo_prompts", "dpo_samples", "dpo_pairs_per_prompt", "dpo_temperature", "dpo_max_new_tokens",
                   "dpo_sampling_share")


def trainer_defaults(method: str, cuda: bool, world_size: int = 1) -> dict:
    """The run's defaults for trainer fields (CPU-safe; small batches; constant learning rate for a time budget;
    gloo for several CPU processes)."""
    common = dict(bf16=False, fp16=False, gradient_checkpointing=False, use_cpu=not cuda, logging_steps=1,
                  save_strategy="steps", save_steps=50, save_total_limit=2, report_to=["tensorboard"],
                  learning_rate=1e-4, lr_scheduler_type="constant", warmup_steps=0, dataloader_num_workers=0,
                  max_grad_norm=1.0, **({} if cuda or world_size < 2 else {"ddp_backend": "gloo"}))
    if method == "dpo":
        return {**common, "per_device_train_batch_size": 8, "max_length": None}
    return {**common, "per_device_train_batch_size": 32, "num_generations": 8, "max_completion_length": 48}


def grpo_controls() -> tuple[str, ...]:
    """HeroConfig fields grpo accepts too (`hero.rl.hero_config.GRPO_CONTROLS`: the gate, hard negatives)."""
    from hero.rl.hero_config import GRPO_CONTROLS

    return GRPO_CONTROLS


def config_class(method: str):
    """The trainer config dataclass of a method."""
    if method == "hero":
        from hero.rl.hero_config import HeroConfig

        return HeroConfig
    if method == "grpo":
        from trl import GRPOConfig

        return GRPOConfig
    if method == "dpo":
        from trl import DPOConfig

        return DPOConfig
    raise ValueError(f"method={method!r}: use one of {METHODS}")


def field_types(cls) -> dict[str, object]:
    """{field name: resolved type} of a dataclass (init fields only)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints.get(f.name, object) for f in dataclasses.fields(cls) if f.init}


def expand_shortcuts(settings: dict[str, tuple[object, str]], method: str) -> dict[str, tuple[object, str]]:
    """Settings with each SHORTCUTS key replaced by the trainer fields it stands for, under the same source;
    ValueError naming the source for a bad value or a method without those fields (dpo has no vLLM)."""
    out = {}
    for key, (value, source) in settings.items():
        if key not in SHORTCUTS:
            out[key] = (value, source)
            continue
        if method == "dpo":
            raise ValueError(f"{source}: {key} applies to grpo / hero (DPO samples its pairs before training)")
        try:
            fields = SHORTCUTS[key](value)
        except ValueError as e:
            raise ValueError(f"{source}: {e}") from None
        out.update({k: (v, source) for k, v in fields.items()})
    return out


def resolve(method: str, settings: dict[str, tuple[object, str]]) -> tuple[dict, dict]:
    """Split {key: (value, source)} into (run fields, trainer fields) for `method`, each value coerced to its field's
    type. Unknown keys, reserved keys and HERO fields given to grpo/dpo are errors naming the source and the fix."""
    run_types = field_types(RLRunConfig)
    cls = config_class(method)
    trainer_types = field_types(cls)
    hero_types = field_types(config_class("hero"))
    if method == "grpo":  # the fair controls: grpo gates and penalises like HERO when asked
        trainer_types = {**trainer_types, **{k: hero_types[k] for k in grpo_controls()}}
    hero_only = set(hero_types) - set(field_types(config_class("grpo"))) - set(trainer_types)
    run, trainer = {}, {}
    for key, (value, source) in expand_shortcuts(settings, method).items():
        if key == "method":
            raise ValueError(f"{source}: method cannot be set; it is the command (`hero train grpo|hero|dpo`)")
        if key in RESERVED:
            raise ValueError(f"{source}: {key} cannot be set ({RESERVED[key]})")
        if key in run_types:
            target, tp = run, run_types[key]
        elif key in trainer_types:
            target, tp = trainer, trainer_types[key]
        elif key in hero_only:
            raise ValueError(f"{source}: {key} is a HERO mechanism field; `{method}` has none. For ablations use "
                             f"`hero train hero --set {key}=...` (weight_mode=none, gate=false, balancer=fixed)"
                             + ("; grpo takes only " + ", ".join(grpo_controls()) if method == "grpo" else ""))
        else:
            close = difflib.get_close_matches(key, list(run_types) + list(trainer_types), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{source}: unknown field {key!r} for `hero train {method}`{hint}; fields are those of "
                             f"RLRunConfig and {cls.__name__}")
        try:
            target[key] = coerce(value, tp)
            if key in TRAINER_RULES:
                TrainerFlags(**{key: target[key]})
        except TypeError as e:
            raise ValueError(f"{source}: field {key!r}: {e}") from None
        except ValueError as e:
            raise ValueError(f"{source}: {e}") from None
    return run, trainer
