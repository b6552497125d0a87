"""Prior tags of `hero trap` questions (hero.trap.prior): the rule, the by_prior summary, the prior-balanced set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hero.io import InputError
from hero.trap.prior import balanced_indices, by_prior, prior_tag, question_category, tag_questions, world_of
from hero.trap.run import TrapConfig, run_trap
from hero.trap.runfolder import read_samples
from hero.trap.summary import SummarySettings
from test_trap_run import fake_score

PARTNERS = {"red circle": "blue square", "blue square": "red circle"}
CATS = ["red circle", "red square", "blue circle", "blue square"]


def test_prior_tag_rule():
    assert prior_tag("red circle", {"red circle", "blue square"}, PARTNERS) == "consistent"  # partner there, c there
    assert prior_tag("red circle", {"blue square"}, PARTNERS) == "violating"  # partner there, c absent
    assert prior_tag("red circle", {"red circle"}, PARTNERS) == "none"  # partner absent: no prediction
    assert prior_tag("red square", {"red square", "blue square"}, PARTNERS) == "none"  # c in no pair
    assert prior_tag(None, {"blue square"}, PARTNERS) == "none"  # the question names no category


def test_question_category():
    assert question_category("Is there a red circle in the image?", CATS) == "red circle"
    assert question_category("is there an Blue Square in the image", CATS) == "blue square"
    assert question_category("Is there a green star in the image?", CATS) is None  # not a category of the world
    assert question_category("What colour is it?", CATS) is None


def test_by_prior_hand_values():
    tags = ["consistent", "consistent", "consistent", "violating", "violating", "none"]
    ok = np.array([1, 1, 0, 0, 1, 1], bool)
    h = np.array([0.1, 0.5, 0.3, 0.2, 0.6, 0.9])
    got = by_prior(tags, ok, h, 0.3)
    # consistent: n 3, accuracy 2/3; confident (H ≤ 0.3): samples 0 (right) and 2 (wrong, H = 0.3 is in) →
    # count 2, share 2/3, accuracy 1/2
    assert got["consistent"] == {"n": 3, "accuracy": pytest.approx(2 / 3),
                                 "trap": {"count": 2, "share": pytest.approx(2 / 3), "accuracy": 0.5}}
    # violating: n 2, accuracy 1/2; confident: sample 3 only (wrong) → count 1, share 1/2, accuracy 0
    assert got["violating"] == {"n": 2, "accuracy": 0.5, "trap": {"count": 1, "share": 0.5, "accuracy": 0.0}}
    # none: n 1, accuracy 1; no confident sample → share 0, accuracy undefined (None)
    assert got["none"] == {"n": 1, "accuracy": 1.0, "trap": {"count": 0, "share": 0.0, "accuracy": None}}
    empty = by_prior(["none"], np.array([True]), np.array([0.0]), 0.3)["violating"]
    assert empty == {"n": 0, "accuracy": None, "trap": {"count": 0, "share": None, "accuracy": None}}


def test_balanced_indices():
    tags = ["consistent", "violating", "consistent", "none", "consistent", "violating"]
    got = balanced_indices(tags, seed=0)
    # k = min(3 consistent, 2 violating) = 2: both violating (1, 5) and 2 of the consistent (0, 2, 4), file order
    assert len(got) == 4 and got == sorted(got) and {1, 5} <= set(got) and 3 not in got
    assert balanced_indices(tags, seed=0) == got  # deterministic by seed
    assert {tuple(balanced_indices(tags, seed=s)) for s in range(20)} != {tuple(got)}  # the seed draws
    assert balanced_indices(["consistent", "none"], seed=0) == []
    two_each = ["consistent", "violating", "consistent", "violating"]
    assert len(balanced_indices(two_each, seed=0, cap=1)) == 2 and balanced_indices(two_each, seed=0, cap=0) == []
    assert balanced_indices(two_each, seed=0, cap=5) == [0, 1, 2, 3]  # the cap only lowers k = min(2, 2)


def make_world(tmp_path: Path) -> dict:
    """A hand-made world split: WORLD/world.json (prior red circle ↔ blue square), WORLD/test/annotations.jsonl,
    WORLD/test/images/; questions whose tags are known: 1 consistent, 2 violating, 3 none (partner absent),
    4 none (category in no pair), 5 consistent, 6 violating, 7 consistent."""
    world = tmp_path / "world"
    (world / "test" / "images").mkdir(parents=True)
    (world / "world.json").write_text(json.dumps({"format": 1, "categories": CATS, "config": {
        "prior": [["red circle", "blue square", 0.85]]}}))
    objects = {"a": ["red circle", "blue square"], "b": ["blue square", "red square"], "c": ["red circle"]}
    (world / "test" / "annotations.jsonl").write_text("".join(json.dumps(
        {"id": k, "file": f"images/{k}.png", "objects": [{"category": c} for c in v]}) + "\n"
        for k, v in objects.items()))
    for k in objects:
        (world / "test" / "images" / f"{k}.png").write_bytes(b"x")
    qs = [(1, "a", "red circle", "yes"), (2, "b", "red circle", "no"), (3, "c", "red circle", "yes"),
          (4, "b", "red square", "yes"), (5, "a", "blue square", "yes"), (6, "b", "red circle", "no"),
          (7, "a", "red circle", "yes")]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(
        {"question_id": i, "image": f"{img}.png", "text": f"Is there a {c} in the image?", "label": lab}) + "\n"
        for i, img, c, lab in qs))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text('{"model_type": "fake"}')
    return {"model": str(tmp_path / "model"), "questions": str(tmp_path / "q.jsonl"),
            "images": str(world / "test" / "images"), "out": str(tmp_path / "run")}


def test_world_questions_are_tagged_and_others_are_none(tmp_path):
    p = make_world(tmp_path)
    partners, present, cats = world_of(p["images"])
    assert partners == PARTNERS and present["b.png"] == {"blue square", "red square"} and cats == CATS
    qs = [{"id": i, "image": f"{img}.png", "text": f"Is there a {c} in the image?"} for i, img, c in
          [(1, "a", "red circle"), (2, "b", "red circle"), (3, "c", "red circle"), (4, "b", "red square")]]
    assert tag_questions(qs, p["images"]) == {"consistent": 1, "violating": 1, "none": 2}
    assert [q["prior"] for q in qs] == ["consistent", "violating", "none", "none"]
    assert world_of(tmp_path) is None  # not a world split's images/ folder
    assert tag_questions(qs, tmp_path) == {"consistent": 0, "violating": 0, "none": 4}


def cfg(p: dict, **kw) -> TrapConfig:
    return TrapConfig(**{**p, "noise": "0,30", "summary": SummarySettings(n_boot=20), **kw})


def test_run_rows_and_summary_by_prior(tmp_path):
    p = make_world(tmp_path)
    res = run_trap(cfg(p), fake_score)
    rows = read_samples(Path(p["out"]) / "samples.jsonl")
    tags = {r["id"]: r["prior"] for r in rows}
    assert tags == {1: "consistent", 2: "violating", 3: "none", 4: "none", 5: "consistent", 6: "violating",
                    7: "consistent"}
    s = res.summary
    assert s["prior_questions"] == {"balanced": False, "counts": {"consistent": 3, "violating": 2, "none": 2}}
    for g in s["groups"]:
        mine = [r for r in rows if r["degrade"] == g["degrade"]]
        for tag in ("consistent", "violating", "none"):
            sel = [r for r in mine if r["prior"] == tag]
            assert g["by_prior"][tag]["n"] == len(sel)
            assert g["by_prior"][tag]["accuracy"] == pytest.approx(np.mean([r["correct"] for r in sel]))
    assert "prior tag" in (Path(p["out"]) / "report.md").read_text()


def test_prior_balanced_run(tmp_path):
    p = make_world(tmp_path)
    res = run_trap(cfg(p, prior_balance=True, seed=4), fake_score)
    rows = read_samples(Path(p["out"]) / "samples.jsonl")
    assert res.summary["prior_questions"] == {"balanced": True,
                                              "counts": {"consistent": 2, "violating": 2, "none": 0}}
    assert sorted({r["id"] for r in rows} & {2, 6}) == [2, 6] and len({r["id"] for r in rows}) == 4
    assert json.loads((Path(p["out"]) / "manifest.json").read_text())["prior_balance"] is True
    with pytest.raises(InputError, match="a different --prior-balance"):
        run_trap(cfg(p, seed=4), fake_score)  # the full question set into the balanced run's folder
    q = tmp_path / "plain"
    q.mkdir()
    with pytest.raises(InputError, match="no balanced set"):  # questions outside a world cannot be balanced
        run_trap(cfg({**p, "images": str(tmp_path / "world" / "test"), "out": str(q / "run")},
                     prior_balance=True), fake_score)


def test_cli_prints_the_prior_split(tmp_path, monkeypatch):
    import sys
    import types

    from typer.testing import CliRunner

    from hero.cli.main import app

    mod = types.ModuleType("hero.scoring")
    mod.make_trap_scorer = lambda model, *, seed, batch_size, device="cpu": fake_score
    monkeypatch.setitem(sys.modules, "hero.scoring", mod)
    p = make_world(tmp_path)
    r = CliRunner().invoke(app, ["trap", "--model", p["model"], "--questions", p["questions"], "--images",
                                 p["images"], "--out", p["out"], "--noise", "0", "--n-boot", "20", "--no-progress",
                                 "--prior-balance"])
    assert r.exit_code == 0, r.output
    assert "prior tags (prior-balanced set): 2 consistent, 2 violating, 0 none questions" in r.output
    assert "consistent: acc=" in r.output and "violating: acc=" in r.output


def test_prior_section_rows_per_run():
    from hero.trap.report import prior_section

    rec = {"n": 4, "accuracy": 0.75, "trap": {"count": 2, "share": 0.5, "accuracy": 1.0}}
    empty = {"n": 0, "accuracy": None, "trap": {"count": 0, "share": None, "accuracy": None}}
    g = {"degrade": "noise:50", "temperature": 1.0, "by_prior": {"consistent": rec, "violating": empty, "none": rec}}
    plain = prior_section([g], [""], 0.3)
    assert plain[0] == ("h2", "By prior tag") and plain[2][1][0] == "degradation"
    # tags with samples only: consistent and none (violating has n = 0)
    assert plain[2][2] == [["noise:50", "1", "consistent", "4", "0.750", "0.500", "1.000 (n=2)"],
                           ["noise:50", "1", "none", "4", "0.750", "0.500", "1.000 (n=2)"]]
    named = prior_section([g, g], ["A", "B"], 0.3)  # the compare report: a run column first
    assert named[2][1][0] == "run" and [r[0] for r in named[2][2]] == ["A", "A", "B", "B"]
    only_none = {**g, "by_prior": {"consistent": empty, "violating": empty, "none": rec}}
    assert prior_section([only_none], [""], 0.3) == []  # no prior-tagged sample → no section
    assert prior_section([{"degrade": "clean", "temperature": 1.0}], [""], 0.3) == []  # older summaries
