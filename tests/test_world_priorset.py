"""`hero world priorset`: the prior-balanced trap question set (worked values, a real tiny world, hero trap's tags)."""

from __future__ import annotations

import json

import pytest

from hero.io import InputError, read_jsonl
from hero.world.priorset import WorldPriorSetConfig, balanced_set, build_priorset, prior_candidates

PARTNERS = {"a": "b", "b": "a"}


def _row(name, *cats):
    return {"file": f"images/{name}.png", "objects": [{"category": c} for c in cats]}


def test_prior_candidates_worked_values():
    rows = [_row("x", "a"), _row("y", "a", "b"), _row("z", "c")]
    # x: b's partner a is present, b absent → violating; a's partner b absent → nothing
    # y: both present → a and b consistent (sorted category order); z: no paired category's partner → nothing
    assert prior_candidates(rows, PARTNERS) == [("x.png", "b", "violating"), ("y.png", "a", "consistent"),
                                                ("y.png", "b", "consistent")]


def test_balanced_set_takes_the_rarer_tag_count():
    cands = [("1", "a", "consistent"), ("2", "b", "violating"), ("3", "a", "consistent"), ("4", "a", "consistent")]
    # k = min(10, 3, 1) = 1 of each: Random(0).sample([0, 2, 3], 1) = [2], then sample([1], 1) = [1]; file order
    assert balanced_set(cands, half=10, seed=0) == [cands[1], cands[2]]
    assert balanced_set(cands, half=0, seed=0) == []


def test_build_priorset_on_a_world_and_trap_tags(tmp_path):
    from hero.trap.prior import tag_questions
    from hero.world import WorldConfig, build_world

    world = tmp_path / "w"
    build_world(WorldConfig(seed=1, train_images=0, val_images=0, test_images=2), world, progress=False)
    s = build_priorset(WorldPriorSetConfig(world=str(world), images=300, questions=40))
    qs = read_jsonl(world / "prior" / "prior_questions.json")
    assert s["questions"] == len(qs) == 40 and s["per_tag"] == 20 and s["candidates"]["violating"] >= 20
    assert (world / "prior" / "images" / qs[0]["image"]).is_file() and len(list((world / "prior" / "images")
                                                                                  .iterdir())) == 300
    assert tag_questions(qs, world / "prior" / "images") == {"consistent": 20, "violating": 20, "none": 0}
    assert all((q["prior"] == "consistent") == (q["label"] == "yes") for q in qs)  # violating = absent = "no"
    assert [q["question_id"] for q in qs] == list(range(1, 41))
    assert json.loads((world / "prior" / "priorset.json").read_text())["questions"] == 40
    first = (world / "prior" / "prior_questions.json").read_bytes()  # same world + seed → same set
    build_priorset(WorldPriorSetConfig(world=str(world), images=300, questions=40))
    assert (world / "prior" / "prior_questions.json").read_bytes() == first


def test_priorset_errors(tmp_path):
    from hero.world import WorldConfig, build_world

    world = tmp_path / "w"
    build_world(WorldConfig(seed=1, train_images=0, val_images=0, test_images=0, prior=[]), world, progress=False)
    with pytest.raises(InputError, match="no prior pairs"):
        build_priorset(WorldPriorSetConfig(world=str(world), images=5, questions=4))
    assert not (world / "prior").exists()  # nothing half-written
    with pytest.raises(ValueError, match="--name 'test'"):
        WorldPriorSetConfig(world=str(world), name="test")
    with pytest.raises(ValueError, match="--questions 3: must be an even number"):
        WorldPriorSetConfig(world=str(world), questions=3)
