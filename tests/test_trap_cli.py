"""`hero trap` and `hero trap compare` through the real CLI (typer), with a fake hero.scoring module."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hero.cli.main import app
from test_trap_run import fake_score, make_inputs

runner = CliRunner()


def _args(p: dict, *extra: str) -> list[str]:
    return ["trap", "--model", p["model"], "--questions", p["questions"], "--images", p["images"],
            "--out", p["out"], "--noise", "0,30", "--n-boot", "50", "--no-progress", *extra]


def _fake_scoring(monkeypatch, calls: list) -> None:
    mod = types.ModuleType("hero.scoring")

    def make_trap_scorer(model, *, seed, batch_size, device="cpu"):
        calls.append((model, seed, batch_size))
        return fake_score

    mod.make_trap_scorer = make_trap_scorer
    monkeypatch.setitem(sys.modules, "hero.scoring", mod)


def test_trap_run_and_compare(tmp_path, monkeypatch):
    calls: list = []
    _fake_scoring(monkeypatch, calls)
    p1, p2 = make_inputs(tmp_path / "a"), make_inputs(tmp_path / "b")
    r = runner.invoke(app, _args(p1))
    assert r.exit_code == 0, r.output
    assert "degrade=noise:30,T=1.0" in r.output and "image is missing" in r.output and "img3.png" in r.output
    assert calls == [(p1["model"], 0, 64)]
    assert json.loads((Path(p1["out"]) / "summary.json").read_text())["n_samples"] == 14
    assert runner.invoke(app, _args(p2)).exit_code == 0
    r = runner.invoke(app, ["trap", "compare", p1["out"], p2["out"], "--out", str(tmp_path / "cmp"),
                            "--names", "SFT,HERO", "--n-boot", "50"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "cmp" / "report.html").is_file() and (tmp_path / "cmp" / "compare.json").is_file()
    assert "| entropy bin (nats) | SFT | HERO |" in (tmp_path / "cmp" / "report.md").read_text()
    r = runner.invoke(app, [*_args(p1), "--degrade", "blur:1", "--degrade", "noise:30+blur:1"])
    assert r.exit_code == 0, r.output
    assert "degrade=blur:1,T=1.0" in r.output and "degrade=noise:30+blur:1,T=1.0" in r.output
    assert "scored 14 new samples, 14 already done" in r.output


def test_trap_bad_input_fails_before_the_model_loads(tmp_path, monkeypatch):
    calls: list = []
    _fake_scoring(monkeypatch, calls)
    p = make_inputs(tmp_path)
    r = runner.invoke(app, _args(p, "--entropy", "nats"))
    assert r.exit_code == 2 and "unknown --entropy kind 'nats'" in r.output
    r = runner.invoke(app, [*_args(p)[:-5], "--noise", "0,x"])
    assert r.exit_code == 2 and "--noise: field 'noise': expected float, got 'x'" in r.output
    Path(p["questions"]).write_text('{"question_id": 1, "image": "img1.png", "text": "?", "label": "maybe"}\n')
    r = runner.invoke(app, _args(p))
    assert r.exit_code == 2 and "question 1 has label 'maybe'" in r.output
    assert calls == []  # never got to the scorer
    r = runner.invoke(app, ["trap", "--model", p["model"], "--out", p["out"]])
    assert r.exit_code == 2 and "`hero trap` needs --questions" in r.output


def test_compare_of_a_folder_that_is_no_run(tmp_path):
    r = runner.invoke(app, ["trap", "compare", str(tmp_path), "--out", str(tmp_path / "c")])
    assert r.exit_code == 2 and "not a hero trap run folder" in r.output


def test_a_run_that_would_score_nothing_is_an_error_and_leaves_nothing(tmp_path, monkeypatch):
    calls: list = []
    _fake_scoring(monkeypatch, calls)
    p = make_inputs(tmp_path, n=4, missing=(1, 2, 3, 4))
    r = runner.invoke(app, _args(p))
    assert r.exit_code == 2 and calls == [] and not Path(p["out"]).exists()
    assert r.output == (f"error: {p['questions']}: the images of all 4 question(s) are missing under {p['images']} "
                        "(--images), e.g. img1.png, img2.png, img3.png; nothing would be scored — point --images at "
                        "the folder that holds them\n")
    from hero.io import InputError
    from hero.trap.run import run_trap
    from test_trap_run import cfg_of

    with pytest.raises(InputError, match="nothing would be scored"):
        run_trap(cfg_of(p), fake_score)
    assert not Path(p["out"]).exists()
