"""LLaVA-NeXT (LLaVA-1.6): LLaVA with any-resolution tiling — the image is resized to its best grid pinpoint and cut
into tiles, each tile and a downscaled base image go through the tower, and an `image_newline` embedding ends each
row of tile features. Tiny build: SigLIP tower ("full" features, no CLS), one pinpoint equal to the world's image
size (so a picture = base image + 1 tile), Llama decoder, the Mistral-style template of llava-v1.6-mistral
("[INST] <image>\\n… [/INST]"). Image processor: `LlavaNextImageProcessorPil`."""

from __future__ import annotations

from hero.model.families.base import FAMILIES, Family, llama_text, vision_tower

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

    text = llama_text(p, tok)
    vision = vision_tower(p, image_size, model_type="siglip_vision_model")
    return LlavaNextConfig(vision_config=vision, text_config=text,
                           image_token_index=tok.convert_tokens_to_ids("<image>"),
                           vision_feature_select_strategy="full", vision_feature_layer=-1,
                           image_grid_pinpoints=[[image_size, image_size]], tie_word_embeddings=True)


FAMILIES.register("llava_next")(Family(_processor, _config, "LlavaNextForConditionalGeneration"))
