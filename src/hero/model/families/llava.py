"""LLaVA (`LlavaForConditionalGeneration`): HERO's original tiny model — SigLIP tower ("full" features, no CLS),
2-layer MLP projector, Llama decoder, HERO's word-level tokenizer and chat template (`hero.model.tokenizer`)."""

from __future__ import annotations

from hero.model.families.base import FAMILIES, Family
from hero.model.presets import ModelPreset, check_preset
from hero.model.tokenizer import IMAGE, build_tokenizer


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


def _processor(words, image_size: int, preset):
    return build_processor(words, image_size, preset.patch_size)


def _config(preset, image_size: int, tok):
    ids = {"pad": tok.pad_token_id, "eos": tok.eos_token_id, "image": tok.convert_tokens_to_ids(IMAGE)}
    return build_config(preset, image_size, len(tok), ids)


FAMILIES.register("llava")(Family(_processor, _config, "LlavaForConditionalGeneration"))
