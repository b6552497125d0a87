"""CI's one representative end-to-end run: `hero demo --quick` through the real console script (slow)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_ci_smoke_demo_quick(tmp_path):
    out = tmp_path / "demo"
    cmd = [sys.executable, "-m", "hero.cli.main", "demo", "--quick", "--out", str(out), "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    assert {"SFT (CoT)", "SFT (answer-only)", "SFT+VCD", "SFT+TS", "SFT+T=0.5", "SFT+T=1.5", "DPO", "GRPO",
            "HERO"} == set(res["table"])
    assert set(res["table"]["HERO"]["trap"]) == {"0", "30", "50"}
    assert set(res["table"]["HERO"]["pope"]) == {"random", "popular", "adversarial"}
    assert set(res["paired"]) == {"HERO vs GRPO", "HERO vs SFT (CoT)", "HERO vs DPO"}
    assert {"diff", "ci", "p_mcnemar", "n", "all"} <= set(res["paired"]["HERO vs GRPO"])
    assert set(res["steps"]) == {"grpo", "hero", "dpo"} and res["matched_steps"]["leader"] == "hero"
    # the RL protocol: yes_no+nli with the world's NLI model; HERO hard negatives, GRPO the same gate
    p = res["protocol"]
    assert p["reward"] == "yes_no+nli" and p["gate"] == {"grpo": True, "hero": True, "dpo": False}
    assert p["hard_negatives"] == {"grpo": False, "hero": True, "dpo": False} and res["stages"]["nli"]["steps"] >= 1
    assert set(res["rl"]) == {"grpo", "hero", "dpo"} and res["rl"]["hero"]["steps"] == res["steps"]["hero"]
    assert res["rl"]["grpo"]["gated_share"] is not None and res["rl"]["hero"]["hard_negative_share"] is not None
    html = (out / "report.html").read_text()
    assert "Replication table" in html and "RL runs" in html and "data:image/png;base64," in html
    # A rerun resumes from the cache: every stage is reported as cached.
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.count(": cached") == len(res["stages"])
