"""Model families of `hero model init --arch NAME`: each module registers one `Family` in FAMILIES by name.

A family builds, from HERO's presets (`hero.model.build.ModelPreset`) and a world's words, the real Hugging Face
config class of that architecture with tiny sizes (random init), its own processor class on the PIL image backend
(torchvision is never needed) and a word-level tokenizer (`hero.model.tokenizer.build_tokenizer`) that carries the
family's special tokens and a chat template in the family's real turn format. The saved folder reloads with
AutoProcessor / AutoModelForImageTextToText. Adding a family = one module that calls `FAMILIES.register`.
"""

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

# Registration order is the order `--arch` lists them in.
from hero.model.families import llava  # noqa: E402,F401,I001
from hero.model.families import llava_next  # noqa: E402,F401
from hero.model.families import qwen  # noqa: E402,F401
from hero.model.families import idefics3  # noqa: E402,F401
from hero.model.families import gemma3  # noqa: E402,F401


def get_family(name: str) -> Family:
    """The registered family `name` (UnknownName listing the registered ones otherwise); ValueError with the reason
    for a family that is registered but not built yet."""
    family = FAMILIES.get(name)
    if family.unavailable:
        raise ValueError(f"--arch {name}: not available yet — {family.unavailable} (see docs/model-families.md)")
    return family
