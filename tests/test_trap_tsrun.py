"""`hero trap tempscale`: T fitted on a validation trap run, applied to a test run, written as a run folder that
`hero trap compare` reads (hero.trap.tsrun)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hero.cli.main import app
from hero.trap.run import TrapConfig, run_trap
from hero.trap.runfolder import read_samples
from hero.trap.summary import SummarySettings
from hero.trap.tsrun import TempScaleConfig, fit_on_rows, scale_rows, scaled_entropy
from test_trap_run import fake_score, make_inputs


def test_scaled_entropy_hand_values():
    # H(0.9) = −0.9 ln 0.9 − 0.1 ln 0.1 = 0.0948245 + 0.2302585 = 0.3250830; H(0.5) = ln 2; H(0) = H(1) = 0
    assert scaled_entropy(np.array([0.9, 0.5, 0.0, 1.0])) == pytest.approx([0.3250829734, math.log(2), 0, 0])


def test_scale_rows_hand_values():
    rows = [{"id": 1, "answer": "no", "p_yes": 0.75, "p_no": 0.25, "entropy_binary": 0.5, "entropy_full": 2.0},
            {"id": 2, "answer": "yes", "p_yes": 0.2, "p_no": 0.2, "entropy_binary": 0.69, "entropy_full": 3.0}]
    got = scale_rows(rows, 2.0)
    # row 1: z = ln(0.75 / 0.25) = ln 3; σ(ln 3 / 2) = √3 / (1 + √3) = 0.6339746; row 2: z = 0 → 0.5 at any T
    assert got[0]["p_yes"] == pytest.approx(math.sqrt(3) / (1 + math.sqrt(3)))
    assert got[0]["p_no"] == pytest.approx(1 / (1 + math.sqrt(3)))
    assert got[1]["p_yes"] == 0.5 and got[1]["entropy_binary"] == pytest.approx(math.log(2))
    assert [g["answer"] for g in got] == ["no", "yes"]  # answers (so correctness) are kept
    assert all(g["entropy_full"] is None and g["tempscale"] == 2.0 for g in got)
    assert rows[0]["p_yes"] == 0.75  # the input is not changed


def test_fit_on_rows_closed_form():
    # every z = ln 3 with 3 of 4 labels yes: T = c / logit(q) = ln 3 / ln 3 = 1 (already calibrated)
    rows = [{"p_yes": 0.75, "p_no": 0.25, "label": lab} for lab in ("yes", "yes", "yes", "no")]
    assert fit_on_rows(rows)["temperature"] == pytest.approx(1.0, abs=1e-6)
    # z = ln 9 (p 0.9) with 3 of 4 yes: T = ln 9 / ln 3 = 2 (over-confident → softened)
    rows = [{"p_yes": 0.9, "p_no": 0.1, "label": lab} for lab in ("yes", "yes", "yes", "no")]
    got = fit_on_rows(rows)
    assert got["temperature"] == pytest.approx(2.0, abs=1e-6) and got["fit_samples"] == 4
    assert got["fit_nll_after"] < got["fit_nll_before"]


def test_config_validation(tmp_path):
    with pytest.raises(ValueError, match="--apply is required"):
        TempScaleConfig(fit="a", apply="", out="c")
    with pytest.raises(ValueError, match="use --entropy binary"):
        TempScaleConfig(fit="a", apply="b", out="c", summary=SummarySettings(entropy="full"))
    with pytest.raises(ValueError, match="--out must be a new folder"):
        TempScaleConfig(fit="a", apply="b", out="b")
    with pytest.raises(ValueError, match="positive run temperature"):
        TempScaleConfig(fit="a", apply="b", out="c", temperature=0)


def _run(tmp_path: Path, name: str, **kw) -> str:
    p = make_inputs(tmp_path / name)
    run_trap(TrapConfig(**{**p, "noise": "0,30", "summary": SummarySettings(n_boot=20), **kw}), fake_score)
    return p["out"]


def test_cli_tempscale_then_compare(tmp_path):
    val, test = _run(tmp_path, "val"), _run(tmp_path, "test", seed=1)
    out = tmp_path / "ts"
    r = CliRunner().invoke(app, ["trap", "tempscale", "--fit", val, "--apply", test, "--out", str(out),
                                 "--n-boot", "20"])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    want = fit_on_rows([x for x in read_samples(Path(val) / "samples.jsonl")])["temperature"]
    assert s["tempscale"]["temperature"] == pytest.approx(want) and f"T = {want:.4f}" in r.output
    assert json.loads((out / "manifest.json").read_text())["tempscale"]["temperature"] == s["tempscale"]["temperature"]
    assert s["run"]["seed"] == 1 and s["schema"] == "hero.trap.summary/1" and (out / "report.html").is_file()
    rows, before = read_samples(out / "samples.jsonl"), read_samples(Path(test) / "samples.jsonl")
    assert [x["correct"] for x in rows] == [x["correct"] for x in before]  # only the confidences change
    assert s["groups"][0]["accuracy"] == json.loads((Path(test) / "summary.json").read_text())["groups"][0]["accuracy"]
    r = CliRunner().invoke(app, ["trap", "compare", test, str(out), "--out", str(tmp_path / "cmp"),
                                 "--names", "SFT,SFT+TS", "--n-boot", "20"])
    assert r.exit_code == 0, r.output
    assert "SFT+TS" in (tmp_path / "cmp" / "report.md").read_text()
    r = CliRunner().invoke(app, ["trap", "tempscale", "--fit", val, "--apply", test, "--out", str(tmp_path / "x"),
                                 "--temperature", "0.7"])
    assert r.exit_code == 2 and "no samples at run temperature 0.7" in r.output, r.output
