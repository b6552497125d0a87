"""SFT data, collator, schedule, and a few-step TRL run with checkpoint + resume."""

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from hero.model.build import build_model, num_image_tokens, save
from hero.sft.collate import SFTCollator, normalise_pixels
from hero.sft.data import ExampleStream, pick_negative, sub_world, world_stats
from hero.sft.settings import SFTRunConfig
from hero.sft.trainer import lr_factor
from hero.world import WorldConfig

SMALL = dict(image_size=32, colours=["red", "green", "blue"], shapes=["circle", "square"], min_size=8, max_size=10,
             max_objects=3, prior=[["red circle", "blue square", 0.85]])


def test_lr_factor_hand_values():
    assert lr_factor(0, 0.0, 10) == pytest.approx(0.1)  # warm-up 1/10, cos(0) → 1
    assert lr_factor(50, 0.5, 10) == pytest.approx(0.5)  # 0.5·(1 + cos(π/2)) = 0.5
    assert lr_factor(50, 1.0, 10) == pytest.approx(0.0)  # 0.5·(1 + cos π) = 0
    assert lr_factor(50, 0.5, 10, cooldown=0.2) == pytest.approx(1.0)  # stable phase: the peak rate
    assert lr_factor(50, 0.9, 10, cooldown=0.2) == pytest.approx(0.5)  # (1 − 0.9) / 0.2
    assert lr_factor(4, 0.95, 10, cooldown=0.2) == pytest.approx(0.125)  # warm-up 5/10 · (1 − 0.95) / 0.2
    assert lr_factor(50, 1.0, 10, cooldown=0.2) == pytest.approx(0.0)
    assert lr_factor(50, 0.25, 10) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))  # 0.8535534


def test_stream_targets_and_negatives():
    cfg = WorldConfig(**SMALL)
    for style in ("answer", "cot"):
        s = ExampleStream(cfg, style, caption_frac=0.2)
        a, b = s.example(7), s.example(7)
        assert a.prompt == b.prompt and a.target == b.target and np.array_equal(a.image, b.image)
        for i in range(60):
            e = s.example(i)
            if e.prompt == "Describe this image.":
                assert e.target.startswith("There is")
            elif style == "answer":
                assert e.target in ("yes", "no")
            else:
                assert e.target.startswith("I see") and e.target.endswith(("Answer: yes.", "Answer: no."))


def test_negative_kinds():
    cfg = WorldConfig(**SMALL)
    freq, co = world_stats(cfg, n=300)
    rng = np.random.default_rng(0)
    present = ["red circle", "green square"]
    for kind in ("random", "popular", "adversarial", "binding"):
        for _ in range(20):
            neg = pick_negative(kind, present, cfg.categories, freq, co, rng)
            assert neg not in present
            if kind == "binding":  # shares a colour or a shape with a present object
                assert neg.split()[0] in ("red", "green") or neg.split()[1] in ("circle", "square")
    # the prior partner of red circle is the top adversarial negative
    assert pick_negative("adversarial", ["red circle"], cfg.categories, freq, co, rng) in cfg.categories


def test_canonical_listing_order():
    cfg = WorldConfig(**SMALL)
    s = ExampleStream(cfg, "cot", caption_frac=0.49)
    order = {c: i for i, c in enumerate(cfg.categories)}
    for i in range(30):
        t = s.example(i).target
        if t.startswith("There is"):
            named = [c for c in cfg.categories if c in t]
            assert sorted(named, key=lambda c: t.index(c)) == sorted(named, key=order.get)


def test_sub_world():
    sw = sub_world(WorldConfig(**SMALL), 2, 1)
    assert sw.categories == ["red circle", "green circle"] and sw.max_objects == 2 and sw.prior == []


def test_collator_masks_prompt_and_matches_processor():
    cfg = WorldConfig(**SMALL)
    model, processor = build_model("tiny", cfg.colours, cfg.shapes, 32)
    col = SFTCollator(processor, num_image_tokens(32, 8))
    exs = ExampleStream(cfg, "answer", caption_frac=0.4).take(4)
    b = col(exs)
    tok = processor.tokenizer
    for row, lab, e in zip(b["input_ids"], b["labels"], exs):
        target = lab[lab != -100].tolist()
        assert tok.decode(target, skip_special_tokens=True) == e.target
        assert target[-1] == tok.convert_tokens_to_ids("<|end|>")
    enc = processor(text=["<image>"] * 4, images=[Image.fromarray(e.image) for e in exs], return_tensors="pt")
    assert torch.allclose(b["pixel_values"], enc["pixel_values"], atol=1e-6)
    # x/255 · 2 − 1 for mean = std = 0.5: 0 → −1, 255 → 1
    px = normalise_pixels(np.array([[[[0, 255, 51]]]], dtype=np.uint8), 1 / 255, [0.5] * 3, [0.5] * 3)
    assert px.flatten().tolist() == pytest.approx([-1.0, 1.0, -0.6])


def test_config_validation():
    with pytest.raises(ValueError, match="--style"):
        SFTRunConfig(model="m", world="w", style="both", out="o")
    with pytest.raises(ValueError, match="--budget-min"):
        SFTRunConfig(model="m", world="w", style="cot", out="o", budget_min=0)
    with pytest.raises(ValueError, match="--patch-aux"):
        SFTRunConfig(model="m", world="w", style="cot", out="o", ground_aux=-1)
    with pytest.raises(ValueError, match="--min-objects"):
        SFTRunConfig(model="m", world="w", style="cot", out="o", min_objects=-1)


def test_question_groups_share_their_scene():
    cfg = WorldConfig(**SMALL)
    s4 = ExampleStream(cfg, "answer", caption_frac=0.0, group=4)
    for j in range(10):
        ex = [s4.example(4 * j + k) for k in range(4)]
        assert all(np.array_equal(e.image, ex[0].image) and e.objects == ex[0].objects for e in ex)
        for pair in (ex[:2], ex[2:]):  # each pair: one yes, one no (all scenes here leave a category absent)
            assert sorted(e.target for e in pair) == ["no", "yes"]
    assert not np.array_equal(s4.example(0).image, s4.example(4).image)
    # group 2 is the plain pair stream: examples 2j, 2j+1 on scene j, and out-of-order reads give the same examples
    s2, fresh = ExampleStream(cfg, "answer", group=2), ExampleStream(cfg, "answer", group=2)
    order = [5, 4, 9, 0, 5]
    want = {i: (fresh.example(i).asked, fresh.example(i).target) for i in sorted(set(order))}  # in order
    assert [(s2.example(i).asked, s2.example(i).target) for i in order] == [want[i] for i in order]
    with pytest.raises(ValueError, match="group=3"):
        ExampleStream(cfg, "answer", group=3)
    with pytest.raises(ValueError, match="--questions-per-image 3"):
        SFTRunConfig(model="m", world="w", style="cot", out="o", questions_per_image=3)
    with pytest.raises(ValueError, match="--cooldown"):
        SFTRunConfig(model="m", world="w", style="cot", out="o", cooldown=1.5)


def test_crowded_stream_keeps_at_least_min_objects():
    from hero.sft.data import ExampleStream

    stream = ExampleStream(WorldConfig(**SMALL), "answer", min_objects=3)
    assert min(len(stream.example(i).categories) for i in range(60)) == 3
    stream.set_stage(2, 1)  # a 2-category sub-world cannot hold 3: capped at its size
    assert {len(stream.example(i).categories) for i in range(20)} == {2}


def test_few_steps_checkpoint_and_resume(tmp_path):
    from hero.sft.pipeline import run_sft

    cfg = WorldConfig(**SMALL)
    world = tmp_path / "world"
    world.mkdir()
    (world / "world.json").write_text(json.dumps({"config": cfg.to_dict()}))
    model, processor = build_model("tiny", cfg.colours, cfg.shapes, 32)
    save(model, processor, tmp_path / "init")
    common = dict(model=str(tmp_path / "init"), world=str(world), style="cot", out=str(tmp_path / "sft"),
                  batch_size=4, save_steps=2, progress=False, seed=1)
    s1 = run_sft(SFTRunConfig(max_steps=2, **common))
    assert s1["steps"] == 2
    state = json.loads((tmp_path / "sft" / "checkpoints" / "checkpoint-2" / "hero_state.json").read_text())
    assert state["step"] == 2 and state["seconds"] > 0
    # checkpoints keep the model's own weight names (+ the training-only heads), so resume restores them
    from safetensors.torch import load_file

    ckpt = load_file(tmp_path / "sft" / "checkpoints" / "checkpoint-2" / "model.safetensors")
    own = set(model.state_dict()) - {"lm_head.weight"}  # tied to the input embeddings: not stored
    heads = {f"hero_{h}_head.{w}" for h in ("patch", "ground", "list") for w in ("weight", "bias")}
    assert set(ckpt) == own | heads
    s2 = run_sft(SFTRunConfig(max_steps=4, resume=True, **common))
    assert s2["steps"] == 4
    from transformers import AutoConfig

    assert AutoConfig.from_pretrained(tmp_path / "sft").hero_style == "cot"
    final = load_file(tmp_path / "sft" / "model.safetensors")
    assert not any(k.startswith("hero_") for k in final)  # the auxiliary heads are training-only
    from hero.model.load import load_vlm

    reloaded, _ = load_vlm(tmp_path / "sft")
    assert set(reloaded.state_dict()) == set(model.state_dict())


def test_cot_first_validation_and_clock_fraction():
    from hero.sft.trainer import clock_frac

    with pytest.raises(ValueError, match="--cot-first"):
        SFTRunConfig(model="m", world="w", style="cot", out="o", cot_first=0.5)
    cfg = SFTRunConfig(model="m", world="w", style="answer", out="o", cot_first=0.5, budget_min=2.0, max_steps=100)
    # 60 s of a 120 s budget = 0.5; 80 of 100 steps = 0.8 → the larger, 0.8
    assert clock_frac(cfg, {"seconds": 60.0, "step": 80}) == pytest.approx(0.8)
    assert clock_frac(cfg, {}) == 0.0


def test_pick_threads():
    from hero.sft.settings import pick_threads

    assert pick_threads(0, 2, 0.3) == 2  # idle machine: every core
    assert pick_threads(0, 2, 1.4) == 1  # another job running: one thread
    assert pick_threads(3, 2, 5.0) == 3  # explicit request wins


def test_resolve_precision():
    from hero.sft.settings import SFTRunConfig, resolve_precision

    assert resolve_precision("auto", cuda=False, cuda_bf16=False, cpu_bf16=True) == "bf16"  # AVX512-BF16 / AMX CPU
    assert resolve_precision("auto", cuda=False, cuda_bf16=False, cpu_bf16=False) == "fp32"  # older CPU
    assert resolve_precision("auto", cuda=True, cuda_bf16=False, cpu_bf16=True) == "fp32"  # the GPU decides
    assert resolve_precision("auto", cuda=True, cuda_bf16=True, cpu_bf16=False) == "bf16"
    assert resolve_precision("fp32", cuda=True, cuda_bf16=True, cpu_bf16=True) == "fp32"  # explicit wins
    with pytest.raises(ValueError, match="--precision 'fp16'"):
        SFTRunConfig(model="m", world="w", style="answer", out="o", precision="fp16")
