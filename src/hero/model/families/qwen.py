"""Qwen2-VL and Qwen2.5-VL: ViT with 2×2 patch merging (any image size → a grid, `image_grid_thw`), Qwen2 decoder
with multimodal RoPE, ChatML turns (<|im_start|>role … <|im_end|>) and <|vision_start|><|image_pad|><|vision_end|>
per image. Image processor: `Qwen2VLImageProcessorPil` with min_pixels = max_pixels = image_size², so every world
image becomes one (image_size / patch)² grid and (image_size / patch / 2)² image tokens."""

from __future__ import annotations

from hero.model.families.base import FAMILIES, Family

SPECIAL = ["<|endoftext|>", "<unk>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
           "<|image_pad|>", "<|video_pad|>"]
# The Qwen2-VL / Qwen2.5-VL chat template (system prompt by default; images and text in the order given).
TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'text' %}{{ content['text'] }}"
    "{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
WORDS = ("system", "user", "assistant", "You", "are", "a", "helpful", ".")
MERGE = 2


def _processor_class(name: str):
    def build(words, image_size: int, preset):
        import transformers
        from transformers import Qwen2VLImageProcessorPil

        from hero.model.compat import allow_missing_video_processor
        from hero.model.tokenizer import build_tokenizer

        allow_missing_video_processor()

        tok = build_tokenizer(list(WORDS) + list(words), SPECIAL, pad="<|endoftext|>", eos="<|im_end|>",
                              chat_template=TEMPLATE)
        pixels = image_size * image_size
        ip = Qwen2VLImageProcessorPil(patch_size=preset.patch_size, merge_size=MERGE, temporal_patch_size=2,
                                      min_pixels=pixels, max_pixels=pixels,
                                      size={"shortest_edge": pixels, "longest_edge": pixels})
        return getattr(transformers, name)(image_processor=ip, tokenizer=tok, chat_template=TEMPLATE)

    return build


def _text_kwargs(p, tok) -> dict:
    head_dim = p.text_hidden // p.text_heads
    quarter = head_dim // 2 // 4  # mrope sections (temporal, height, width) sum to head_dim / 2
    return dict(vocab_size=len(tok), hidden_size=p.text_hidden, intermediate_size=p.mlp_ratio * p.text_hidden,
                num_hidden_layers=p.text_layers, num_attention_heads=p.text_heads, num_key_value_heads=p.text_heads,
                max_position_embeddings=p.max_positions, initializer_range=p.init_std,
                rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                 "mrope_section": [head_dim // 2 - 2 * quarter, quarter, quarter]},
                bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)


def _ids(tok) -> dict:
    return dict(image_token_id=tok.convert_tokens_to_ids("<|image_pad|>"),
                video_token_id=tok.convert_tokens_to_ids("<|video_pad|>"),
                vision_start_token_id=tok.convert_tokens_to_ids("<|vision_start|>"),
                vision_end_token_id=tok.convert_tokens_to_ids("<|vision_end|>"))


def _qwen2_5_config(p, image_size: int, tok):
    from transformers import Qwen2_5_VLConfig

    vision = dict(depth=p.vision_layers, hidden_size=p.vision_hidden, intermediate_size=p.mlp_ratio * p.vision_hidden,
                  num_heads=p.vision_heads, patch_size=p.patch_size, spatial_merge_size=MERGE, temporal_patch_size=2,
                  window_size=image_size, out_hidden_size=p.text_hidden, fullatt_block_indexes=[p.vision_layers - 1],
                  initializer_range=p.init_std)
    return Qwen2_5_VLConfig(text_config=_text_kwargs(p, tok), vision_config=vision, tie_word_embeddings=True,
                            **_ids(tok))


def _qwen2_config(p, image_size: int, tok):
    from transformers import Qwen2VLConfig

    vision = dict(depth=p.vision_layers, embed_dim=p.vision_hidden, hidden_size=p.text_hidden,
                  mlp_ratio=p.mlp_ratio, num_heads=p.vision_heads, patch_size=p.patch_size,
                  spatial_merge_size=MERGE, temporal_patch_size=2, initializer_range=p.init_std)
    return Qwen2VLConfig(text_config=_text_kwargs(p, tok), vision_config=vision, tie_word_embeddings=True, **_ids(tok))


FAMILIES.register("qwen2_vl")(Family(_processor_class("Qwen2VLProcessor"), _qwen2_config,
                                     "Qwen2VLForConditionalGeneration", WORDS))
FAMILIES.register("qwen2_5_vl")(Family(_processor_class("Qwen2_5_VLProcessor"), _qwen2_5_config,
                                       "Qwen2_5_VLForConditionalGeneration", WORDS))
