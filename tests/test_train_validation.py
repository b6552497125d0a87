"""Every training command reports bad input as one `error:` line, exit 2, before any model
is loaded or built, and leaves no --out folder behind."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rl_helpers import world_and_model


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return world_and_model(tmp_path_factory.mktemp("validate"))


@pytest.fixture
def no_model(monkeypatch):
    """Loading or building any model is a test failure (exit 1 with a RuntimeError, not exit 2)."""
    import hero.model.build
    import hero.model.load
    import hero.rewards.nli_train

    def boom(*a, **k):
        raise RuntimeError("a model was loaded")

    for mod, name in ((hero.model.load, "load_vlm"), (hero.model.load, "load_model"),
                      (hero.rewards.nli_train, "build_nli_model"), (hero.model.build, "build_model")):
        monkeypatch.setattr(mod, name, boom)


def _run(args: list[str]):
    from hero.cli.main import app

    return CliRunner().invoke(app, args)


RL_CASES = [
    ("grpo", ["--lr", "-1"], "--lr: learning_rate=-1.0 must be > 0 (e.g. 1e-4)"),
    ("dpo", ["--lr", "-1"], "--lr: learning_rate=-1.0 must be > 0 (e.g. 1e-4)"),
    ("hero", ["--set", "learning_rate=nan"], "--set learning_rate=nan: learning_rate=nan must be > 0 (e.g. 1e-4)"),
    ("dpo", ["--batch-size", "0"], "--batch-size: per_device_train_batch_size=0 must be ≥ 1"),
    ("grpo", ["--set", "num_generations=1"],
     "--set num_generations=1: num_generations=1 must be ≥ 2 (GRPO compares the completions of a prompt)"),
    ("hero", ["--beta", "-0.1"], "--beta: beta=-0.1 must be ≥ 0 (0 = no KL term)"),
    ("hero", ["--save-steps", "0"], "--save-steps: save_steps=0.0 must be ≥ 1"),  # a float field in TRL
    ("hero", ["--max-steps", "-1"], "max_steps=-1: must be ≥ 0 (0 = no limit)"),
    ("hero", ["--sigmas", "300"],
     "sigmas=[300.0] / degrade=[]: noise:300: noise level σ must be in [0, 255] (0–255 pixel scale)"),
    ("grpo", ["--degrade", "blurx:1"], "sigmas=[] / degrade=['blurx:1']: unknown degradation 'blurx'; registered "
                                       "ops: noise, grain, blur, down, occlude (e.g. 'noise:30')"),
    ("hero", ["--split", "val"], "{world}/val: no images in this split; build the world with more images"),
]


@pytest.mark.parametrize("method,extra,message", RL_CASES)
def test_rl_bad_values_fail_before_the_model_loads(setup, tmp_path, no_model, method, extra, message):
    world, model = setup
    out = tmp_path / "out"
    res = _run(["train", method, "--model", str(model), "--world", str(world), "--out", str(out), *extra])
    assert (res.exit_code, res.output) == (2, f"error: {message.format(world=world)}\n")
    assert not out.exists()


def test_missing_folders_and_flags_fail_before_the_model_loads(setup, tmp_path, no_model):
    world, model = setup
    nope, out = tmp_path / "nope", tmp_path / "out"
    no_world = f"error: {nope}: not a built world (no world.json); run `hero world build --out {nope}`\n"
    no_model = (f"error: {nope}: model folder not found; pass a folder written by `hero model init` or "
                "`save_pretrained` (--model)\n")
    cases = [
        (["train", "hero", "--model", str(model), "--world", str(nope), "--out", str(out)], no_world),
        (["train", "dpo", "--model", str(nope), "--world", str(world), "--out", str(out)], no_model),
        (["train", "grpo", "--model", str(model), "--out", str(out)],
         "error: no training data: give --world DIR (a built world) or --data FILE --images DIR\n"),
        (["train", "sft", "--model", str(nope), "--world", str(world), "--style", "cot", "--out", str(out)], no_model),
        (["train", "sft", "--model", str(model), "--world", str(nope), "--style", "cot", "--out", str(out)], no_world),
        (["train", "sft", "--world", str(world), "--style", "cot", "--out", str(out)],
         "error: `hero train sft` needs --model (or `model:` in the --config file)\n"),
        (["train", "nli", "--world", str(nope), "--out", str(out)], no_world),
        (["model", "init", "--world", str(nope), "--out", str(out)], no_world),
    ]
    for args, message in cases:
        res = _run(args)
        assert (res.exit_code, res.output) == (2, message), args
        assert not out.exists(), args


def test_model_of_another_image_size_fails_before_loading(setup, tmp_path, no_model):
    import json

    world, model = setup
    other = tmp_path / "model64"
    other.mkdir()
    cfg = json.loads((model / "config.json").read_text())
    cfg["vision_config"]["image_size"] = 64
    (other / "config.json").write_text(json.dumps(cfg))
    for method in ("sft", "hero"):
        extra = ["--style", "cot"] if method == "sft" else []
        res = _run(["train", method, "--model", str(other), "--world", str(world), "--out", str(tmp_path / "o"),
                    *extra])
        assert (res.exit_code, res.output) == (2, f"error: {other}: the model takes 64px images but the world "
                                                  f"{world} has 32px; train a model for this world (`hero model "
                                                  f"init --world {world}`)\n")


SFT_NLI_CASES = [
    (["sft", "--style", "cot", "--lr", "-1"], "--lr -1.0: must be > 0"),
    (["sft", "--style", "cot", "--batch-size", "0"], "--batch-size 0: must be even and ≥ 2 (examples come in pairs)"),
    (["sft", "--style", "cot", "--max-steps", "-1"], "--max-steps -1: must be ≥ 0 (0 = no step limit)"),
    (["sft", "--style", "cot", "--save-steps", "0"], "--save-steps 0: must be ≥ 1"),
    (["nli", "--lr", "-1"], "--lr -1.0: must be > 0"),
    (["nli", "--batch-size", "0"], "--batch-size 0: must be ≥ 1"),
    (["nli", "--max-steps", "0"], "--max-steps 0: must be ≥ 1 (the learning-rate schedule spans them)"),
]


@pytest.mark.parametrize("args,message", SFT_NLI_CASES)
def test_sft_and_nli_bad_values_name_the_flag(setup, tmp_path, no_model, args, message):
    world, model = setup
    out = tmp_path / "out"
    model_arg = ["--model", str(model)] if args[0] == "sft" else []
    res = _run(["train", args[0], *model_arg, "--world", str(world), "--out", str(out), *args[1:]])
    assert (res.exit_code, res.output) == (2, f"error: {message}\n")
    assert not out.exists()
