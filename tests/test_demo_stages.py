"""The demo's cached stage runner: caching, --force, crash-resume, ETA arithmetic."""

from __future__ import annotations

import json

import pytest

from hero.demo.config import DemoConfig
from hero.demo.stages import Stage, claim_folder, eta_seconds, run_stages
from hero.io import InputError


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


def test_a_folder_refuses_to_resume_with_other_settings(tmp_path):
    cfg = DemoConfig(out=str(tmp_path / "d"))
    claim_folder(tmp_path / "d", cfg.identity())
    claim_folder(tmp_path / "d", DemoConfig(out=str(tmp_path / "d"), ablations=True).identity())  # adds stages only
    other = DemoConfig(out=str(tmp_path / "d"), world_preset="default").identity()
    with pytest.raises(InputError, match=r"other settings \(noise_op: 'grain' then, 'noise' now; world_preset: 'trap' "
                                         r"then, 'default' now\); .* use a new --out, or --force all"):
        claim_folder(tmp_path / "d", other)
    claim_folder(tmp_path / "d", other, reset=True)  # --force all: every stage is redone under the new settings
    assert json.loads((tmp_path / "d" / "demo_config.json").read_text())["world_preset"] == "default"
    # a folder from before demo_config.json: its results.json config (world preset None = the default world, noise)
    old = {"seed": 0, "seeds": 1, "budget_min": 15.0, "quick": False, "ablations": False, "reward": "yes_no+nli",
           "entropy_source": "group", "dpo_lr": 1e-5, "dpo_beta": 0.5, "caption_frac": 0.1, "world_preset": None}
    assert DemoConfig.identity_of(old) == other
    with pytest.raises(InputError, match="world_preset: 'default' then, 'trap' now"):
        claim_folder(tmp_path / "e", cfg.identity(), DemoConfig.identity_of(old))
