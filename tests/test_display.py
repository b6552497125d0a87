"""Numbers printed by `hero trap` and `hero eval` show 3 decimals (hero.display); the JSON files keep full precision."""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path

from typer.testing import CliRunner

from hero.cli.main import app
from hero.display import number, rounded

runner = CliRunner()


def test_number_and_rounded():
    assert [number(x) for x in (0.7916666666666666, 7.0, -0.0, 0.0005, 0.00049, -4.2e-06, 12, None, math.nan)] == \
        ["0.792", "7.000", "0.000", "0.001", "0.00049", "-4.2e-06", "12", "—", "—"]
    assert rounded({"a": [0.7916666666666666, 1e-07, 3], "b": {"c": 2.5}, "d": "x"}) == \
        {"a": [0.792, 1e-07, 3], "b": {"c": 2.5}, "d": "x"}


def _sharpening(batch, degrade, temperature):
    """Entropy σ/100 (0 clean, 0.3 at σ=30); right on every clean image, wrong on every noisy one (labels: odd ids
    yes) → slopes 0.3/30 = 0.01 nats/level and -1/30 = -0.0333… /level."""
    from hero.degrade import Degradation

    sigma = Degradation.parse(degrade).sigma
    out = []
    for q in batch:
        yes = (q["id"] % 2 == 1) == (sigma == 0)
        out.append({"id": q["id"], "answer": "yes" if yes else "no", "p_yes": 0.9 if yes else 0.1,
                    "p_no": 0.1 if yes else 0.9, "entropy_binary": sigma / 100, "entropy_full": 1.0,
                    "reasoning": None, "parse_status": "ok"})
    return out


def test_trap_prints_3_decimals_and_keeps_full_precision_in_summary_json(tmp_path, monkeypatch):
    from test_trap_cli import _args
    from test_trap_run import make_inputs

    mod = types.ModuleType("hero.scoring")
    mod.make_trap_scorer = lambda *a, **k: _sharpening
    monkeypatch.setitem(sys.modules, "hero.scoring", mod)
    p = make_inputs(tmp_path, missing=())
    r = runner.invoke(app, _args(p))
    assert r.exit_code == 0, r.output
    assert "  trend T=1 noise: mean-entropy slope 0.010 nats/level, accuracy slope -0.033 /level\n" in r.output
    trend = json.loads((Path(p["out"]) / "summary.json").read_text())["trend"][0]
    assert math.isclose(trend["accuracy_slope"], -1 / 30, rel_tol=1e-12)  # the file keeps every digit


def test_eval_prints_3_decimals_of_the_scores(tmp_path, monkeypatch):
    monkeypatch.setattr("hero.evaluation.tasks.run_pope",
                        lambda cfg, progress, make_generator=None: {"accuracy": 0.7916666666666666, "n": 24})
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    (tmp_path / "images").mkdir()
    (tmp_path / "q.json").write_text("")
    r = runner.invoke(app, ["eval", "pope", "--model", str(tmp_path / "model"), "--images", str(tmp_path / "images"),
                            "--questions", str(tmp_path / "q.json"), "--out", str(tmp_path / "run")])
    assert r.exit_code == 0 and json.loads(r.stdout) == {"accuracy": 0.792, "n": 24}, r.output
