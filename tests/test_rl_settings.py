"""Settings of `hero train grpo|hero|dpo`: type coercion, YAML with line numbers, --set, and errors naming the key."""

import pytest
from typer.testing import CliRunner

from hero.rl.settings import RLRunConfig, coerce, parse_set, read_yaml, resolve


def test_coerce_hand_values():
    assert coerce("1e-4", float) == 0.0001  # YAML reads 1e-4 (no dot) as a string
    assert coerce(3, float) == 3.0 and isinstance(coerce(3, float), float)
    assert coerce(2.0, int) == 2 and coerce("7", int) == 7
    assert coerce("false", bool) is False and coerce(True, bool) is True
    assert coerce("0,30,50", list[float]) == [0.0, 30.0, 50.0]
    assert coerce([0, 50], list[float]) == [0.0, 50.0]
    assert coerce(None, int | None) is None and coerce("none", str | None) is None
    assert coerce(5, int | str | None) == 5 and coerce("x", int | str | None) == "x"
    assert coerce("q_proj", list[str]) == ["q_proj"]
    for value, tp in (("abc", float), (1.5, int), ("maybe", bool), (True, int), ([1], str)):
        with pytest.raises(TypeError, match="expected"):
            coerce(value, tp)


def test_parse_set_and_yaml_lines(tmp_path):
    assert parse_set(["beta=0.1", "sigmas=[0, 50]", "gate=false", "weight_mode=none"]) == {
        "beta": (0.1, "--set beta=0.1"), "sigmas": ([0, 50], "--set sigmas=[0, 50]"),
        "gate": (False, "--set gate=false"), "weight_mode": ("none", "--set weight_mode=none")}
    with pytest.raises(ValueError, match="key=value"):
        parse_set(["beta"])
    f = tmp_path / "run.yaml"
    f.write_text("# settings\nlearning_rate: 1.0e-5\n\nbalancer: fixed\n")
    assert read_yaml(f) == {"learning_rate": (1e-5, f"{f}:2"), "balancer": ("fixed", f"{f}:4")}
    f.write_text("a: [1, 2\n")
    with pytest.raises(ValueError, match=r"run.yaml:\d+: malformed YAML"):
        read_yaml(f)
    f.write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="must be a mapping"):
        read_yaml(f)


def test_resolve_splits_run_and_trainer_fields():
    run, trainer = resolve("hero", {"budget_min": ("2", "x"), "sigmas": ("0,50", "x"), "beta": ("0.02", "x"),
                                    "gate": ("false", "x"), "learning_rate": ("1e-5", "x")})
    assert run == {"budget_min": 2.0, "sigmas": [0.0, 50.0]}
    assert resolve("hero", {"degrade": ("blur:1,noise:30+blur:1", "x")})[0] == {"degrade": ["blur:1", "noise:30+blur:1"]}
    assert trainer == {"beta": 0.02, "gate": False, "learning_rate": 1e-5}
    run, trainer = resolve("dpo", {"dpo_samples": (4, "x"), "beta": (0.2, "x"), "loss_type": (["sigmoid"], "x")})
    assert run == {"dpo_samples": 4} and trainer == {"beta": 0.2, "loss_type": ["sigmoid"]}


@pytest.mark.parametrize("method, key, value, match", [
    ("hero", "weight", "none", r"cfg.yaml:3: unknown field 'weight' for `hero train hero` \(did you mean 'weight_mode"),
    ("grpo", "weight_mode", "none", r"cfg.yaml:3: weight_mode is a HERO mechanism field; `grpo` has none.*grpo "
                                    r"takes only gate, gate_delta"),
    ("dpo", "gate", True, r"cfg.yaml:3: gate is a HERO mechanism field; `dpo` has none"),
    ("hero", "output_dir", "x", r"output_dir cannot be set \(it is OUT/checkpoints; set --out\)"),
    ("hero", "method", "grpo", "method cannot be set"),
    ("hero", "beta", "high", r"cfg.yaml:3: field 'beta': expected float, got 'high'"),
    ("dpo", "num_generations", 4, "unknown field 'num_generations' for `hero train dpo`"),
])
def test_resolve_errors_name_the_key_and_source(method, key, value, match):
    with pytest.raises(ValueError, match=match):
        resolve(method, {key: (value, "cfg.yaml:3")})


def test_run_config_validation():
    base = dict(method="hero", model="m", world="w", out="o")
    for bad, match in (({"reward": "nli"}, "needs nli_model"), ({"budget_min": 0}, "budget_min"),
                       ({"sigmas": [0, 300]}, r"\[0, 255\]"), ({"degrade": ["fog:1"]}, "registered ops"),
                       ({"dpo_samples": 1}, "dpo_samples"),
                       ({"method": "ppo"}, "method='ppo'")):
        with pytest.raises(ValueError, match=match):
            RLRunConfig(**{**base, **bad})
    assert RLRunConfig(**base, degrade=["blur:1.0", "30"]).degrade == ["blur:1", "noise:30"]  # canonical


def test_cli_reports_bad_keys_with_exit_2(tmp_path):
    from hero.cli.main import app

    cfg = tmp_path / "run.yaml"
    cfg.write_text("budget_min: 1\nlearning_rat: 0.001\n")
    runner = CliRunner()
    res = runner.invoke(app, ["train", "hero", "--model", "m", "--world", "w", "--out", "o", "--config", str(cfg)])
    assert res.exit_code == 2
    assert f"{cfg}:2: unknown field 'learning_rat'" in res.output and "did you mean 'learning_rate'" in res.output
    res = runner.invoke(app, ["train", "grpo", "--model", "m", "--world", "w", "--out", "o", "--set",
                              "balancer=fixed"])
    assert res.exit_code == 2 and "--set balancer=fixed: balancer is a HERO mechanism field" in res.output
    res = runner.invoke(app, ["train", "dpo", "--world", "w", "--out", "o"])
    assert res.exit_code == 2 and "missing --model" in res.output


def test_grpo_takes_the_gate_and_hard_negatives_as_fair_controls(tmp_path):
    from hero.rl.hero_config import HeroConfig
    from hero.rl.run_parts import trainer_args

    _, trainer = resolve("grpo", {"gate": ("true", "x"), "hard_negatives": ("true", "x"),
                                  "hard_negative_advantage": ("0.5", "x")})
    assert trainer == {"gate": True, "hard_negatives": True, "hard_negative_advantage": 0.5}
    base = dict(method="grpo", model="m", world="w", out=str(tmp_path / "o"))
    args, _ = trainer_args(RLRunConfig(**base), {"gate": True})
    # HeroGRPOTrainer with HERO's weight and balancer off, no entropy: GRPO + the gate, β fixed at HERO's β_0
    assert isinstance(args, HeroConfig) and args.gate and not args.hard_negatives
    assert (args.weight_mode, args.balancer, args.log_entropy, args.beta) == ("none", "fixed", False, 0.04)
    args, _ = trainer_args(RLRunConfig(**base), {"hard_negatives": True})
    assert isinstance(args, HeroConfig) and args.hard_negatives and not args.gate  # grpo's gate stays off
    args, _ = trainer_args(RLRunConfig(**base), {})
    assert type(args).__name__ == "GRPOConfig"  # unchanged: TRL's own GRPO when no control is asked


def test_cli_grpo_shows_gate_flag():
    from hero.cli.main import app

    res = CliRunner().invoke(app, ["train", "grpo", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "--gate" in res.output and "--weight-mode" not in res.output
