"""The demo's VCD and temperature-scaling trap rows: their stages run on a tiny world and model, and the
replication table reads them (SFT+VCD, SFT+TS)."""

from __future__ import annotations

import json

import pytest

from eval_helpers import one_thread, scrambled_model

_threads = pytest.fixture(scope="module", autouse=True)(one_thread)


def test_vcd_and_tempscale_rows(tmp_path):
    from hero.demo.config import DemoConfig
    from hero.demo.pipeline import build_stages, paths, table_rows
    from hero.demo.run import collect_rows
    from hero.world import WorldConfig, build_world, pope_path

    cfg = DemoConfig(out=str(tmp_path / "demo"), quick=True)
    out = tmp_path / "demo"
    world = paths(out)["world"]
    build_world(WorldConfig(seed=1, train_images=0, val_images=8, test_images=8), world, progress=False)
    lines = pope_path(world, "test", "adversarial").read_text().splitlines()[:12]
    paths(out)["questions"].write_text("\n".join(lines) + "\n")
    scrambled_model(out / "sft_cot" / "model", world)  # an answer-style stand-in for CoT-SFT (plumbing only)
    stages = {s.name: s for s in build_stages(cfg)}
    names = [s.name for s in build_stages(cfg)]
    assert len(names) == len(set(names))  # SFT+TS shares SFT (CoT)'s eval stage: listed once
    results = {}
    for name in ("trap_sft_cot", "trap_sft_cot_vcd", "trap_sft_cot_val", "trap_sft_cot_ts"):
        d = out / name
        d.mkdir(parents=True)
        results[name] = stages[name].fn(d)
    val = json.loads((out / "trap_sft_cot_val" / "run" / "manifest.json").read_text())
    assert val["images"].endswith("val/images")
    assert json.loads((out / "trap_sft_cot_vcd" / "run" / "summary.json").read_text())["run"]["scorer"][
        "decoding"]["kind"] == "vcd"
    ts = json.loads((out / "trap_sft_cot_ts" / "run" / "summary.json").read_text())
    assert ts["tempscale"]["temperature"] == results["trap_sft_cot_ts"]["temperature"] > 0
    assert ts["tempscale"]["applied_run"].endswith("trap_sft_cot/run")
    rows = collect_rows(cfg, results)
    assert {"SFT+VCD", "SFT+TS"} <= {n for n, *_ in table_rows(cfg)}
    assert set(rows["SFT+VCD"]["trap"]) == {"0", "30", "50"} and set(rows["SFT+TS"]["trap"]) == {"0", "30", "50"}
