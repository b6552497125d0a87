"""Build HERO's tiny VLMs from configs with random weights (`hero model init`).

Default family: LLaVA (`LlavaForConditionalGeneration` = SigLIP vision tower + 2-layer MLP projector + Llama
decoder; `hero.model.families.llava`). Why LLaVA by default: on this CPU-only stack it is the most robust choice —
- its processor runs without torchvision, using `SiglipImageProcessorPil` (Qwen2-VL's processor needs a shim for
  its torchvision-only video processor: `hero.model.compat`);
- every image becomes a fixed number of `<image>` tokens ((image_size / patch)², no CLS with SigLIP and the
  "full" feature strategy), so batches pad like text and `pixel_values` is a plain (B, 3, H, W) tensor that TRL's
  SFTTrainer and GRPOTrainer pass through unchanged (no per-image grids to split);
- `AutoProcessor` / `AutoModelForImageTextToText` load the saved folder with no custom code.
Other families (`--arch`, `hero.model.families`): llava_next, qwen2_vl, qwen2_5_vl, idefics3, gemma3.
The patch size is chosen to match the world's object scale (objects are 14–20 px; see PRESETS).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from hero.model.families.llava import build_config, build_processor  # noqa: F401 (re-export)
from hero.model.presets import PRESETS, ModelPreset, check_preset, num_image_tokens  # noqa: F401 (re-export)


def build_model(preset: str | ModelPreset, colours, shapes, image_size: int, seed: int = 0, arch: str = "llava"):
    """Random-init (model, processor) of family `arch` (`hero.model.families`) for a world with these colours,
    shapes and image size."""
    import torch
    import transformers
    from transformers import GenerationConfig

    from hero.model.families import get_family
    from hero.world.text import vocabulary

    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
        preset = PRESETS[preset]
    check_preset(preset, image_size)
    family = get_family(arch)
    processor = family.processor(vocabulary(colours, shapes), image_size, preset)
    tok = processor.tokenizer
    config = family.config(preset, image_size, tok)
    torch.manual_seed(seed)
    model = getattr(transformers, family.model_class)(config)
    # One scheme for every tower: N(0, init_std) for each Linear / Conv / Embedding, LayerNorms at (1, 0). (SigLIP's
    # own init is xavier/lecun; the uniform, larger init left the chance plateau sooner in our runs.)
    model.apply(model._init_weights)
    model.generation_config = GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                               bos_token_id=None, max_new_tokens=48, do_sample=False)
    model.config.hero_preset = asdict(preset)
    return model, processor


def save(model, processor, out_dir) -> None:
    """Write a folder that AutoProcessor / AutoModelForImageTextToText load with no custom code."""
    from hero.model.compat import saving_present_parts

    model.save_pretrained(out_dir)
    with saving_present_parts(processor):
        processor.save_pretrained(out_dir)


@dataclass
class ModelInitConfig:
    """`hero model init`: a random-init VLM sized for a world."""

    out: str
    """Folder to write the model, processor and chat template into."""
    world: str
    """World folder (world.json) whose words and image size to use."""
    preset: str = "tiny"
    """tiny (≈0.5 M parameters) or small (a few times larger)."""
    seed: int = 0
    """Seed of the random initialisation."""
    arch: str = "llava"
    """Model family (`hero.model.families`): llava (HERO's own layout), llava_next, qwen2_vl, qwen2_5_vl, idefics3 or
    gemma3 — the family's real config class with tiny sizes, its own processor and chat template. See
    docs/model-families.md for what works with each."""

    def __post_init__(self) -> None:
        from hero.model.families import FAMILIES

        if self.preset not in PRESETS:
            raise ValueError(f"--preset {self.preset!r}: choose from {sorted(PRESETS)}")
        if self.arch not in FAMILIES:
            raise ValueError(f"--arch {self.arch!r}: choose from {', '.join(FAMILIES.names())}")


def init_model(cfg: ModelInitConfig):
    """Build and save the model of `cfg` into a new folder (written beside it, renamed into place when complete);
    returns (model, processor). A non-empty --out is refused before anything is built."""
    from hero.io import InputError, staged_folder
    from hero.world import load_world

    out = Path(cfg.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} is not empty; `hero model init` writes a new model folder — use a new --out "
                         f"folder, or delete {out}")
    world, _ = load_world(Path(cfg.world))
    model, processor = build_model(cfg.preset, world.colours, world.shapes, world.image_size, seed=cfg.seed,
                                   arch=cfg.arch)
    with staged_folder(out) as tmp:
        save(model, processor, tmp)
    return model, processor
