"""Behaviour kept across refactors: `hero trap --noise 0,30,50` on a fixed tiny model and seed gives the answers and
probabilities stored in tests/data/trap_reference.json (written by the code before the options / degradation-spec
refactor). Regenerate only on purpose: HERO_REGEN_REFERENCE=1 python -m pytest tests/test_trap_reference.py."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval_helpers import one_thread, scrambled_model, tiny_world
from hero.cli.main import app

_threads = pytest.fixture(scope="module", autouse=True)(one_thread)
REFERENCE = Path(__file__).parent / "data" / "trap_reference.json"
KEPT = ("answer", "p_yes", "p_no", "entropy_binary", "entropy_full", "reasoning", "parse_status", "correct")


def _run(tmp_path: Path, style: str) -> list[dict]:
    import torch  # noqa: F401  (model files are written by torch)
    from transformers import AutoConfig

    world = tiny_world(tmp_path / "world", n_test=6)
    model = scrambled_model(tmp_path / "model", world)
    if style == "cot":
        cfg = json.loads((model / "config.json").read_text())
        cfg["hero_style"] = "cot"
        (model / "config.json").write_text(json.dumps(cfg))
        AutoConfig.from_pretrained(model)  # still loads
    args = ["trap", "--model", str(model), "--questions", str(world / "test/pope/world_test_pope_adversarial.json"),
            "--images", str(world / "test/images"), "--out", str(tmp_path / "run"), "--noise", "0,30,50",
            "--seed", "3", "--batch-size", "8", "--n-boot", "20", "--no-progress"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    return sorted(({"id": r["id"], "sigma": r["sigma"], **{k: r[k] for k in KEPT}} for r in rows),
                  key=lambda r: (r["sigma"], str(r["id"])))


@pytest.mark.parametrize("style", ["answer", "cot"])
def test_trap_noise_matches_stored_reference(tmp_path, style):
    rows = _run(tmp_path, style)
    stored = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {}
    if os.environ.get("HERO_REGEN_REFERENCE") == "1":
        stored[style] = rows
        REFERENCE.write_text(json.dumps(stored, indent=1) + "\n")
    ref = stored[style]
    assert len(rows) == len(ref) and len(rows) > 0
    for got, want in zip(rows, ref):
        for k in ("id", "sigma", "answer", "reasoning", "parse_status", "correct"):
            assert got[k] == want[k], (k, got, want)
        for k in ("p_yes", "p_no", "entropy_binary", "entropy_full"):
            assert math.isclose(got[k], want[k], rel_tol=1e-5, abs_tol=1e-7), (k, got, want)
