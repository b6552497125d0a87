"""The RL prompt set from a world split: questions, labels, negative kinds, σ per prompt, on-the-fly degradation and
the SFT prompt format."""

import numpy as np
import pytest
from PIL import Image

from hero.rl.world_data import check_sigmas, question_rows, rl_dataset, split_stats
from rl_helpers import tiny_model, tiny_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tiny_world(tmp_path_factory.mktemp("rlw") / "world")


def test_split_stats_hand_values():
    ann = [{"objects": [{"category": "a"}, {"category": "b"}]}, {"objects": [{"category": "a"}]}]
    freq, co = split_stats(ann, ["a", "b", "c"])
    assert freq.tolist() == [2, 1, 0]  # a in both images, b in one
    assert co.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]  # a and b together once; diagonal zeroed


def test_rows_labels_kinds_and_sigmas(world):
    from hero.sft.data import NEGATIVE_KINDS
    from hero.world import load_annotations

    rows = question_rows(world, sigmas=[0, 30, 50], seed=0)
    ann = {a["id"]: {o["category"] for o in a["objects"]} for a in load_annotations(world, "train")}
    assert len(rows) == 40  # 20 images × 2 questions
    assert [r["kind"] == "positive" for r in rows] == [True, False] * 20  # alternating: balanced yes/no
    for r in rows:
        asked = r["question"].removeprefix("Is there a ").removesuffix(" in the image?")
        assert r["answer"] == ("yes" if asked in ann[r["image_id"]] else "no")
        assert r["kind"] in ("positive",) + NEGATIVE_KINDS and r["sigma"] in (0.0, 30.0, 50.0)
        assert r["image_path"].endswith(f"train/images/{r['image_id']}.png")
        assert r["reference"].startswith("There is")
    assert {r["sigma"] for r in rows} == {0.0, 30.0, 50.0}
    assert len({r["kind"] for r in rows}) >= 3  # several negative kinds drawn
    assert question_rows(world, seed=0) == rows  # deterministic; the default grid is noise 0, 30, 50
    assert {(r["degrade"], r["sigma"]) for r in rows} == {("none", 0.0), ("noise:30", 30.0), ("noise:50", 50.0)}
    assert question_rows(world, seed=1) != rows
    assert len(question_rows(world, questions_per_image=3, limit=5)) == 15


def test_bad_settings_are_errors(world):
    with pytest.raises(ValueError, match="noise levels"):
        check_sigmas([])
    with pytest.raises(ValueError, match="≥ 0"):
        question_rows(world, sigmas=[-1])
    with pytest.raises(ValueError, match=r"\[0, 255\]"):  # the same rule as hero trap: one validation
        question_rows(world, sigmas=[0, 300])
    with pytest.raises(ValueError, match="registered ops"):
        question_rows(world, degrade=["fog:1"])
    with pytest.raises(ValueError, match="not in"):
        question_rows(world, kinds=["nonsense"])


def test_dataset_prompt_image_and_deterministic_noise(world, tmp_path):
    from hero import degrade
    from hero.model.load import load_vlm
    from hero.model.build import num_image_tokens
    from hero.sft.collate import SFTCollator

    rows = question_rows(world, sigmas=[50], seed=0)
    ds = rl_dataset(rows, seed=3)
    item = ds[1]
    assert item["prompt"] == [{"role": "user", "content": [{"type": "image"},
                                                          {"type": "text", "text": rows[1]["question"]}]}]
    assert item["answer"] == rows[1]["answer"] and item["sigma"] == 50.0 and item["id"] == rows[1]["id"]
    clean = Image.open(rows[1]["image_path"]).convert("RGB")
    want = degrade.apply(clean, "noise:50", seed=3, image_id=rows[1]["image_id"])
    assert np.array_equal(np.asarray(item["image"]), np.asarray(want))  # seeded by (seed, image id, σ)
    assert not np.array_equal(np.asarray(item["image"]), np.asarray(clean))
    assert np.array_equal(np.asarray(ds[[1, 0]]["image"][0]), np.asarray(item["image"]))  # batch-independent
    assert np.array_equal(np.asarray(rl_dataset(question_rows(world, sigmas=[0]), 3)[1]["image"]),
                          np.asarray(clean))  # σ = 0: the PNG itself
    # TRL renders the prompt (image filled in) to exactly the token ids the SFT collator trained on
    model, processor = load_vlm(tiny_model(tmp_path / "m", world))
    n_image = num_image_tokens(32, model.config.vision_config.patch_size)
    filled = [{"role": "user", "content": [{"type": "image", "image": item["image"]},
                                           {"type": "text", "text": rows[1]["question"]}]}]
    ids = processor.apply_chat_template([filled], tokenize=True, return_dict=True,
                                        add_generation_prompt=True)["input_ids"][0]
    assert ids == SFTCollator(processor, n_image).prompt_ids(rows[1]["question"])


def test_degrade_specs_are_drawn_per_prompt_and_a_test_registered_op_renders(world, invert_op):
    mixed = question_rows(world, sigmas=[0], degrade=["invert:1", "blur:1"], seed=0, limit=6)
    noise = question_rows(world, sigmas=[0, 30, 50], seed=0, limit=6)
    # a grid of the same length draws the same indices: none ↔ none, invert ↔ noise:30, blur ↔ noise:50
    pos = {"none": 0, "noise:30": 1, "noise:50": 2, "invert:1": 1, "blur:1": 2}
    assert [pos[r["degrade"]] for r in mixed] == [pos[r["degrade"]] for r in noise]
    assert all(r["sigma"] is None for r in mixed if r["degrade"] != "none")
    i = next(k for k, r in enumerate(mixed) if r["degrade"] == "invert:1")
    clean = np.asarray(Image.open(mixed[i]["image_path"]).convert("RGB"))
    assert np.array_equal(np.asarray(rl_dataset(mixed, 0)[i]["image"]), 255 - clean)