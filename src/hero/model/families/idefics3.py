"""Idefics3 (SmolVLM's layout): SigLIP-style tower, pixel-shuffle connector (scale 2: (image / patch)² / 4 image
tokens), Llama decoder. Turns "User:<image>…<end_of_utterance>\\nAssistant:"; the processor expands each <image>
into <fake_token_around_image><global-img><image>×N<fake_token_around_image>. Image processor:
`Idefics3ImageProcessorPil` without image splitting (one global image per picture)."""

from __future__ import annotations

from hero.model.families.base import FAMILIES, Family, llama_text, vision_tower

SPECIAL = ["<|endoftext|>", "<unk>", "<|im_start|>", "<end_of_utterance>", "<fake_token_around_image>", "<image>",
           "<global-img>"]
SCALE = 2
# Idefics3's template (User / Assistant turns, images in place, ':' glued to an image that opens the turn).
TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'] is string %}: {{ message['content'] }}{% else %}"
    "{% if message['content'][0]['type'] == 'image' %}:{% else %}: {% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}<image>{% endif %}{% endfor %}{% endif %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)
WORDS = ("User", "Assistant", "System", ":")


def _seq_len(p, image_size: int) -> int:
    return (image_size // p.patch_size) ** 2 // (SCALE * SCALE)


def _processor(words, image_size: int, preset):
    from transformers import Idefics3ImageProcessorPil, Idefics3Processor

    from hero.model.tokenizer import build_tokenizer

    tok = build_tokenizer(list(WORDS) + list(words), SPECIAL, pad="<|endoftext|>", eos="<end_of_utterance>",
                          chat_template=TEMPLATE)
    ip = Idefics3ImageProcessorPil(do_image_splitting=False, size={"longest_edge": image_size},
                                   max_image_size={"longest_edge": image_size}, image_mean=[0.5] * 3,
                                   image_std=[0.5] * 3)
    return Idefics3Processor(image_processor=ip, tokenizer=tok, image_seq_len=_seq_len(preset, image_size),
                             chat_template=TEMPLATE)


def _config(p, image_size: int, tok):
    from transformers import Idefics3Config

    text = llama_text(p, tok)
    vision = vision_tower(p, image_size)
    return Idefics3Config(text_config=text, vision_config=vision, scale_factor=SCALE,
                          image_token_id=tok.convert_tokens_to_ids("<image>"), tie_word_embeddings=True,
                          pad_token_id=tok.pad_token_id)


FAMILIES.register("idefics3")(Family(_processor, _config, "Idefics3ForConditionalGeneration", WORDS))
