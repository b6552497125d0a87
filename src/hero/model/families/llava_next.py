"""LLaVA-NeXT (LLaVA-1.6): LLaVA with any-resolution tiling — the image is resized to its best grid pinpoint and cut
into tiles, each tile and a downscaled base image go through the tower, and an `image_newline` embedding ends each
row of tile features. Tiny build: SigLIP tower ("full" features, no CLS), one pinpoint equal to the world's image
size (so a picture = base image + 1 tile), Llama decoder, the Mistral-style template of llava-v1.6-mistral
("[INST] <image>\\n… [/INST]"). Image processor: `LlavaNextImageProcessorPil`."""

from __future__ import annotations

from hero.model.families.base import FAMILIES, Family

SPECIAL = ["<pad>", "<unk>", "<s>", "</s>", "[INST]", "[/INST]", "<image>"]
TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' or message['role'] == 'system' %}[INST] "
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for item in message['content'] %}{% if item['type'] == 'image' %}<image>\n"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}{% endif %} [/INST]"
    "{% else %} {% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for item in message['content'] %}{% if item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}"
    "{% endif %}</s>{% endif %}{% endfor %}"
)


def _processor(words, image_size: int, preset):
    from transformers import LlavaNextImageProcessorPil, LlavaNextProcessor

    from hero.model.tokenizer import build_tokenizer

    tok = build_tokenizer(list(words), SPECIAL, pad="<pad>", eos="</s>", chat_template=TEMPLATE)
    ip = LlavaNextImageProcessorPil(size={"shortest_edge": image_size}, crop_size={"height": image_size,
                                    "width": image_size}, image_grid_pinpoints=[[image_size, image_size]],
                                    image_mean=[0.5] * 3, image_std=[0.5] * 3)
    return LlavaNextProcessor(image_processor=ip, tokenizer=tok, patch_size=preset.patch_size,
                              vision_feature_select_strategy="full", chat_template=TEMPLATE, image_token="<image>",
                              num_additional_image_tokens=0)


def _config(p, image_size: int, tok):
    from transformers import LlavaNextConfig

    text = dict(model_type="llama", vocab_size=len(tok), hidden_size=p.text_hidden,
                intermediate_size=p.mlp_ratio * p.text_hidden, num_hidden_layers=p.text_layers,
                num_attention_heads=p.text_heads, num_key_value_heads=p.text_heads,
                max_position_embeddings=p.max_positions, initializer_range=p.init_std,
                pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None)
    vision = dict(model_type="siglip_vision_model", image_size=image_size, patch_size=p.patch_size,
                  hidden_size=p.vision_hidden, intermediate_size=p.mlp_ratio * p.vision_hidden,
                  num_hidden_layers=p.vision_layers, num_attention_heads=p.vision_heads,
                  initializer_range=p.init_std)
    return LlavaNextConfig(vision_config=vision, text_config=text,
                           image_token_index=tok.convert_tokens_to_ids("<image>"),
                           vision_feature_select_strategy="full", vision_feature_layer=-1,
                           image_grid_pinpoints=[[image_size, image_size]], tie_word_embeddings=True)


FAMILIES.register("llava_next")(Family(_processor, _config, "LlavaNextForConditionalGeneration"))
