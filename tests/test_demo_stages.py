"""The demo's cached stage runner: caching, --force, crash-resume, ETA arithmetic."""

from __future__ import annotations

import pytest

from hero.demo.stages import Stage, eta_seconds, run_stages


def test_eta_scales_remaining_estimates_by_observed_speed():
    # estimates [10, 20, 30]; 1 stage done, estimated 10 s, took 20 s → scale 2 → 2 · (20 + 30) = 100
    assert eta_seconds([10, 20, 30], 1, 20.0, 10.0) == 100.0
    assert eta_seconds([10, 20, 30], 0, 0.0, 0.0) == 60.0


def test_stages_cache_force_and_resume_after_crash(tmp_path):
    calls = []

    def ok(name):
        def fn(d):
            calls.append(name)
            (d / "out.txt").write_text(name)
            return {"value": len(calls)}
        return fn

    def boom(d):
        calls.append("boom")
        raise RuntimeError("crash in the middle")

    with pytest.raises(RuntimeError):
        run_stages([Stage("a", ok("a")), Stage("b", boom)], tmp_path, log=lambda s: None)
    assert calls == ["a", "boom"] and not (tmp_path / "b" / "done.json").exists()
    res = run_stages([Stage("a", ok("a")), Stage("b", ok("b"))], tmp_path, log=lambda s: None)
    assert calls == ["a", "boom", "b"]  # a was cached, b redone
    assert res["a"]["value"] == 1 and res["b"]["value"] == 3 and "seconds" in res["b"]
    run_stages([Stage("a", ok("a")), Stage("b", ok("b"))], tmp_path, force=["a"], log=lambda s: None)
    assert calls[-1] == "a"
    with pytest.raises(ValueError, match="unknown stage"):
        run_stages([Stage("a", ok("a"))], tmp_path, force=["zzz"], log=lambda s: None)
