"""`hero demo` paired comparisons, matched optimizer steps and --seeds: worked values on hand-made answers and fake
run folders (no training)."""

from __future__ import annotations

import json

import pytest

from hero.demo import pipeline
from hero.demo.config import DemoConfig
from hero.demo.paired import paired, seed_answers, trap_answers
from hero.demo.seeds import all_matched, seed_config, spread, write_seeds
from hero.io import write_json_atomic

SEED0 = {"hero": ({"1": (True, 0.1), "2": (True, 0.5), "3": (False, 0.2)}, 0.3),
         "grpo": ({"1": (False, 0.0), "2": (True, 0.1), "3": (False, 0.1)}, 0.3)}
SEED1 = {"hero": ({"1": (True, 0.0)}, 0.3), "grpo": ({"1": (False, 0.0), "9": (True, 0.0)}, 0.3)}  # 9: GRPO only


def test_paired_pools_seeds_on_the_questions_both_answered():
    res = paired([SEED0, SEED1])
    assert set(res) == {"HERO vs GRPO"}  # no SFT / DPO answers: those pairs are left out, not zero
    r = res["HERO vs GRPO"]
    # paired questions (0,1) (0,2) (0,3) (1,1); HERO confident on (0,1) (0,3) (1,1), GRPO on all 4
    # own bins: HERO [1, 0, 1] = 2/3, GRPO [0, 1, 0, 0] = 1/4 → diff 2/3 − 1/4 = 5/12
    # both confident: HERO [1, 0, 1] = 2/3, GRPO [0, 0, 0] → diff 2/3, HERO only 2, GRPO only 0, p = 2 · 1/4
    assert (r["n"], r["n_bin_a"], r["n_bin_b"]) == (3, 3, 4)
    assert r["diff"] == pytest.approx(5 / 12) and r["intersection"]["diff"] == pytest.approx(2 / 3)
    assert (r["a_only"], r["b_only"]) == (2, 0) and r["p_mcnemar"] == 0.5
    # all 4: HERO 3/4, GRPO 1/4 → 0.5
    assert r["all"]["n"] == 4 and r["all"]["diff"] == pytest.approx(0.5)
    # seed 0 alone: own bins HERO [1, 0] = 1/2, GRPO [0, 1, 0] = 1/3 → 1/6; both confident [1, 0] vs [0, 0] → 1/2
    alone = paired([SEED0])["HERO vs GRPO"]
    assert alone["diff"] == pytest.approx(1 / 6) and alone["intersection"]["diff"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="different trap thresholds"):
        paired([SEED0, {**SEED1, "grpo": (SEED1["grpo"][0], 0.2)}])


def test_ablations_pair_with_hero():
    # diff = HERO − ablation: the ablation = SEED0's GRPO answers → the same numbers as HERO vs GRPO above (5/12)
    res = paired([{**SEED0, "hero_no_gate": SEED0["grpo"], "not_an_ablation": SEED0["grpo"]}])
    assert list(res) == ["HERO vs GRPO", "HERO vs hero_no_gate"]
    assert res["HERO vs hero_no_gate"]["diff"] == res["HERO vs GRPO"]["diff"] == pytest.approx(1 / 6)


def _trap_run(d, rows):
    d.mkdir(parents=True)
    write_json_atomic(d / "summary.json", {"entropy_field": "entropy_binary", "trap_threshold": 0.3})
    (d / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"summary": str(d / "summary.json")}


def _row(i, correct, h, degrade="noise:50", t=1.0):
    from hero.degrade import Degradation

    return {"id": i, "degrade": degrade, "sigma": Degradation.parse(degrade).sigma, "temperature": t,
            "correct": correct, "entropy_binary": h}


def test_trap_answers_keeps_sigma_50_at_t_1(tmp_path):
    _trap_run(tmp_path / "r", [_row(1, True, 0.1), _row(1, False, 0.2, "none"), _row(1, False, 0.2, t=0.5),
                               _row(2, False, 0.6, "blur:1")])
    assert trap_answers(tmp_path / "r") == ({"1": (True, 0.1)}, 0.3)
    old = {"id": 3, "sigma": 50, "temperature": 1.0, "correct": True, "entropy_binary": 0.0}  # an older run's row
    _trap_run(tmp_path / "g", [_row(1, True, 0.1, "grain:50"), _row(2, False, 0.6, "noise:30+blur:1")])
    assert trap_answers(tmp_path / "g") == ({"1": (True, 0.1)}, 0.3)  # grain's σ = 50 level: the same reading
    _trap_run(tmp_path / "o", [old])
    assert trap_answers(tmp_path / "o") == ({"3": (True, 0.0)}, 0.3)
    _trap_run(tmp_path / "both", [_row(1, True, 0.1, "grain:50"), _row(1, True, 0.1, "noise:50")])
    with pytest.raises(ValueError, match="grain:50 and noise:50 both have σ = 50; pair a run with one σ op"):
        trap_answers(tmp_path / "both")


def test_matched_steps_and_training_order(tmp_path):
    assert pipeline.matched_steps({"hero": 334, "grpo": 334, "dpo": 583}, "hero", ["grpo"])["matched"] is True
    assert pipeline.matched_steps({"hero": 334, "grpo": 300}, "hero", ["grpo"])["matched"] is False
    assert pipeline.matched_steps({"hero": 334}, "hero", ["grpo"])["matched"] is None
    # wall clock of the step-matched runs: 1.41 / 1.35 = 1.0444; a missing time → None
    assert pipeline.wall_clock_ratios({"hero": 1.35, "grpo": 1.41, "x": None}, "hero", ["grpo", "x"]) == {
        "grpo": 1.0444, "x": None}
    cfg = DemoConfig(out=str(tmp_path), ablations=True)
    assert [s for s, _, _ in pipeline.training_order(cfg)][:3] == ["hero", "grpo", "dpo"]
    assert pipeline.step_followers(cfg) == ["grpo", "hero_no_weight", "hero_no_gate", "hero_no_balancer",
                                            "hero_entropy_shuffle", "hero_constant_weight", "hero_fixed_final_beta",
                                            "hero_no_hard_negatives"]


def test_follower_runs_the_leaders_step_count(tmp_path, monkeypatch):
    import hero.rl.pipeline

    calls = []

    def fake_run_rl(method, model, world, out, **kw):
        calls.append((method, kw))
        return {"seconds": 6.0, "steps": kw.get("max_steps", 11)}

    monkeypatch.setattr(hero.rl.pipeline, "run_rl", fake_run_rl)
    cfg = DemoConfig(out=str(tmp_path), quick=True)  # RL share 0.09 · 2 min = 0.18 min
    with pytest.raises(RuntimeError, match="step leader 'hero'"):
        pipeline._rl(cfg, tmp_path, "grpo", "grpo", {})(tmp_path / "grpo")
    leader = pipeline._rl(cfg, tmp_path, "hero", "hero", {})(tmp_path / "hero")
    assert "max_steps" not in calls[-1][1] and calls[-1][1]["budget_min"] == pytest.approx(0.18)
    write_json_atomic(tmp_path / "hero" / "done.json", {"stage": "hero", "results": leader})
    res = pipeline._rl(cfg, tmp_path, "grpo", "grpo", {})(tmp_path / "grpo")
    assert calls[-1][1]["max_steps"] == 11 and calls[-1][1]["budget_min"] == pytest.approx(2 * 0.18)
    assert res["steps"] == 11 and res["matched_to"] == "hero" and res["train_minutes"] == 0.1
    assert calls[-1][1]["progress"] is True  # --no-progress reaches the RL trainers (their bars and log dicts)
    # the fair controls: GRPO gated (no hard negatives), HERO with hard negatives; both on yes_no+nli, gated on yes_no
    nli = str(tmp_path / "nli" / "model")
    assert {k: calls[-1][1].get(k) for k in ("reward", "gate", "hard_negatives", "gate_reward", "nli_model")} == {
        "reward": "yes_no+nli", "gate": True, "hard_negatives": None, "gate_reward": "yes_no_exact", "nli_model": nli}
    assert calls[0][1]["hard_negatives"] is True and "gate" not in calls[0][1] and calls[0][1]["nli_model"] == nli
    pipeline._rl(cfg, tmp_path, "dpo", "dpo", {})(tmp_path / "dpo")
    assert not {"reward", "nli_model", "gate", "hard_negatives"} & set(calls[-1][1])


def test_rl_settings_and_protocol(tmp_path):
    from hero.rl.settings import resolve

    cfg = DemoConfig(out=str(tmp_path), ablations=True, world_preset="default")  # i.i.d. noise: run_rl's own grid
    assert pipeline.rl_settings(cfg, "grpo", {}) == {"reward": "yes_no+nli", "gate": True,
                                                     "gate_reward": "yes_no_exact"}
    assert pipeline.rl_settings(cfg, "hero", {"gate": False}) == {
        "reward": "yes_no+nli", "hard_negatives": True, "entropy_source": "group", "gate": False,
        "gate_reward": "yes_no_exact"}
    span = DemoConfig(out=str(tmp_path), entropy_source="span", world_preset="default")  # HERO's (and its ablations') source, not GRPO's
    assert pipeline.rl_settings(span, "hero", {})["entropy_source"] == "span"
    assert "entropy_source" not in pipeline.rl_settings(span, "grpo", {})
    with pytest.raises(ValueError, match="--entropy-source 'marginal': use one of"):
        DemoConfig(out=str(tmp_path), entropy_source="marginal")
    assert pipeline.rl_settings(cfg, "dpo", {}) == {"learning_rate": 1e-5, "beta": 0.5}
    resolve("dpo", {k: (v, "dpo") for k, v in pipeline.rl_settings(cfg, "dpo", {}).items()})
    plain = DemoConfig(out=str(tmp_path), reward="yes_no", world_preset="default")
    assert pipeline.rl_settings(plain, "grpo", {}) == {"reward": "yes_no", "gate": True} and not plain.uses_nli
    assert "nli" not in [s.name for s in pipeline.build_stages(plain)] and cfg.uses_nli
    for method in ("grpo", "hero"):  # every setting is a real field of the method's trainer (grpo: a control)
        resolve(method, {k: (v, method) for k, v in pipeline.rl_settings(cfg, method, {}).items()})
    p = pipeline.protocol(cfg, "RULE")
    assert p["gate"] == {"grpo": True, "hero": True, "dpo": False, "hero_no_weight": True, "hero_no_gate": False,
                         "hero_no_balancer": True, "hero_entropy_shuffle": True, "hero_constant_weight": True,
                         "hero_fixed_final_beta": True, "hero_no_hard_negatives": True}
    assert p["hard_negatives"]["hero"] is True and p["hard_negatives"]["grpo"] is False
    assert p["hard_negatives"]["hero_no_hard_negatives"] is False and p["hard_negatives"]["dpo"] is False
    assert p["gate_reward"]["grpo"] == "yes_no_exact" and p["gate_reward"]["dpo"] is None
    assert p["reward"] == "yes_no+nli" and p["matched_steps_rule"] == "RULE"
    assert p["hero_entropy_source"] == "group" and p["dpo"] == {"learning_rate": 1e-5, "beta": 0.5}
    assert cfg.recorded() == {"seed": 0, "seeds": 1, "budget_min": 15.0, "quick": False, "ablations": True,
                              "reward": "yes_no+nli", "entropy_source": "group", "dpo_lr": 1e-5, "dpo_beta": 0.5,
                              "caption_frac": 0.1, "world_preset": "default", "noise_op": "noise"}
    grain = DemoConfig(out=str(tmp_path))  # the default: the trap world and its σ op grain, in every RL run
    assert grain.sigma_op == "grain" and grain.level_specs == ["none", "grain:30", "grain:50"]
    assert grain.recorded()["noise_op"] == "grain" and cfg.level_specs == ["none", "noise:30", "noise:50"]
    assert pipeline.rl_settings(grain, "grpo", {})["degrade"] == ["none", "grain:30", "grain:50"]
    assert pipeline.rl_settings(grain, "dpo", {})["degrade"] == ["none", "grain:30", "grain:50"]
    for method in ("grpo", "hero", "dpo"):
        resolve(method, {k: (v, method) for k, v in pipeline.rl_settings(grain, method, {}).items()})
    assert DemoConfig(out=str(tmp_path), world_preset="trap", noise_op="noise").level_specs[2] == "noise:50"
    with pytest.raises(ValueError, match="--noise-op 'blur': 'blur' is not a noise op with a σ level"):
        DemoConfig(out=str(tmp_path), noise_op="blur")
    assert pipeline.protocol(plain, "R")["gate_reward"]["hero"] == "sum" and pipeline.protocol(plain, "R")[
        "nli_model"] is None
    with pytest.raises(ValueError, match="--reward"):
        DemoConfig(out=str(tmp_path), reward="nli+yes_no")
    with pytest.raises(ValueError, match="unknown world preset 'hard'"):
        DemoConfig(out=str(tmp_path), world_preset="hard")
    with pytest.raises(ValueError, match="--caption-frac"):
        DemoConfig(out=str(tmp_path), caption_frac=0.5)


def test_world_stage_takes_the_preset(tmp_path):
    import json as _json

    cfg = DemoConfig(out=str(tmp_path), quick=True, world_preset="trap")
    pipeline._world(cfg, tmp_path)(tmp_path / "world")
    built = _json.loads((tmp_path / "world" / "world" / "world.json").read_text())["config"]
    assert (built["min_size"], built["max_size"], len(built["prior"])) == (14, 20, 7)


def test_seed_helpers(tmp_path):
    one = seed_config(DemoConfig(out=str(tmp_path / "d"), seed=3, seeds=2), 1)
    assert (one.seed, one.seeds, one.out) == (4, 1, str(tmp_path / "d" / "seed_4"))
    s = spread([0.8, None, 0.9, 1.0])  # sd = √((0.01 + 0 + 0.01) / 2) = 0.1
    assert s["mean"] == pytest.approx(0.9) and s["sd"] == pytest.approx(0.1) and s["n"] == 3
    assert spread([0.5])["sd"] is None and spread([])["mean"] is None
    assert all_matched([True, True]) is True and all_matched([True, None]) is None
    assert all_matched([None, False]) is False and all_matched([]) is None
    with pytest.raises(ValueError, match="--seeds 0: must be ≥ 1"):
        DemoConfig(out=str(tmp_path), seeds=0)


def _fake_seed(d, seed: int, answers: dict) -> dict:
    """One seed's results.json content with real (tiny) trap run folders under d."""
    stages = {f"trap_{m}": _trap_run(d / m, [_row(q, ok, h) for q, (ok, h) in a.items()])
              for m, (a, _) in answers.items()}
    return {"stages": stages, "table": {"HERO": {"trap": {"50": {"accuracy": 0.8 + 0.1 * seed}}}},
            "targets": [{"target": "t", "measured": 1, "status": "met"}], "minutes_stages": 1.5,
            "steps": {"hero": 5, "grpo": 5}, "paired": paired([seed_answers(stages)]),
            "rl": {"hero": {"steps": 5, "gated_share": 0.25 + seed}}, "protocol": {"reward": "yes_no+nli"},
            "matched_steps": {"leader": "hero", "followers": ["grpo"], "matched": True, "rule": "r"}}


def test_run_demo_runs_each_seed_in_its_folder(tmp_path, monkeypatch):
    import hero.demo.run

    seen = []

    def fake_run_one(cfg, log):
        seen.append((cfg.seed, cfg.seeds, cfg.out))
        return _fake_seed(tmp_path / "fake" / str(cfg.seed), cfg.seed - 5, (SEED0, SEED1)[cfg.seed - 5])

    monkeypatch.setattr(hero.demo.run, "run_one", fake_run_one)
    res = hero.demo.run.run_demo(DemoConfig(out=str(tmp_path / "out"), seed=5, seeds=2), log=lambda s: None)
    assert seen == [(5, 1, str(tmp_path / "out" / "seed_5")), (6, 1, str(tmp_path / "out" / "seed_6"))]
    assert res["seeds"] == [5, 6] and res["paired"]["HERO vs GRPO"]["n"] == 3
    assert (tmp_path / "out" / "results.json").is_file()


def test_write_seeds_pools_and_reports(tmp_path):
    per_seed = {seed: _fake_seed(tmp_path / f"s{seed}", seed, answers) for seed, answers in ((0, SEED0), (1, SEED1))}
    res = write_seeds(DemoConfig(out=str(tmp_path / "out"), seeds=2), per_seed, 120.0)
    assert res["paired"]["HERO vs GRPO"]["diff"] == pytest.approx(5 / 12)  # as in the pooled worked example
    assert res["paired_per_seed"]["0"]["HERO vs GRPO"]["diff"] == pytest.approx(1 / 6)
    assert res["steps"] == {"hero": {"0": 5, "1": 5}, "grpo": {"0": 5, "1": 5}} and res["matched_steps"]["matched"]
    assert res["table_sigma50"]["HERO"]["mean"] == pytest.approx(0.85) and res["minutes_stages"] == 3.0
    assert res["targets"][1]["target"] == "seed 1: t"
    html = (tmp_path / "out" / "report.html").read_text()
    assert "pooled over 2 seeds" in html and "seed_1/report.html" in html
    assert res["rl"]["1"]["hero"]["gated_share"] == 1.25 and res["protocol"] == {"reward": "yes_no+nli"}
    assert "hero (seed 1)" in html and "1.250" in html  # the RL runs table, one row per run and seed
    assert json.loads((tmp_path / "out" / "results.json").read_text())["paired"]["HERO vs GRPO"]["n"] == 3


def test_ablations_read_heros_mean_weight_and_final_beta(tmp_path, monkeypatch):
    import hero.rl.pipeline
    from hero.demo.config import ABLATIONS
    from hero.rl.settings import resolve

    assert pipeline.logged_mean([{"w": 1.0}, {"loss": 2}, {"w": 1.2}], "w") == pytest.approx(1.1)  # (1.0 + 1.2) / 2
    assert pipeline.logged_mean([{"loss": 2}], "w") is None
    calls = {}

    def fake_run_rl(method, model, world, out, **kw):
        calls[out.parent.name] = kw  # out = <stage dir>/model
        return {"seconds": 6.0, "steps": kw.get("max_steps")}

    monkeypatch.setattr(hero.rl.pipeline, "run_rl", fake_run_rl)
    (tmp_path / "hist.json").write_text(json.dumps([{"step": 1, "hero/weight_mean": 1.0},
                                                    {"step": 2, "hero/weight_mean": 1.3}]))
    write_json_atomic(tmp_path / "hero" / "done.json", {"stage": "hero", "results": {
        "steps": 9, "beta": 0.05, "log_history": str(tmp_path / "hist.json")}})
    cfg = DemoConfig(out=str(tmp_path), ablations=True)
    res = {stage: pipeline._rl(cfg, tmp_path, stage, "hero", ov)(tmp_path / stage)
           for stage, _, ov in pipeline.rl_methods(cfg)[3:]}  # the seven ablations
    assert all(calls[s]["max_steps"] == 9 and r["steps"] == 9 for s, r in res.items())
    assert calls["hero_constant_weight"]["constant_weight"] == pytest.approx(1.15)  # (1.0 + 1.3) / 2
    assert res["hero_fixed_final_beta"]["from_hero"] == {"beta": 0.05}
    assert calls["hero_fixed_final_beta"]["balancer"] == "fixed" and calls["hero_fixed_final_beta"]["beta"] == 0.05
    assert calls["hero_entropy_shuffle"]["entropy_shuffle"] is True and "beta" not in calls["hero_entropy_shuffle"]
    for stage, ov in ABLATIONS.items():  # every override names a real HeroConfig field with a valid value
        resolve("hero", {k: (v, stage) for k, v in {**ov, **pipeline.from_leader(stage, {
            "beta": 0.05, "log_history": str(tmp_path / "hist.json")})}.items()})


def test_nli_stage_trains_the_worlds_nli_model(tmp_path, monkeypatch):
    import hero.rewards.nli_train

    seen = {}

    def fake_train_nli(world, out, **kw):
        seen.update(world=world, out=out, **kw)
        return {"steps": kw["max_steps"], "stopped_by": "max_steps", "heldout_accuracy": 0.9, "train_seconds": 1.0}

    monkeypatch.setattr(hero.rewards.nli_train, "train_nli", fake_train_nli)
    cfg = DemoConfig(out=str(tmp_path), quick=True)  # NLI cap 0.06 · 2 min = 0.12 min, 40 steps
    res = pipeline._nli(cfg, tmp_path)(tmp_path / "nli")
    assert seen["out"] == pipeline.nli_dir(tmp_path) and seen["world"] == pipeline.paths(tmp_path)["world"]
    assert seen["max_steps"] == 40 and seen["budget_min"] == pytest.approx(0.12) and seen["threads"] == 1
    assert res["heldout_accuracy"] == 0.9 and res["model"] == str(tmp_path / "nli" / "model")
    assert DemoConfig(out=str(tmp_path)).nli_steps == 800
    assert [s.name for s in pipeline.build_stages(cfg)][:4] == ["world", "init", "nli", "sft_cot"]
