"""`hero trap` checks its inputs before the model loads and leaves no folder behind it created for a failed run
(finished samples stay for the resume)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hero.trap.run import run_trap
from test_trap_cli import _args, _fake_scoring, runner
from test_trap_run import cfg_of, fake_score, make_inputs

from hero.cli.main import app


def test_a_scorer_failing_at_once_leaves_no_folder_a_later_failure_keeps_the_samples(tmp_path):
    p = make_inputs(tmp_path)
    calls: list = []

    def failing(batch, spec, t):
        calls.append(spec)
        if len(calls) > 1:
            raise RuntimeError("out of memory")
        return fake_score(batch, spec, t)

    def at_once(batch, spec, t):
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        run_trap(cfg_of(p), at_once)
    assert not Path(p["out"]).exists()
    with pytest.raises(RuntimeError):
        run_trap(cfg_of(p), failing)
    rows = (Path(p["out"]) / "samples.jsonl").read_text().splitlines()
    assert len(rows) == 3 and json.loads(rows[0])["id"] == 1  # batch_size 3: the first batch is kept
    assert run_trap(cfg_of(p), fake_score, report=False).n_skipped == 3


def test_model_folder_and_out_path_are_checked_before_the_model_loads(tmp_path, monkeypatch):
    calls: list = []
    _fake_scoring(monkeypatch, calls)
    p = make_inputs(tmp_path)
    (Path(p["model"]) / "config.json").unlink()
    r = runner.invoke(app, _args(p))
    assert r.output == f"error: {p['model']}: no config.json — not a Hugging Face model folder (--model)\n"
    (Path(p["model"]) / "config.json").write_text("{}")
    Path(p["out"]).write_text("x")
    r = runner.invoke(app, _args(p))
    assert r.output == f"error: {p['out']}: is a file, but a folder is expected (--out); pass a new folder path\n"
    assert calls == []


def test_threads_apply_for_the_run_and_auto_follows_the_load(tmp_path, monkeypatch):
    import os
    import sys

    import torch

    seen: list = []
    _fake_scoring(monkeypatch, [])
    sys.modules["hero.scoring"].make_trap_scorer = lambda *a, **k: lambda b, s, t: (
        seen.append(torch.get_num_threads()) or fake_score(b, s, t))
    before = torch.get_num_threads()
    p = make_inputs(tmp_path)
    assert runner.invoke(app, _args(p, "--threads", "3")).exit_code == 0
    assert set(seen) == {3} and torch.get_num_threads() == before
    seen.clear()
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))  # loaded machine: auto = 1 thread
    assert runner.invoke(app, _args(make_inputs(tmp_path / "b"), "--threads", "0")).exit_code == 0
    assert set(seen) == {1}
    r = runner.invoke(app, _args(p, "--threads", "-1"))
    assert r.output == ("error: --threads -1: give a number of CPU threads ≥ 1, or 0 for auto (every core when the "
                        "machine is idle, 1 when it is loaded)\n")
