"""`hero data pope-train | from-world | check` through the real CLI (typer's runner, the console script's path)."""

import json
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from hero.cli.main import app

runner = CliRunner()
CATS = ["dog", "cat", "person", "car", "chair", "bird"]
OBJECTS = {"a.jpg": ["dog", "cat", "person", "dog"], "b.jpg": ["dog", "car"], "c.jpg": [],
           "d.jpg": ["person", "dog", "chair"]}


def hand_coco(tmp_path: Path) -> tuple[Path, Path]:
    """4 images (one without objects), 6 categories (bird never annotated), a caption for a and b only."""
    images = [{"id": i, "file_name": name, "width": 8, "height": 8} for i, name in enumerate(OBJECTS, start=1)]
    anns = [{"id": len(a) + 1, "image_id": i, "category_id": CATS.index(o) + 1}
            for a in [[]] for i, name in enumerate(OBJECTS, start=1) for o in OBJECTS[name]]
    anns = [{**a, "id": k} for k, a in enumerate(anns, start=1)]
    cats = [{"id": k, "name": c} for k, c in enumerate(CATS, start=1)]
    (tmp_path / "instances.json").write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    caps = [{"id": 1, "image_id": 1, "caption": "A dog and a cat. "}, {"id": 2, "image_id": 1, "caption": "Pets."},
            {"id": 3, "image_id": 2, "caption": "A dog by a car."}]
    (tmp_path / "captions.json").write_text(json.dumps({"annotations": caps}))
    return tmp_path / "instances.json", tmp_path / "captions.json"


def test_pope_train_counts_on_a_hand_made_coco(tmp_path):
    inst, caps = hand_coco(tmp_path)
    r = runner.invoke(app, ["data", "pope-train", "--coco", str(inst), "--captions", str(caps), "--out",
                            str(tmp_path / "train.jsonl")])
    assert r.exit_code == 0, r.output
    # 5 known objects (bird is never annotated); negatives never repeat within an image (POPE's history rule), so
    # a (3 objects) and d (3) have 2 negatives left → 2 pairs each; b (2 objects) → 2 pairs; c (none) is skipped:
    # 6 pairs, 12 rows about 3 images
    assert r.output.strip() == f"wrote 12 rows about 3 images (6 yes, 6 no) to {tmp_path / 'train.jsonl'}"
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert [r["answer"] for r in rows] == ["yes", "no"] * 6
    # kinds cycle per image: a (k=0) random, popular; b (k=1) popular, adversarial; d (k=2) adversarial, random
    assert [r["kind"] for r in rows[1::2]] == ["random", "popular", "popular", "adversarial", "adversarial", "random"]
    assert Counter(r["kind"] for r in rows) == {"positive": 6, "random": 2, "popular": 2, "adversarial": 2}
    assert [r["id"] for r in rows[:4]] == [f"1#{k}" for k in range(4)] and rows[4]["id"] == "2#0"
    for row in rows:
        present = set(OBJECTS[row["image"]])
        assert (row["object"] in present) == (row["answer"] == "yes") and row["object"] != "bird"  # never annotated
        assert row["question"] == f"Is there a {row['object']} in the image?"
    # b's popular negative: by frequency dog 3, person 2, cat, car, chair → the first not in b = person
    assert rows[5]["object"] == "person" and rows[5]["image"] == "b.jpg"
    assert {r["reference"] for r in rows if r["image"] == "a.jpg"} == {"A dog and a cat."}  # the first caption
    assert "reference" not in rows[-1]  # d has no caption
    again = runner.invoke(app, ["data", "pope-train", "--coco", str(inst), "--out", str(tmp_path / "t2.jsonl")])
    assert again.exit_code == 0
    assert [json.loads(x)["object"] for x in (tmp_path / "t2.jsonl").read_text().splitlines()] == \
        [r["object"] for r in rows]  # same seed, same questions


def test_pope_train_bad_input_is_one_line_and_writes_nothing(tmp_path):
    inst, _ = hand_coco(tmp_path)
    coco = json.loads(inst.read_text())
    coco["annotations"][2]["category_id"] = 99
    inst.write_text(json.dumps(coco))
    out = tmp_path / "train.jsonl"
    r = runner.invoke(app, ["data", "pope-train", "--coco", str(inst), "--out", str(out)])
    assert r.exit_code == 2 and "instances.json: annotations item 3: category_id 99 is not one of" in r.output
    r = runner.invoke(app, ["data", "pope-train", "--coco", str(inst), "--out", str(out), "--per-image", "3"])
    assert r.exit_code == 2 and "--per-image 3: must be even and ≥ 2" in r.output
    assert not out.exists() and not list(tmp_path.glob(".train.jsonl*"))


def test_from_world_then_check(tmp_path):
    from rl_helpers import tiny_world

    world = tiny_world(tmp_path / "world")
    out = tmp_path / "w.jsonl"
    r = runner.invoke(app, ["data", "from-world", "--world", str(world), "--out", str(out), "--max-images", "5"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 10 and [x["answer"] for x in rows] == ["yes", "no"] * 5
    assert rows[0]["image"] == "train/images/train_000000.png" and rows[0]["reference"].startswith("There is")
    r = runner.invoke(app, ["data", "check", str(out), "--images", str(world)])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == [f"{out}: 10 rows: 5 yes, 5 no, 0 open (yes share 0.500); 10 with a reference",
                                     f"images: 5 named, 5 found, 0 missing, 0 unreadable (under {world})"]


def test_check_counts_and_errors(tmp_path):
    (tmp_path / "img").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "img" / "a.png")
    rows = [{"image": "a.png", "question": "q?", "answer": "yes"}, {"image": "a.png", "question": "q?", "answer": "no"},
            {"image": "a.png", "question": "q?", "answer": "yes"}, {"image": "gone.png", "question": "q?",
                                                                     "reference": "text"}]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in rows))
    r = runner.invoke(app, ["data", "check", str(data)])
    assert r.exit_code == 0 and r.output.splitlines() == [
        f"{data}: 4 rows: 2 yes, 1 no, 1 open (yes share 0.667); 1 with a reference",
        "images: not checked (pass --images DIR)"]
    r = runner.invoke(app, ["data", "check", str(data), "--images", str(tmp_path / "img")])
    assert r.exit_code == 2
    assert r.output.splitlines()[1] == f"images: 2 named, 1 found, 1 missing, 0 unreadable (under {tmp_path / 'img'})"
    assert f"error: {data}:4: field 'image' of row '{data}:4': missing under {tmp_path / 'img'}" in r.output
    data.write_text(json.dumps({"image": "a.png", "question": "q?", "answer": "maybe"}) + "\n")
    r = runner.invoke(app, ["data", "check", str(data)])
    assert r.exit_code == 2 and f"{data}:1: field 'answer' must be 'yes' or 'no'" in r.output


@pytest.mark.parametrize("method", ["sft", "hero"])
def test_train_refuses_two_sources_and_a_bad_row_before_loading(tmp_path, method):
    (tmp_path / "img").mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")  # a model folder as far as the checks before loading go
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"image": "../x.png", "question": "q?", "answer": "yes"}) + "\n")
    style = ["--style", "answer"] if method == "sft" else []
    base = ["train", method, "--model", str(tmp_path / "m"), "--out", str(tmp_path / "out"), *style]
    r = runner.invoke(app, base + ["--world", "w", "--data", str(data), "--images", str(tmp_path / "img")])
    assert r.exit_code == 2 and "--world and --data both given" in r.output
    r = runner.invoke(app, base)
    assert r.exit_code == 2 and "no training data" in r.output
    r = runner.invoke(app, base + ["--data", str(data), "--images", str(tmp_path / "img")])
    assert r.exit_code == 2 and f"{data}:1: field 'image' climbs out with '..'" in r.output
    assert not (tmp_path / "out").exists()  # nothing created
