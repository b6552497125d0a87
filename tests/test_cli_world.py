"""`hero world` commands through the real CLI (typer's runner, same code path as the console script)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hero.cli.main import app

runner = CliRunner()


def test_build_pope_degrade_show(tmp_path):
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "w"), "--images", "20", "--eval-images", "40"])
    assert r.exit_code == 0, r.output
    assert "{'train': 20, 'val': 40, 'test': 40}" in r.output
    r = runner.invoke(app, ["world", "pope", "--annotations", str(tmp_path / "w/test/annotations.jsonl"),
                            "--out", str(tmp_path / "p"), "--num-images", "5", "--dataset", "mini"])
    assert r.exit_code == 0, r.output
    lines = (tmp_path / "p/mini_pope_adversarial.json").read_text().splitlines()
    assert len(lines) == 30 and json.loads(lines[0])["question_id"] == 1
    r = runner.invoke(app, ["world", "degrade", "--world", str(tmp_path / "w"), "--out", str(tmp_path / "d"),
                            "--ops", "noise:50,blur:1", "--limit", "2"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "d/noise_50").iterdir()) == ["test_000000.png", "test_000001.png"]
    r = runner.invoke(app, ["world", "show", "--world", str(tmp_path / "w")])
    assert json.loads(r.output)["splits"]["train"] == 20


def test_bad_input_is_one_clear_line(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"shapes": ["circle", "blob"]}))
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "w"), "--config", str(cfg)])
    assert r.exit_code == 2 and "unknown shape 'blob'" in r.output
    r = runner.invoke(app, ["world", "degrade", "--world", str(tmp_path / "nowhere"), "--out", str(tmp_path / "d")])
    assert r.exit_code == 2 and "not a built world" in r.output
    r = runner.invoke(app, ["world", "show", "--world", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "run `hero world build" in r.output


def test_build_from_an_earlier_world_json_keeps_its_config(tmp_path):
    assert runner.invoke(app, ["world", "build", "--out", str(tmp_path / "a"), "--images", "4", "--eval-images",
                               "4", "--seed", "3", "--set", "max_objects=3"]).exit_code == 0
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "b"), "--config", str(tmp_path / "a/world.json"),
                            "--images", "5"])
    assert r.exit_code == 0, r.output
    a, b = (json.loads((tmp_path / d / "world.json").read_text())["config"] for d in "ab")
    # the file's config is taken whole (seed 3, max_objects 3); the flag overrides train_images only
    assert {k for k in a if a[k] != b[k]} == {"train_images"} and b["seed"] == 3 and b["max_objects"] == 3
