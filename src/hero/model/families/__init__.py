"""Model families of `hero model init --arch NAME`: each module registers one `Family` in FAMILIES by name.

A family builds, from HERO's presets (`hero.model.presets.ModelPreset`) and a world's words, the real Hugging Face
config class of that architecture with tiny sizes (random init), its own processor class on the PIL image backend
(torchvision is never needed) and a word-level tokenizer (`hero.model.tokenizer.build_tokenizer`) that carries the
family's special tokens and a chat template in the family's real turn format. The saved folder reloads with
AutoProcessor / AutoModelForImageTextToText. Adding a family = one module that calls `FAMILIES.register`.
"""

from __future__ import annotations

from hero.model.families.base import FAMILIES, Family, not_built  # noqa: F401 (the registry and its parts)

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
