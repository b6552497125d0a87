"""LLaVA (`LlavaForConditionalGeneration`): HERO's original tiny model, built by `hero.model.build` unchanged."""

from __future__ import annotations

from hero.model.families import FAMILIES, Family
from hero.model.tokenizer import IMAGE


def _processor(words, image_size: int, preset):
    from hero.model.build import build_processor

    return build_processor(words, image_size, preset.patch_size)


def _config(preset, image_size: int, tok):
    from hero.model.build import build_config

    ids = {"pad": tok.pad_token_id, "eos": tok.eos_token_id, "image": tok.convert_tokens_to_ids(IMAGE)}
    return build_config(preset, image_size, len(tok), ids)


FAMILIES.register("llava")(Family(_processor, _config, "LlavaForConditionalGeneration"))
