"""POPE builder on a hand-made annotation file, expected questions worked out by hand from the official rules."""

from __future__ import annotations

import json
import random

import pytest

from hero.official.pope import build_pope, build_pope_from_file, build_split, co_occurrence, ground_truth_objects
from hero.io import InputError

A = {"image": "a.jpg", "objects": ["cat", "dog", "bird"]}
B = {"image": "b.jpg", "objects": ["dog", "cat", "fish", "cow"]}
C = {"image": "c.jpg", "objects": ["horse", "sheep", "cat"]}
IMAGES = [A, B, C]


class ScriptedRandom:
    """A stand-in RNG whose `choice` returns scripted names in order (to hand-work the random rule)."""

    def __init__(self, script):
        self.script = list(script)

    def choice(self, seq):
        name = self.script.pop(0)
        assert name in seq
        return name


def pairs(questions):
    return [(q["image"][0], q["text"].split()[3], q["label"]) for q in questions]


def test_counts_and_cooccurrence_by_hand():
    # cat appears in A, B, C; dog in A, B; the rest once — first-appearance order kept.
    assert list(ground_truth_objects(IMAGES).items()) == [
        ("cat", 3), ("dog", 2), ("bird", 1), ("fish", 1), ("cow", 1), ("horse", 1), ("sheep", 1)]
    co = co_occurrence(IMAGES)
    # cat: dog 2 (A, B), then bird, fish, cow, horse, sheep 1 each in first-seen order
    assert co["cat"] == ["dog", "bird", "fish", "cow", "horse", "sheep"]
    assert co["dog"] == ["cat", "bird", "fish", "cow"]
    assert co["bird"] == ["cat", "dog"]
    assert co["horse"] == ["sheep", "cat"]


def test_popular_split_by_hand():
    # popular order: cat(3), dog(2), bird, fish, cow, horse, sheep.
    # A: cat→fish (cat,dog,bird in image) · dog→cow (fish asked) · bird→horse
    # B: dog→bird · cat→horse (bird asked) · fish→sheep
    # C: horse→dog · sheep→bird · cat→fish
    qs = build_split(IMAGES, "popular", ScriptedRandom([]))
    assert pairs(qs) == [
        ("a", "cat", "yes"), ("a", "fish", "no"), ("a", "dog", "yes"), ("a", "cow", "no"),
        ("a", "bird", "yes"), ("a", "horse", "no"),
        ("b", "dog", "yes"), ("b", "bird", "no"), ("b", "cat", "yes"), ("b", "horse", "no"),
        ("b", "fish", "yes"), ("b", "sheep", "no"),
        ("c", "horse", "yes"), ("c", "dog", "no"), ("c", "sheep", "yes"), ("c", "bird", "no"),
        ("c", "cat", "yes"), ("c", "fish", "no")]
    assert [q["question_id"] for q in qs] == list(range(1, 19))
    assert qs[0]["text"] == "Is there a cat in the image?"


def test_adversarial_split_by_hand_with_random_fallback():
    # A: cat→fish (co[cat] = dog,bird in image) · dog→cow (co[dog]: cat,bird in image, fish asked)
    #    bird→ co[bird]=[cat,dog] exhausted → random: script "cat" (rejected, in image) then "horse"
    # B: dog→bird · cat→horse (dog, fish, cow in image; bird asked) · fish→ co[fish]=[dog,cat,cow] exhausted → "sheep"
    # C: horse→ co[horse]=[sheep,cat] exhausted → "dog" · sheep→ exhausted → "bird" · cat→fish (dog, bird asked)
    rng = ScriptedRandom(["cat", "horse", "sheep", "dog", "bird"])
    qs = build_split(IMAGES, "adversarial", rng)
    assert [p[1] for p in pairs(qs)][1::2] == ["fish", "cow", "horse", "bird", "horse", "sheep", "dog", "bird", "fish"]
    assert rng.script == []


def test_random_split_by_hand():
    # A: script fish · cat(rejected: in image) then cow · sheep;  B: bird · horse · sheep
    # C: fish(rejected? no: fish not in C) → fish · dog · sheep(rejected: in image) then cow
    rng = ScriptedRandom(["fish", "cat", "cow", "sheep", "bird", "horse", "sheep", "fish", "dog", "sheep", "cow"])
    qs = build_split(IMAGES, "random", rng)
    assert [p[1] for p in pairs(qs)][1::2] == ["fish", "cow", "sheep", "bird", "horse", "sheep", "fish", "dog", "cow"]
    assert rng.script == []


def test_vowel_object_gets_an_only_before_the_name():
    qs = build_split([{"image": "x.jpg", "objects": ["orange circle", "apple", "red box"]},
                      {"image": "y.jpg", "objects": ["umbrella", "ant", "cup"]}], "popular", random.Random(0))
    texts = [q["text"] for q in qs]
    assert "Is there an orange circle in the image?" in texts
    assert "Is there a red box in the image?" in texts
    assert all("imange" not in t for t in texts)


def test_full_builder_is_seeded_and_follows_official_sampling(tmp_path):
    rows = [{"image": f"{i}.png", "objects": [f"o{(i + k) % 9}" for k in range(3 + i % 2)]} for i in range(12)]
    rows.append({"image": "small.png", "objects": ["o1", "o2"]})  # < 3 objects: never sampled
    out = build_pope(rows, img_num=10, seed=4)
    again = build_pope(rows, img_num=10, seed=4)
    assert out == again
    rng = random.Random(4)
    expected_images = [r["image"] for r in rng.sample(rows[:12], 10)]
    for split, qs in out.items():
        assert len(qs) == 60 and [q["image"] for q in qs[::6]] == expected_images
        by_image = {r["image"]: r["objects"] for r in rows}
        for q in qs:
            name = q["text"].removeprefix("Is there ").removesuffix(" in the image?").split(" ", 1)[1]
            assert (name in by_image[q["image"]]) == (q["label"] == "yes"), (split, q)


def test_world_annotation_rows_accepted_and_errors(tmp_path):
    path = tmp_path / "ann.jsonl"
    path.write_text(json.dumps({"id": "t0", "file": "images/t0.png", "objects": [
        {"category": "red circle"}, {"category": "blue square"}, {"category": "green star"},
        {"category": "white cross"}]}) + "\n"
        + json.dumps({"image": "t1.png", "objects": ["red circle", "pink star", "yellow box", "cyan disk"]}) + "\n")
    paths = build_pope_from_file(path, tmp_path / "out", "toy", img_num=2)
    assert [p.name for p in paths] == ["toy_pope_random.json", "toy_pope_popular.json", "toy_pope_adversarial.json"]
    with pytest.raises(InputError, match="only 2 images with ≥ 3 objects, 5 requested"):
        build_pope_from_file(path, tmp_path / "out", "toy", img_num=5)
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(InputError, match=r"ann.jsonl:3: malformed JSON line"):
        build_pope_from_file(path, tmp_path / "out", "toy", img_num=2)
