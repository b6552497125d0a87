"""The model-family registry (`hero.model.families`): what a family is, and the registry families join."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hero.registry import Registry


@dataclass(frozen=True)
class Family:
    """How to build one architecture. `processor(words, image_size, preset)` → processor (its tokenizer included);
    `config(preset, image_size, tokenizer)` → the model config; `model_class`: the transformers class name."""

    processor: Callable
    config: Callable
    model_class: str
    template_words: tuple[str, ...] = ()
    """Words the chat template spells (role names, default system prompt); the family's processor adds them to
    the vocabulary."""
    unavailable: str = ""
    """Why `hero model init` cannot build this family yet (empty when it can); see docs/model-families.md."""


def not_built(reason: str) -> Family:
    """A registered family name that `hero model init --arch` refuses with `reason` (listed, never skipped)."""
    return Family(None, None, "", unavailable=reason)


FAMILIES = Registry("model family")


def llama_text(p, tok) -> dict:
    """The Llama decoder sub-config of a preset (`hero.model.presets.ModelPreset`) for a family whose language
    model is Llama (llava_next, idefics3), as a dict for the family's config class."""
    return dict(model_type="llama", vocab_size=len(tok), hidden_size=p.text_hidden,
                intermediate_size=p.mlp_ratio * p.text_hidden, num_hidden_layers=p.text_layers,
                num_attention_heads=p.text_heads, num_key_value_heads=p.text_heads,
                max_position_embeddings=p.max_positions, initializer_range=p.init_std,
                pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None)


def vision_tower(p, image_size: int, **extra) -> dict:
    """The SigLIP-style vision sub-config of a preset (image size, patch, widths, depth, heads, init)."""
    return dict(image_size=image_size, patch_size=p.patch_size, hidden_size=p.vision_hidden,
                intermediate_size=p.mlp_ratio * p.vision_hidden, num_hidden_layers=p.vision_layers,
                num_attention_heads=p.vision_heads, initializer_range=p.init_std, **extra)
