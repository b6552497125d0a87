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
