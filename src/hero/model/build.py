"""Build HERO's tiny VLMs from configs with random weights (`hero model init`).

Family: LLaVA (`LlavaForConditionalGeneration` = SigLIP vision tower + 2-layer MLP projector + Llama decoder).
Why LLaVA rather than Qwen2-VL: on this CPU-only stack it is the most robust choice —
- it builds and its processor runs without torchvision (Qwen2-VL's image processor needs torchvision, which does
  not install beside the local CPU torch), using `SiglipImageProcessorPil`;
- every image becomes a fixed number of `<image>` tokens ((image_size / patch)², no CLS with SigLIP and the
  "full" feature strategy), so batches pad like text and `pixel_values` is a plain (B, 3, H, W) tensor that TRL's
  SFTTrainer and GRPOTrainer pass through unchanged (no per-image grids to split);
- `AutoProcessor` / `AutoModelForImageTextToText` load the saved folder with no custom code.
The patch size is chosen to match the world's object scale (objects are 14–20 px; see PRESETS).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from hero.model.tokenizer import IMAGE, build_tokenizer


@dataclass(frozen=True)
class ModelPreset:
    """Sizes of one preset. Widths must be divisible by their head counts."""

    patch_size: int
    """Vision patch side in pixels; image_size must be a multiple of it."""
    vision_hidden: int
    """SigLIP hidden width."""
    vision_layers: int
    """SigLIP encoder layers."""
    vision_heads: int
    """SigLIP attention heads."""
    text_hidden: int
    """Llama hidden width (also the projector's output width)."""
    text_layers: int
    """Llama decoder layers."""
    text_heads: int
    """Llama attention heads."""
    mlp_ratio: int = 2
    """Feed-forward width as a multiple of the hidden width (vision and text)."""
    max_positions: int = 512
    """Longest sequence (text + image tokens) the decoder accepts."""
    init_std: float = 0.02
    """Standard deviation of the random initialisation (`initializer_range` of every sub-config)."""


# 16 px patches match the world's object scale (14–20 px objects: one object ≈ one to four patches) and keep the
# sequence short (16 image tokens for 64 px); 8 px patches (64 tokens) trained 3× slower per example for no gain
# in 5 minutes. init_std 0.1 (instead of HF's 0.02) with lr 6e-3 left the chance plateau sooner (see
# benchmarks/sft_experiments.md).
PRESETS: dict[str, ModelPreset] = {
    "tiny": ModelPreset(patch_size=16, vision_hidden=64, vision_layers=2, vision_heads=2,
                        text_hidden=128, text_layers=2, text_heads=4, init_std=0.1),
    "small": ModelPreset(patch_size=16, vision_hidden=128, vision_layers=3, vision_heads=4,
                         text_hidden=256, text_layers=4, text_heads=8, init_std=0.1),
    # ≈ 24 M parameters: big enough that the policy's forward/backward dominates an RL step (benchmarks/step_overhead)
    "base": ModelPreset(patch_size=16, vision_hidden=256, vision_layers=4, vision_heads=4,
                        text_hidden=512, text_layers=8, text_heads=8, init_std=0.02),
}


def check_preset(p: ModelPreset, image_size: int) -> None:
    """Raise ValueError with the fix if the preset cannot serve images of `image_size` pixels."""
    if image_size % p.patch_size:
        raise ValueError(f"image_size={image_size} is not a multiple of patch_size={p.patch_size}; pick a patch "
                         "size that divides the world's image size")
    for width, heads, name in ((p.vision_hidden, p.vision_heads, "vision"), (p.text_hidden, p.text_heads, "text")):
        if width % heads:
            raise ValueError(f"{name}_hidden={width} is not divisible by {name}_heads={heads}")


def num_image_tokens(image_size: int, patch_size: int) -> int:
    """Image tokens per image: one per patch, no CLS token (64 px / 8 px → 8² = 64)."""
    return (image_size // patch_size) ** 2


def build_processor(words, image_size: int, patch_size: int):
    """LlavaProcessor = word-level tokenizer + SigLIP PIL image processor (resize to image_size, x/127.5 - 1)."""
    from transformers import LlavaProcessor, SiglipImageProcessorPil

    tokenizer = build_tokenizer(words)
    image_processor = SiglipImageProcessorPil(
        size={"height": image_size, "width": image_size}, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=patch_size,
                          vision_feature_select_strategy="full", chat_template=tokenizer.chat_template,
                          image_token=IMAGE, num_additional_image_tokens=0)


def build_config(p: ModelPreset, image_size: int, vocab_size: int, special_ids: dict[str, int]):
    """LlavaConfig for a preset: SigLIP vision tower, Llama text decoder, tied input/output embeddings."""
    from transformers import LlamaConfig, LlavaConfig, SiglipVisionConfig

    check_preset(p, image_size)
    vision = SiglipVisionConfig(
        image_size=image_size, patch_size=p.patch_size, hidden_size=p.vision_hidden,
        intermediate_size=p.mlp_ratio * p.vision_hidden, num_hidden_layers=p.vision_layers,
        num_attention_heads=p.vision_heads, num_channels=3, initializer_range=p.init_std)
    text = LlamaConfig(
        vocab_size=vocab_size, hidden_size=p.text_hidden, intermediate_size=p.mlp_ratio * p.text_hidden,
        num_hidden_layers=p.text_layers, num_attention_heads=p.text_heads, num_key_value_heads=p.text_heads,
        max_position_embeddings=p.max_positions, tie_word_embeddings=True, pad_token_id=special_ids["pad"],
        bos_token_id=None, eos_token_id=special_ids["eos"], initializer_range=p.init_std)
    return LlavaConfig(vision_config=vision, text_config=text, image_token_id=special_ids["image"],
                       vision_feature_select_strategy="full", vision_feature_layer=-1,
                       projector_hidden_act="gelu", tie_word_embeddings=True, initializer_range=p.init_std)


def build_model(preset: str | ModelPreset, colours, shapes, image_size: int, seed: int = 0):
    """Random-init (model, processor) for a world with these colours, shapes and image size."""
    import torch
    from transformers import GenerationConfig, LlavaForConditionalGeneration

    from hero.world.text import vocabulary

    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
        preset = PRESETS[preset]
    check_preset(preset, image_size)
    processor = build_processor(vocabulary(colours, shapes), image_size, preset.patch_size)
    tok = processor.tokenizer
    ids = {"pad": tok.pad_token_id, "eos": tok.eos_token_id, "image": tok.convert_tokens_to_ids(IMAGE)}
    config = build_config(preset, image_size, len(tok), ids)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config)
    # One scheme for every tower: N(0, init_std) for each Linear / Conv / Embedding, LayerNorms at (1, 0). (SigLIP's
    # own init is xavier/lecun; the uniform, larger init left the chance plateau sooner in our runs.)
    model.apply(model._init_weights)
    model.generation_config = GenerationConfig(eos_token_id=ids["eos"], pad_token_id=ids["pad"],
                                               bos_token_id=None, max_new_tokens=48, do_sample=False)
    model.config.hero_preset = asdict(preset)
    return model, processor


def save(model, processor, out_dir) -> None:
    """Write a folder that AutoProcessor / AutoModelForImageTextToText load with no custom code."""
    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)


@dataclass
class ModelInitConfig:
    """`hero model init`: a random-init VLM sized for a world."""

    out: str
    """Folder to write the model, processor and chat template into."""
    world: str
    """World folder (world.json) whose words and image size to use."""
    preset: str = "tiny"
    """tiny (≈0.5 M parameters), small (a few times larger) or base (≈24 M, for timing)."""
    seed: int = 0
    """Seed of the random initialisation."""

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"--preset {self.preset!r}: choose from {sorted(PRESETS)}")


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
    model, processor = build_model(cfg.preset, world.colours, world.shapes, world.image_size, seed=cfg.seed)
    with staged_folder(out) as tmp:
        save(model, processor, tmp)
    return model, processor
