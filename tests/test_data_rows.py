"""hero.data.rows / hero.data.training: the training-data loader shared by SFT, GRPO / HERO and DPO."""

import json
from pathlib import Path

import pytest
from PIL import Image

from hero.data.rows import load_rows
from hero.data.training import (check_source, data_fingerprint, image_ids, load_training_rows, need_columns,
                                one_image_per_row, reward_needs, rl_rows, sft_target)
from hero.io import ImageFolder, InputError
from hero.rl.settings import RLRunConfig
from hero.sft.settings import SFTRunConfig


@pytest.fixture
def images(tmp_path) -> Path:
    folder = tmp_path / "img"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (8, 8), (200, 0, 0)).save(folder / name)
    (folder / "broken.png").write_bytes(b"not a png")
    return folder


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


GOOD = [{"image": "a.png", "question": "Is there a cat?", "answer": "Yes", "reference": "A cat on a mat."},
        {"id": 7, "image": "b.png", "question": "What is here?", "reference": "A dog"},
        {"image": ["a.png", "b.png"], "messages": [{"role": "user", "content": [{"type": "image"},
                                                                                 {"type": "text", "text": "Two?"}]},
                                                   {"role": "assistant", "content": "no."}]}]


def test_jsonl_rows_parsed(tmp_path, images):
    rows = load_rows(write_jsonl(tmp_path / "d.jsonl", GOOD), images)
    f = tmp_path / "d.jsonl"
    assert [(r.where, r.id, r.answer, r.reference, r.question) for r in rows] == [
        (f"{f}:1", f"{f}:1", "yes", "A cat on a mat.", "Is there a cat?"),
        (f"{f}:2", "7", None, "A dog", "What is here?"),
        (f"{f}:3", f"{f}:3", "no", None, "Two?")]  # the assistant's bare "no." is the answer
    assert rows[2].images == ["a.png", "b.png"] and rows[2].image_paths == [str(images / "a.png"),
                                                                            str(images / "b.png")]


def test_json_list_and_saved_dataset_read_alike(tmp_path, images):
    import datasets

    (tmp_path / "d.json").write_text(json.dumps(GOOD[:2]))
    listed = load_rows(tmp_path / "d.json", images)
    assert [r.where for r in listed] == [f"{tmp_path / 'd.json'}: item 1", f"{tmp_path / 'd.json'}: item 2"]
    datasets.Dataset.from_list([GOOD[0], {**GOOD[1], "id": "7"}]).save_to_disk(str(tmp_path / "saved"))
    saved = load_rows(tmp_path / "saved", images)
    assert [r.where for r in saved] == [f"{tmp_path / 'saved'}: row 1", f"{tmp_path / 'saved'}: row 2"]
    assert [(r.answer, r.reference) for r in saved] == [(r.answer, r.reference) for r in listed]
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="not a dataset saved with `datasets` save_to_disk"):
        load_rows(tmp_path / "plain", images)


@pytest.mark.parametrize("row, message", [
    ({"question": "q?", "answer": "yes"}, r":2: missing field 'image'"),
    ({"image": 3, "question": "q?", "answer": "yes"}, r":2: field 'image' must be a path"),
    ({"image": "a.png", "answer": "yes"}, r":2: missing field 'question' \(or a chat 'messages' list\)"),
    ({"image": "a.png", "question": "q?", "answer": "maybe"}, r":2: field 'answer' must be 'yes' or 'no', got 'maybe'"),
    ({"image": "a.png", "question": "q?", "answer": 1}, r":2: field 'answer' must be 'yes' or 'no', got int"),
    ({"image": "a.png", "question": "q?"}, r":2: the row has neither 'answer' \(yes/no\) nor 'reference'"),
    ({"image": "a.png", "question": "q?", "reference": ""}, r":2: field 'reference' must be non-empty text"),
    ({"image": "a.png", "messages": [{"role": "assistant", "content": "yes"}]}, r":2: field 'messages' has no user"),
    ({"image": "../a.png", "question": "q?", "answer": "no"}, r":2: field 'image' climbs out with '\.\.'"),
    ({"image": "/etc/passwd", "question": "q?", "answer": "no"}, r":2: field 'image' is an absolute path"),
])
def test_a_bad_row_names_file_line_and_field(tmp_path, images, row, message):
    path = write_jsonl(tmp_path / "d.jsonl", [GOOD[0], row])
    with pytest.raises(InputError, match=f"^{tmp_path / 'd.jsonl'}{message}"):
        load_rows(path, images)


def test_file_level_errors(tmp_path, images):
    with pytest.raises(InputError, match=r"d.jsonl:2: malformed JSON line"):
        load_rows(write_jsonl(tmp_path / "d.jsonl", [GOOD[0], "{oops"]), images)
    with pytest.raises(InputError, match=r"d.jsonl:2: id 'x' repeats .*d.jsonl:1; ids must be unique"):
        load_rows(write_jsonl(tmp_path / "d.jsonl", [{**GOOD[0], "id": "x"}, {**GOOD[0], "id": "x"}]), images)
    with pytest.raises(InputError, match=r"no rows in the data file"):
        load_rows(write_jsonl(tmp_path / "d.jsonl", []), images)
    with pytest.raises(InputError, match=r"missing.jsonl: data file not found \(--data\)"):
        load_rows(tmp_path / "missing.jsonl", images)
    with pytest.raises(InputError, match=r"nowhere: image folder not found \(--images\)"):
        load_rows(tmp_path / "d.jsonl", tmp_path / "nowhere")


def test_allow_outside_images_reads_a_path_out_of_the_folder(tmp_path, images):
    path = write_jsonl(tmp_path / "d.jsonl", [{"image": "../img/a.png", "question": "q?", "answer": "no"}])
    rows = load_rows(path, ImageFolder(images, allow_outside=True))
    assert rows[0].image_paths == [str(images / "../img/a.png")]


def test_training_opens_every_image_and_names_the_row(tmp_path, images):
    path = write_jsonl(tmp_path / "d.jsonl", [GOOD[0], {**GOOD[1], "image": "broken.png"}])
    with pytest.raises(InputError, match=r"d.jsonl:2: field 'image' of row '7': not an image PIL can open"):
        load_training_rows(path, str(images))
    path = write_jsonl(tmp_path / "d.jsonl", [GOOD[0], {**GOOD[1], "image": "gone.png"}])
    with pytest.raises(InputError, match=r"d.jsonl:2: field 'image' of row '7': missing under"):
        load_training_rows(path, str(images))
    path = write_jsonl(tmp_path / "d.jsonl", [GOOD[0], {**GOOD[2], "image": ["a.png", "broken.png"]}])
    with pytest.raises(InputError, match=r"d.jsonl:2: field 'image' of row '.*d.jsonl:2': not an image PIL can"):
        load_training_rows(path, str(images))  # every image of a list is opened


def test_training_takes_rows_with_several_images_but_dpo_refuses_them(tmp_path, images):
    path = write_jsonl(tmp_path / "d.jsonl", GOOD)
    rows = load_training_rows(path, str(images))
    assert [r.image_paths for r in rows] == [[str(images / "a.png")], [str(images / "b.png")],
                                             [str(images / "a.png"), str(images / "b.png")]]
    one_image_per_row(rows[:2], "why")
    with pytest.raises(InputError, match=rf"^{path}:3: field 'image' of row '{path}:3' lists 2 images; dpo takes "
                                         r"one; give this row one image or train it with sft, grpo or hero$"):
        one_image_per_row(rows, "dpo takes one")


def test_image_ids_seed_each_image_of_a_row():
    assert image_ids("r1", 1) == ["r1"]  # a single image keeps the row's id: older runs draw the same noise
    assert image_ids("r1", 3) == ["r1@0", "r1@1", "r1@2"]


def test_exactly_one_source():
    base = dict(method="hero", model="m", out="o")
    with pytest.raises(ValueError, match="--world and --data both given"):
        RLRunConfig(**base, world="w", data="d.jsonl", images="i")
    with pytest.raises(ValueError, match="no training data: give --world DIR .* or --data FILE --images DIR"):
        RLRunConfig(**base)
    with pytest.raises(ValueError, match="--data needs --images DIR"):
        SFTRunConfig(model="m", style="cot", out="o", data="d.jsonl")
    with pytest.raises(ValueError, match="--images is for --data files"):
        SFTRunConfig(model="m", style="cot", out="o", world="w", images="i")
    with pytest.raises(ValueError, match="--curriculum, --cot-first and --caption-frac draw from the world"):
        SFTRunConfig(model="m", style="answer", out="o", data="d", images="i", curriculum=True)
    check_source("w", "", "")
    check_source("", "d.jsonl", "i")


def test_reward_columns_and_targets(tmp_path, images):
    rows = load_rows(write_jsonl(tmp_path / "d.jsonl", GOOD[:2]), images)
    assert reward_needs("yes_no+nli") == (True, True) and reward_needs("my:f") == (False, False)
    with pytest.raises(InputError, match=r"d.jsonl:2: row '7' has no 'answer' \(yes/no\), which reward 'yes_no'"):
        need_columns(rows, True, False, "reward 'yes_no'")
    need_columns(rows, False, True, "reward 'nli'")
    assert [sft_target(r, "answer") for r in rows] == ["yes", "A dog"]
    assert [sft_target(r, "cot") for r in rows] == ["A cat on a mat. Answer: yes.", "A dog"]
    rows[0].reference = None
    assert sft_target(rows[0], "cot") == "Answer: yes."


def test_rl_rows_shape_and_determinism(tmp_path, images):
    rows = load_rows(write_jsonl(tmp_path / "d.jsonl", GOOD[:2]), images)
    out = rl_rows(rows, sigmas=[0, 50], seed=3)
    assert out == rl_rows(rows, sigmas=[0, 50], seed=3)
    assert set(out[0]) == {"id", "image_id", "image_path", "question", "answer", "kind", "degrade", "sigma",
                           "reference", "image_ids", "image_paths"}
    assert [(r["image_id"], r["image_ids"], r["image_paths"]) for r in out] == [
        (rows[0].id, [rows[0].id], [str(images / "a.png")]), ("7", ["7"], [str(images / "b.png")])]
    two = rl_rows(load_rows(write_jsonl(tmp_path / "d.jsonl", GOOD), images), sigmas=[0, 50], seed=3)[2]
    where = f"{tmp_path / 'd.jsonl'}:3"
    assert (two["image_id"], two["image_path"], two["image_ids"], two["image_paths"]) == (
        f"{where}@0", str(images / "a.png"), [f"{where}@0", f"{where}@1"],
        [str(images / "a.png"), str(images / "b.png")])
    assert [(r["answer"], r["reference"], r["kind"]) for r in out] == [("yes", "A cat on a mat.", "file"),
                                                                      ("", "A dog", "file")]
    assert {r["degrade"] for r in out} <= {"none", "noise:50"}


def test_data_fingerprint_covers_every_byte(tmp_path):
    import hashlib

    f = write_jsonl(tmp_path / "d.jsonl", GOOD[:1])
    assert data_fingerprint(f) == hashlib.sha256(f.read_bytes()).hexdigest()
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "x.arrow").write_bytes(b"abc")
    before = data_fingerprint(tmp_path / "saved")
    (tmp_path / "saved" / "x.arrow").write_bytes(b"abd")
    assert data_fingerprint(tmp_path / "saved") != before
