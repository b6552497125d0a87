"""Model families of `hero model init --arch` (fast): answer tokens per tokenizer, the families' chat templates,
a forward pass per family with exact shapes, reload with AutoProcessor / AutoModelForImageTextToText."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from hero.model.build import ModelInitConfig, build_model, save
from hero.model.families import FAMILIES, get_family
from hero.scoring.core import resolve_answer_tokens

COLOURS, SHAPES = ["red", "green", "blue"], ["circle", "square"]
BUILT = [n for n in FAMILIES.names() if not FAMILIES.get(n).unavailable]


class HandTokenizer:
    """A tokenizer by hand: `pieces` maps a text to its token strings; ids are vocabulary positions."""

    def __init__(self, vocab: list[str], pieces: dict[str, list[str]], special: tuple[int, ...] = ()):
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.pieces, self.all_special_ids = pieces, list(special)

    def get_vocab(self):
        return dict(self.vocab)

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [self.vocab[p] for p in self.pieces.get(text, ["<unk>"])]}


def test_answer_tokens_collect_vocabulary_variants_and_first_tokens():
    # byte-level BPE: " yes" is 'Ġyes' (id 2), "YES" splits into 'Y' 'ES' (first token 'Y', id 6, not a word),
    # " Yes" into a bare 'Ġ' (id 11, passed over) and 'Yes' (3): the vocabulary scan finds yes/Ġyes/Yes (1, 2, 3),
    # first tokens add 'Y' (6); no: no/Ġno/No (4, 5, 7) + 'N' (8)
    vocab = ["<unk>", "yes", "Ġyes", "Yes", "no", "Ġno", "Y", "No", "N", "ES", "O"]
    pieces = {"yes": ["yes"], " yes": ["Ġyes"], "Yes": ["Yes"], " Yes": ["Ġ", "Yes"], "YES": ["Y", "ES"],
              "no": ["no"], " no": ["Ġno"], "No": ["No"], "NO": ["N", "O"]}
    vocab.append("Ġ")
    tok = HandTokenizer(vocab, pieces, special=(0,))
    assert resolve_answer_tokens(tok) == ([1, 2, 3, 6], [4, 5, 7, 8])


def test_answer_tokens_unknown_spellings_are_left_out():
    tok = HandTokenizer(["<unk>", "yes", "no"], {"yes": ["yes"], "no": ["no"]}, special=(0,))
    assert resolve_answer_tokens(tok) == ([1], [2])


def test_answer_tokens_that_are_not_distinct_are_an_error():
    # every spelling starts with the same piece 'w' (id 1): yes and no cannot be told apart at the first token
    tok = HandTokenizer(["<unk>", "w", "y", "n"], {v: ["w", v.strip()[0].lower()] for v in
                                                  (" yes", " Yes", " no", " No")}, special=(0,))
    with pytest.raises(ValueError, match=r"no distinct single first token .* shared \[1\]"):
        resolve_answer_tokens(tok)


def test_llava_tokenizer_keeps_its_answer_ids():
    _, processor = build_model("tiny", COLOURS, SHAPES, 32, seed=0)
    vocab = processor.tokenizer.get_vocab()
    assert resolve_answer_tokens(processor.tokenizer) == (sorted([vocab["yes"], vocab["Yes"]]),
                                                          sorted([vocab["no"], vocab["No"]]))


@pytest.fixture(scope="module")
def qwen():
    return build_model("tiny", COLOURS, SHAPES, 64, seed=0, arch="qwen2_5_vl")


def test_qwen_template_renders_string_and_parts_content(qwen):
    _, processor = qwen
    parts = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "is there a red circle ?"}]}]
    assert processor.apply_chat_template(parts, add_generation_prompt=True) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
        "<|vision_start|><|image_pad|><|vision_end|>is there a red circle ?<|im_end|>\n<|im_start|>assistant\n")
    plain = [{"role": "system", "content": "red"}, {"role": "user", "content": "blue"},
             {"role": "assistant", "content": "yes"}]
    assert processor.apply_chat_template(plain) == (
        "<|im_start|>system\nred<|im_end|>\n<|im_start|>user\nblue<|im_end|>\n<|im_start|>assistant\nyes<|im_end|>\n")


def _encode(processor, size: int, n: int = 2):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)) for _ in range(n)]
    msg = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "is there a red circle ?"}]}]
    text = processor.apply_chat_template(msg, add_generation_prompt=True)
    return processor(text=[text] * n, images=[[im] for im in images], padding=True, return_tensors="pt")


def test_qwen2_5_vl_forward_shapes(qwen):
    model, processor = qwen
    enc = _encode(processor, 64)
    # 64 px / 16 px patches = a 4×4 grid (t = 1); a patch row is 3 channels × 2 frames × 16 × 16 = 1536 values;
    # the 2×2 merge leaves 4 <|image_pad|> tokens per image. 26 tokens = 9 system turn (<|im_start|> system You
    # are a helpful assistant . <|im_end|>) + 13 user turn (<|im_start|> user <|vision_start|> <|vision_end|> is
    # there a red circle ? <|im_end|>, newlines are whitespace) + 2 generation prompt + 4 image
    assert enc["image_grid_thw"].tolist() == [[1, 4, 4], [1, 4, 4]]
    assert tuple(enc["pixel_values"].shape) == (32, 1536)
    assert tuple(enc["input_ids"].shape) == (2, 26)
    assert int((enc["input_ids"][0] == model.config.image_token_id).sum()) == 4
    with torch.inference_mode():
        logits = model(**enc).logits
    assert tuple(logits.shape) == (2, 26, len(processor.tokenizer))


@pytest.mark.parametrize("arch", BUILT)
def test_every_built_family_saves_reloads_and_scores(arch, tmp_path):
    from hero.model.load import load_vlm
    from hero.scoring import Scorer, ScoreRequest

    model, processor = build_model("tiny", COLOURS, SHAPES, 64, seed=0, arch=arch)
    save(model, processor, tmp_path)
    loaded, proc2 = load_vlm(tmp_path)
    assert type(loaded).__name__ == get_family(arch).model_class
    enc = _encode(proc2, 64)
    with torch.inference_mode():
        assert torch.equal(loaded(**enc).logits, model.eval()(**enc).logits)
    image = Image.fromarray(np.zeros((64, 64, 3), dtype=np.uint8))
    rows = Scorer(loaded, proc2).score([ScoreRequest("a", image, "is there a red circle ?")]).samples
    assert len(rows) == 1 and 0.0 < rows[0]["p_yes"] + rows[0]["p_no"] <= 1.0


def test_unknown_and_unbuilt_families_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="--arch 'qwen9': choose from "
                                         "llava, llava_next, qwen2_vl, qwen2_5_vl, idefics3, gemma3$"):
        ModelInitConfig(out="o", world="w", arch="qwen9")
    from hero.model.families import not_built

    FAMILIES.register("toy_family")(not_built("its processor needs torchvision"))
    try:
        with pytest.raises(ValueError, match="^--arch toy_family: not available yet — its processor needs "
                                             r"torchvision \(see docs/model-families.md\)$"):
            build_model("tiny", COLOURS, SHAPES, 64, arch="toy_family")
    finally:
        FAMILIES.unregister("toy_family")


def test_gemma3_template_and_forward_shapes():
    model, processor = build_model("tiny", COLOURS, SHAPES, 64, seed=0, arch="gemma3")
    plain = [{"role": "system", "content": "red"}, {"role": "user", "content": "blue"},
             {"role": "assistant", "content": "yes"}]
    assert processor.apply_chat_template(plain) == (
        "<bos><start_of_turn>user\nred\n\nblue<end_of_turn>\n<start_of_turn>model\nyes<end_of_turn>\n")
    enc = _encode(processor, 64)
    # 64 px / 16 px = 16 patches → 16 soft tokens (pooling kernel 1) between <start_of_image> and <end_of_image>;
    # 30 tokens = 3 (<bos> <start_of_turn> user) + 18 image (boi, 16 soft, eoi) + 6 (is there a red circle ?)
    # + 3 (<end_of_turn> <start_of_turn> model); the "\n\n" around the image are whitespace: no tokens
    assert tuple(enc["pixel_values"].shape) == (2, 3, 64, 64) and tuple(enc["input_ids"].shape) == (2, 30)
    assert enc["token_type_ids"][0].tolist().count(1) == 16
    with torch.inference_mode():
        assert tuple(model(**enc).logits.shape) == (2, 30, len(processor.tokenizer))


def test_idefics3_template_and_forward_shapes():
    model, processor = build_model("tiny", COLOURS, SHAPES, 64, seed=0, arch="idefics3")
    plain = [{"role": "user", "content": "blue"}, {"role": "assistant", "content": "yes"}]
    assert processor.apply_chat_template(plain) == (
        "<|im_start|>User: blue<end_of_utterance>\nAssistant: yes<end_of_utterance>\n")
    enc = _encode(processor, 64)
    # (64 / 16)² = 16 patches, pixel shuffle by 2 → 4 <image> tokens, wrapped: <fake> <global-img> 4×<image> <fake>;
    # 19 tokens = 1 (<|im_start|>) + 2 (User :) + 7 image + 6 (is there a red circle ?) + 1 (<end_of_utterance>)
    # + 2 (Assistant :)
    assert tuple(enc["pixel_values"].shape) == (2, 1, 3, 64, 64) and tuple(enc["input_ids"].shape) == (2, 19)
    assert tuple(enc["pixel_attention_mask"].shape) == (2, 1, 64, 64)
    with torch.inference_mode():
        assert tuple(model(**enc).logits.shape) == (2, 19, len(processor.tokenizer))


def test_llava_next_template_and_forward_shapes():
    model, processor = build_model("tiny", COLOURS, SHAPES, 64, seed=0, arch="llava_next")
    plain = [{"role": "user", "content": "blue"}, {"role": "assistant", "content": "yes"}]
    assert processor.apply_chat_template(plain) == "[INST] blue [/INST] yes</s>"
    enc = _encode(processor, 64)
    # any-res with one 64 px pinpoint: base image + 1 tile, each (64 / 16)² = 16 features, + 4 row newlines = 36
    # <image> tokens; 44 tokens = 36 + [INST] + 6 (is there a red circle ?) + [/INST]
    assert tuple(enc["pixel_values"].shape) == (2, 2, 3, 64, 64) and enc["image_sizes"].tolist() == [[64, 64]] * 2
    assert tuple(enc["input_ids"].shape) == (2, 44)
    with torch.inference_mode():
        assert tuple(model(**enc).logits.shape) == (2, 44, len(processor.tokenizer))
