"""Rows with several images (issue 14: `image` a path under --images, or a list) in training: the prompt shows one
image placeholder per image, in the row's order, before the question, and the batch carries every image — the SFT
collators (LLaVA's fixed-size path, the processor path of the other families), the RL prompt rows TRL reads
(`images` column) and HERO's gated row selection. End-to-end runs: tests/test_data_train.py (fast) and
`test_sft_and_hero_train_multi_image_rows_through_the_cli` below (slow, every built family)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from hero.model.build import build_model, num_image_tokens
from hero.model.families import FAMILIES
from hero.sft.collate import ProcessorCollator, SFTCollator, normalise_pixels, user_message
from hero.sft.data import Example

COLOURS, SHAPES = ["red", "green", "blue"], ["circle", "square"]
BUILT = [n for n in FAMILIES.names() if not FAMILIES.get(n).unavailable]


def _pixels(seed: int, size: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_user_message_has_one_placeholder_per_image_before_the_text():
    assert user_message("Q?") == [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Q?"}]}]
    assert user_message("Q?", 3) == [{"role": "user", "content": [{"type": "image"}, {"type": "image"},
                                                                  {"type": "image"},
                                                                  {"type": "text", "text": "Q?"}]}]
    with pytest.raises(ValueError, match="images=0: a prompt shows at least one image"):
        user_message("Q?", 0)


def test_example_images_are_the_first_then_the_others_in_order():
    a, b, c = _pixels(0, 2), _pixels(1, 2), _pixels(2, 2)
    assert [x is y for x, y in zip(Example(a, "q", "t", more_images=(b, c)).images, (a, b, c))] == [True] * 3
    assert len(Example(a, "q", "t").images) == 1


def test_llava_collator_expands_every_placeholder_and_stacks_the_images_in_order():
    model, processor = build_model("tiny", COLOURS, SHAPES, 32, seed=0)
    n = num_image_tokens(32, model.config.vision_config.patch_size)  # 4 tokens per 32 px image
    col = SFTCollator(processor, n)
    a, b, c = _pixels(0), _pixels(1), _pixels(2)
    batch = col([Example(a, "Is there a red circle?", "yes", more_images=(b,)), Example(c, "Is there a red circle?",
                                                                                       "no")])
    image_id = model.config.image_token_id
    assert (batch["input_ids"] == image_id).sum(1).tolist() == [2 * n, n]
    want = normalise_pixels(np.stack([a, b, c]), *col.pix)  # (3, 3, 32, 32): row 0's two images, then row 1's
    assert tuple(batch["pixel_values"].shape) == (3, 3, 32, 32) and torch.equal(batch["pixel_values"], want)
    # the prompt is what TRL renders for the same two filled placeholders (so SFT and RL see one distribution)
    filled = [{"role": "user", "content": [{"type": "image", "image": Image.fromarray(a)},
                                           {"type": "image", "image": Image.fromarray(b)},
                                           {"type": "text", "text": "Is there a red circle?"}]}]
    ids = processor.apply_chat_template([filled], tokenize=True, return_dict=True,
                                        add_generation_prompt=True)["input_ids"][0]
    assert ids == col.prompt_ids("Is there a red circle?", 2)
    tok = processor.tokenizer
    assert [tok.decode(lab[lab != -100].tolist(), skip_special_tokens=True) for lab in batch["labels"]] == ["yes",
                                                                                                          "no"]
    assert torch.isfinite(model(**batch).loss)


def test_processor_collator_gives_qwen_one_grid_per_image():
    model, processor = build_model("tiny", COLOURS, SHAPES, 64, seed=0, arch="qwen2_5_vl")
    col = ProcessorCollator(processor)
    assert col.prompt("is there a red circle ?", 2) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
        "<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>"
        "is there a red circle ?<|im_end|>\n<|im_start|>assistant\n")
    batch = col([Example(_pixels(0, 64), "is there a red circle ?", "yes", more_images=(_pixels(1, 64),)),
                 Example(_pixels(2, 64), "is there a red circle ?", "no")])
    # 64 px / 16 px patches: a 4×4 grid per image (16 patch rows of 1536 values), 4 <|image_pad|> after the merge
    assert batch["image_grid_thw"].tolist() == [[1, 4, 4]] * 3 and tuple(batch["pixel_values"].shape) == (48, 1536)
    assert (batch["input_ids"] == model.config.image_token_id).sum(1).tolist() == [8, 4]
    tok = processor.tokenizer
    assert [tok.decode(lab[lab != -100].tolist(), skip_special_tokens=True) for lab in batch["labels"]] == ["yes",
                                                                                                          "no"]
    assert torch.isfinite(model(**batch).loss)


@pytest.mark.parametrize("arch", [n for n in BUILT if n not in ("llava", "qwen2_5_vl")])
def test_every_processor_family_trains_on_a_two_image_example(arch):
    """The other families through their processors: the 2-image example has twice the 1-image example's image
    tokens, the labels are the targets, the loss is finite."""
    model, processor = build_model("tiny", COLOURS, SHAPES, 64, seed=0, arch=arch)
    batch = ProcessorCollator(processor)([Example(_pixels(0, 64), "is there a red circle ?", "yes",
                                                  more_images=(_pixels(1, 64),)),
                                          Example(_pixels(2, 64), "is there a red circle ?", "no")])
    counts = (batch["input_ids"] == model.config.image_token_id).sum(1).tolist()
    assert counts[0] == 2 * counts[1] > 0
    tok = processor.tokenizer
    assert [tok.decode(lab[lab != -100].tolist(), skip_special_tokens=True) for lab in batch["labels"]] == ["yes",
                                                                                                          "no"]
    assert torch.isfinite(model(**batch).loss)


def test_rl_rows_render_every_image_degraded_by_the_rows_spec_seeded_per_image(tmp_path):
    from hero import degrade
    from hero.rl.world_data import render_batch, rl_dataset, row_images

    paths = []
    for k in range(3):
        paths.append(str(tmp_path / f"{k}.png"))
        Image.fromarray(_pixels(k)).save(paths[-1])
    rows = [{"id": "two", "image_id": "two@0", "image_path": paths[0], "question": "Same?", "answer": "no",
             "kind": "file", "degrade": "noise:50", "sigma": 50.0, "reference": "", "image_ids": ["two@0", "two@1"],
             "image_paths": paths[:2]},
            {"id": "one", "image_id": "one", "image_path": paths[2], "question": "Red?", "answer": "yes",
             "kind": "file", "degrade": "none", "sigma": 0.0, "reference": "", "image_ids": ["one"],
             "image_paths": paths[2:]}]
    assert row_images({"image_paths": [paths[:2]], "image_ids": [["two@0", "two@1"]]}) == [
        [(paths[0], "two@0"), (paths[1], "two@1")]]
    assert row_images({"image_path": [paths[2]], "image_id": ["w1"]}) == [[(paths[2], "w1")]]  # a world row
    ds = rl_dataset(rows, seed=3)
    two, one = ds[0], ds[1]
    assert two["prompt"] == user_message("Same?", 2) and one["prompt"] == user_message("Red?", 1)
    want = [degrade.apply(Image.fromarray(_pixels(k)), "noise:50", seed=3, image_id=f"two@{k}") for k in range(2)]
    assert [np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(two["images"], want)] == [True, True]
    other = degrade.apply(Image.fromarray(_pixels(1)), "noise:50", seed=3, image_id="two@0")
    assert not np.array_equal(np.asarray(other), np.asarray(want[1]))  # each image its own noise draw
    assert np.array_equal(np.asarray(two["image"]), np.asarray(want[0]))  # `image`: the first, as before lists
    assert len(one["images"]) == 1 and np.array_equal(np.asarray(one["images"][0]), _pixels(2))
    batch = render_batch({k: [r[k] for r in rows] for k in rows[0]}, seed=3)
    assert [len(x) for x in batch["images"]] == [2, 1]


def test_hero_row_selection_moves_every_image_of_a_row():
    """HERO's gate keeps rows of TRL's batch dict; LLaVA's pixel_values hold one row per image (num_images)."""
    from hero.rl.batch import select_rows

    pixels = torch.arange(3, dtype=torch.float32).view(3, 1, 1, 1).expand(3, 3, 2, 2)  # images 0, 1 (row 0), 2
    batch = {"input_ids": torch.tensor([[1, 2], [3, 4]]), "pixel_values": pixels, "num_images": [2, 1]}
    out = select_rows(batch, torch.tensor([1, 0, 0]))
    assert out["input_ids"].tolist() == [[3, 4], [1, 2], [1, 2]] and out["num_images"] == [1, 2, 2]
    assert out["pixel_values"][:, 0, 0, 0].tolist() == [2.0, 0.0, 1.0, 0.0, 1.0]


def _hero(*args) -> str:
    r = subprocess.run([sys.executable, "-m", "hero.cli.main", *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.mark.slow
@pytest.mark.parametrize("arch", BUILT)
def test_sft_and_hero_train_multi_image_rows_through_the_cli(arch, tmp_path):
    """A file mixing 2-image and 1-image rows: `hero train sft` 3 steps and `hero train hero` 2 steps on a tiny
    random model of each built family; DPO refuses the 2-image row with its location. 40-70 s per family on 2
    cores."""
    _hero("world", "build", "--out", tmp_path / "world", "--image-size", "32", "--colours", "red,green,blue",
          "--shapes", "circle,square", "--min-size", "8", "--max-size", "10", "--max-objects", "3", "--images", "8",
          "--eval-images", "0", "--set", 'prior=[["red circle", "blue square", 0.85]]')
    images = tmp_path / "world" / "train" / "images"
    names = sorted(p.name for p in images.iterdir())
    rows = [{"id": f"r{i}", "image": [names[i], names[i + 1]] if i % 2 == 0 else names[i],
             "question": "Is there a red circle in the images?" if i % 2 == 0 else "Is there a red circle?",
             "answer": "yes" if i % 3 else "no", "reference": "A red circle."} for i in range(6)]
    data = tmp_path / "multi.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert "0 missing" in _hero("data", "check", data, "--images", images)
    _hero("model", "init", "--preset", "tiny", "--arch", arch, "--world", tmp_path / "world", "--out",
          tmp_path / "init")
    _hero("train", "sft", "--model", tmp_path / "init", "--data", data, "--images", images, "--style", "answer",
          "--out", tmp_path / "sft", "--max-steps", "3", "--batch-size", "2", "--warmup-steps", "1",
          "--no-progress", "--threads", "1")
    assert json.loads((tmp_path / "sft" / "sft_summary.json").read_text())["steps"] == 3
    _hero("train", "hero", "--model", tmp_path / "sft", "--data", data, "--images", images, "--out",
          tmp_path / "hero", "--max-steps", "2", "--batch-size", "4", "--num-generations", "2",
          "--max-completion-length", "4", "--no-progress", "--threads", "1")
    assert json.loads((tmp_path / "hero" / "rl_summary.json").read_text())["steps"] == 2
    r = subprocess.run([sys.executable, "-m", "hero.cli.main", "train", "dpo", "--model", tmp_path / "sft",
                        "--data", data, "--images", images, "--out", tmp_path / "dpo", "--no-progress"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and (f"{data}:1: field 'image' of row 'r0' lists 2 images; dpo samples its pairs "
                                  "through hero.scoring") in r.stderr
