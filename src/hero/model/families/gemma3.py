"""Gemma 3: SigLIP tower, average-pooling projector to mm_tokens_per_image soft tokens, Gemma3 decoder (sliding and
global attention layers; bidirectional attention inside an image through token_type_ids). Turns
<start_of_turn>user … <end_of_turn>; the processor expands each <start_of_image> into
<start_of_image> <image_soft_token>×N <end_of_image>. Image processor: `Gemma3ImageProcessorPil` (no pan-and-scan)."""

from __future__ import annotations

from hero.model.families.base import FAMILIES, Family

BOI, IMG, EOI = "<start_of_image>", "<image_soft_token>", "<end_of_image>"
SPECIAL = ["<pad>", "<unk>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", BOI, IMG, EOI]
# Gemma 3's template: a system message is folded into the first user turn; the assistant's role is 'model'.
TEMPLATE = (
    "{{ bos_token }}{% set ns = namespace(system='') %}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{% set ns.system = (message['content'] if message['content'] is string "
    "else message['content'][0]['text']) + '\n\n' %}{% else %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}<start_of_turn>{{ role }}\n"
    "{% if role == 'user' %}{{ ns.system }}{% set ns.system = '' %}{% endif %}"
    "{% if message['content'] is string %}{{ message['content'] | trim }}{% else %}"
    "{% for item in message['content'] %}{% if item['type'] == 'image' %}<start_of_image>"
    "{% elif item['type'] == 'text' %}{{ item['text'] | trim }}{% endif %}{% endfor %}{% endif %}"
    "<end_of_turn>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
WORDS = ("user", "model")


def _tokens_per_image(p, image_size: int) -> int:
    return (image_size // p.patch_size) ** 2  # pooling kernel 1: one soft token per patch


def _processor(words, image_size: int, preset):
    from transformers import Gemma3ImageProcessorPil, Gemma3Processor

    from hero.model.tokenizer import build_tokenizer

    tok = build_tokenizer(list(WORDS) + list(words), SPECIAL, pad="<pad>", eos="<end_of_turn>", bos="<bos>",
                          chat_template=TEMPLATE, named={"boi_token": BOI, "image_token": IMG, "eoi_token": EOI})
    ip = Gemma3ImageProcessorPil(size={"height": image_size, "width": image_size}, image_mean=[0.5] * 3,
                                 image_std=[0.5] * 3, do_pan_and_scan=False)
    return Gemma3Processor(image_processor=ip, tokenizer=tok, chat_template=TEMPLATE,
                           image_seq_length=_tokens_per_image(preset, image_size))


def _config(p, image_size: int, tok):
    from transformers import Gemma3Config

    head_dim = p.text_hidden // p.text_heads
    text = dict(vocab_size=len(tok), hidden_size=p.text_hidden, intermediate_size=p.mlp_ratio * p.text_hidden,
                num_hidden_layers=p.text_layers, num_attention_heads=p.text_heads, num_key_value_heads=p.text_heads,
                head_dim=head_dim, query_pre_attn_scalar=head_dim, sliding_window=p.max_positions,
                max_position_embeddings=p.max_positions, initializer_range=p.init_std,
                pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id)
    vision = dict(model_type="siglip_vision_model", image_size=image_size, patch_size=p.patch_size,
                  hidden_size=p.vision_hidden, intermediate_size=p.mlp_ratio * p.vision_hidden,
                  num_hidden_layers=p.vision_layers, num_attention_heads=p.vision_heads)
    return Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=_tokens_per_image(p, image_size),
                        boi_token_index=tok.convert_tokens_to_ids(BOI), eoi_token_index=tok.convert_tokens_to_ids(EOI),
                        image_token_index=tok.convert_tokens_to_ids(IMG), initializer_range=p.init_std,
                        tie_word_embeddings=True)


FAMILIES.register("gemma3")(Family(_processor, _config, "Gemma3ForConditionalGeneration", WORDS))
