"""The tiny VLM builds from configs, saves, and reloads with AutoProcessor / AutoModelForImageTextToText."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from hero.model.build import PRESETS, build_model, check_preset, num_image_tokens, save
from hero.world.text import cot, question

COLOURS, SHAPES = ["red", "green", "blue"], ["circle", "square"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    model, processor = build_model("tiny", COLOURS, SHAPES, 32, seed=0)
    save(model, processor, out)
    return model, processor, out


def _batch(processor, n=2):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)) for _ in range(n)]
    msgs = [[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question(q)}]}]
            for q in ["red circle", "blue square"][:n]]
    texts = [processor.apply_chat_template(m, add_generation_prompt=True) for m in msgs]
    return processor(text=texts, images=images, padding=True, return_tensors="pt")


def test_roundtrip_identical_logits(saved):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model, processor, out = saved
    p2 = AutoProcessor.from_pretrained(out)
    m2 = AutoModelForImageTextToText.from_pretrained(out).eval()
    enc, enc2 = _batch(processor), _batch(p2)
    assert torch.equal(enc["input_ids"], enc2["input_ids"]) and torch.equal(enc["pixel_values"], enc2["pixel_values"])
    with torch.no_grad():
        assert torch.equal(model.eval()(**enc).logits, m2(**enc2).logits)
    assert type(m2).__name__ == "LlavaForConditionalGeneration"


def test_image_tokens_and_padding(saved):
    _, processor, _ = saved
    enc = _batch(processor)
    n = num_image_tokens(32, PRESETS["tiny"].patch_size)  # 32 / 8 = 4 → 16 tokens, no CLS
    assert (enc["input_ids"] == processor.tokenizer.convert_tokens_to_ids("<image>")).sum(-1).tolist() == [n, n]
    assert processor.tokenizer.padding_side == "left"


def test_chat_template_renders_parts_and_strings(saved):
    _, processor, _ = saved
    q = "Is there a red circle in the image?"
    parts = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": q}]},
             {"role": "assistant", "content": [{"type": "text", "text": "yes"}]}]
    assert processor.apply_chat_template(parts) == \
        "<|user|>Is there a red circle in the image? <image><|end|><|assistant|>yes<|end|>"
    plain = [{"role": "user", "content": "hello"}]
    assert processor.apply_chat_template(plain, add_generation_prompt=True) == "<|user|>hello<|end|><|assistant|>"


def test_tokenizer_roundtrips_world_text(saved):
    _, processor, _ = saved
    tok = processor.tokenizer
    s = cot(["red circle", "blue square"], "green circle")
    assert tok.decode(tok(s, add_special_tokens=False)["input_ids"]) == s
    assert "<unk>" not in tok.convert_ids_to_tokens(tok(s)["input_ids"])


def test_generation_config_stops_at_end_token(saved):
    model, processor, out = saved
    gen = json.loads((out / "generation_config.json").read_text())
    assert gen["eos_token_id"] == processor.tokenizer.convert_tokens_to_ids("<|end|>")
    assert gen["pad_token_id"] == processor.tokenizer.pad_token_id


def test_bad_preset_and_patch():
    with pytest.raises(ValueError, match="unknown preset"):
        build_model("huge", COLOURS, SHAPES, 32)
    with pytest.raises(ValueError, match="not a multiple of patch_size"):
        check_preset(PRESETS["tiny"], 36)


def test_small_is_larger():
    tiny, _ = build_model("tiny", COLOURS, SHAPES, 32)
    small, _ = build_model("small", COLOURS, SHAPES, 32)
    n_t = sum(p.numel() for p in tiny.parameters())
    n_s = sum(p.numel() for p in small.parameters())
    assert n_s > 2 * n_t


def test_model_style_from_a_model_or_its_folder(tmp_path):
    import json
    from types import SimpleNamespace

    from hero.model.load import model_style
    from hero.scoring import model_style as reexported

    assert reexported is model_style
    assert model_style(SimpleNamespace(config=SimpleNamespace(hero_style="cot"))) == "cot"
    assert model_style(SimpleNamespace(config=SimpleNamespace())) == "answer"
    assert model_style(tmp_path) == "answer"  # no config.json
    (tmp_path / "config.json").write_text(json.dumps({"hero_style": "cot"}))
    assert model_style(tmp_path) == "cot" and model_style(str(tmp_path)) == "cot"
    (tmp_path / "config.json").write_text(json.dumps({"hero_style": "verbose"}))
    assert model_style(tmp_path) == "answer"


# ------------------------------------------------------------------------------------------------ hero model init
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from rl_helpers import tiny_world

    return tiny_world(tmp_path_factory.mktemp("initworld") / "world")


def _cli(args):
    from typer.testing import CliRunner

    from hero.cli.main import app

    return CliRunner().invoke(app, args)


def test_model_init_writes_into_an_empty_folder_and_leaves_no_temporary(world, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    res = _cli(["model", "init", "--world", str(world), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert [p.name for p in tmp_path.iterdir()] == ["m"] and (out / "model.safetensors").is_file()


def test_model_init_bad_input(world, tmp_path):
    out = tmp_path / "m"
    res = _cli(["model", "init", "--world", str(world), "--out", str(out), "--preset", "huge"])
    assert (res.exit_code, res.output) == (2, "error: --preset 'huge': choose from ['base', 'small', 'tiny']\n")
    out.mkdir()
    (out / "config.json").write_text("{}")
    res = _cli(["model", "init", "--world", str(world), "--out", str(out)])
    assert (res.exit_code, res.output) == (2, f"error: {out} is not empty; `hero model init` writes a new model "
                                              f"folder — use a new --out folder, or delete {out}\n")


def test_model_init_cut_short_leaves_no_folder(world, tmp_path, monkeypatch):
    import hero.model.build

    def half_save(model, processor, out_dir):
        model.save_pretrained(out_dir)
        raise OSError(28, "No space left on device", str(out_dir / "model.safetensors"))

    monkeypatch.setattr(hero.model.build, "save", half_save)
    res = _cli(["model", "init", "--world", str(world), "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "model.safetensors: no space left on the device" in res.output
    assert list(tmp_path.iterdir()) == []  # neither m nor a temporary sibling
