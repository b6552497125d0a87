"""`run_rl` / `hero train hero|grpo|dpo` end to end on a tiny world and a tiny random VLM (a few steps each)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback

from hero.io import InputError
from hero.rl.pipeline import run_rl
from rl_helpers import FAST, parity_reward, world_and_model


class Snapshot(TrainerCallback):
    """The weights a run starts training from (after a checkpoint is loaded)."""

    def on_train_begin(self, args, state, control, model=None, **kw):
        self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return world_and_model(tmp_path_factory.mktemp("rlrun"))


def test_hero_two_steps_writes_model_logs_and_resumes_beta(setup, tmp_path):
    from hero.model.load import load_vlm
    from hero.rl.balancer import AdaptiveController, BalancerState

    world, model = setup
    out = tmp_path / "hero"
    res = run_rl("hero", model, world, out, reward_funcs=[parity_reward], max_steps=2, save_steps=2, **FAST)
    assert res["steps"] == 2 and res["method"] == "hero" and res["prompts"] == 40 and res["seconds"] > 0
    logs = json.loads((out / "log_history.json").read_text())
    steps = [h for h in logs if "hero/beta" in h]
    assert [h["step"] for h in steps] == [1, 2]
    for key in ("reward", "kl", "hero/beta", "hero/gated_frac", "hero/weight_mean", "hero/skipped_update"):
        assert all(key in h for h in steps), key
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    loaded, _ = load_vlm(out)  # the final model loads and keeps the SFT style for hero.scoring
    assert loaded.config.hero_style == "cot" and loaded.config.hero_rl["steps"] == 2
    saved = json.loads((out / "checkpoints/checkpoint-2/hero_balancer.json").read_text())["state"]
    assert saved["beta"] == pytest.approx(res["beta"]) and saved["beta"] != 0.04
    summary = json.loads((out / "rl_summary.json").read_text())
    assert summary["steps"] == 2 and json.loads((out / "rl_config.json").read_text())["run"]["method"] == "hero"
    # what the run did, for a later run to read: final β and KL, the gated share (run_parts.rl_stats)
    assert summary["kl_final"] == pytest.approx(steps[-1]["kl"]) and summary["hard_negative_share"] is None
    assert summary["gated_share"] == pytest.approx(sum(h["hero/gated_frac"] for h in steps) / 2)

    # the folder is this run's (run.json): another method, or another learning rate, is refused before loading
    with pytest.raises(InputError, match="method was 'hero', now 'grpo'"):
        run_rl("grpo", model, world, out, resume=True, **FAST)
    with pytest.raises(InputError, match="trainer.learning_rate was 0.0001, now 0.0002"):
        run_rl("hero", model, world, out, resume=True, learning_rate=2e-4, **FAST)
    snap = Snapshot()
    again = run_rl("hero", model, world, out, reward_funcs=[parity_reward], max_steps=3, resume=True,
                   callbacks=[snap], **FAST)
    # resumed from the checkpoint's weights, not the start model's (transformers' Trainer alone would not convert
    # LLaVA's saved key layout back: issue 43701)
    ckpt, start = load_vlm(out / "checkpoints/checkpoint-2")[0].state_dict(), load_vlm(model)[0].state_dict()
    assert all(torch.equal(snap.weights[k], v) for k, v in ckpt.items())
    assert not all(torch.equal(snap.weights[k], v) for k, v in start.items())
    assert "language_model.model.embed_tokens.weight" in _keys(out)  # the final model: the standard saved layout
    assert again["resumed_from"].endswith("checkpoint-2") and again["steps"] == 3
    step3 = [h for h in json.loads((out / "log_history.json").read_text()) if "hero/beta" in h][-1]
    expected = AdaptiveController().step(BalancerState.from_dict(saved), step3["hero/kl"]).beta
    assert step3["step"] == 3 and again["beta"] == pytest.approx(expected, abs=1e-12)  # β continued from the save


def _keys(folder: Path) -> set[str]:
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        return set(f.keys())


def test_grpo_is_plain_trl_with_fixed_beta_and_the_verifier(setup, tmp_path):
    world, model = setup
    res = run_rl("grpo", model, world, tmp_path / "grpo", max_steps=1, save_strategy="no", **FAST)
    logs = json.loads((tmp_path / "grpo/log_history.json").read_text())
    assert res["steps"] == 1 and res["beta"] == 0.04  # HERO's β_0, never moved
    assert not any(k.startswith("hero/") for h in logs for k in h)
    assert "rewards/yes_no_exact/mean" in logs[0]  # the exact verifier against the world's labels


def test_grpo_with_the_gate_and_hard_negatives(setup, tmp_path):
    world, model = setup
    res = run_rl("grpo", model, world, tmp_path / "grpo", reward_funcs=[parity_reward], max_steps=1,
                 save_strategy="no", gate=True, hard_negatives=True, **FAST)
    config = json.loads((tmp_path / "grpo/rl_config.json").read_text())["trainer"]
    assert (config["gate"], config["weight_mode"], config["balancer"]) == (True, "none", "fixed")
    logs = json.loads((tmp_path / "grpo/log_history.json").read_text())
    assert "hero/gated_frac" in logs[0] and "hero/weight_mean" not in logs[0]
    summary = json.loads((tmp_path / "grpo/rl_summary.json").read_text())
    assert summary["method"] == "grpo" and summary["beta"] == 0.04 and summary["gated_share"] == logs[0][
        "hero/gated_frac"]
    assert summary["hard_negative_share"] == logs[0]["hero/hard_negative_frac"] and res["kl_final"] is not None


def test_resume_without_checkpoint_is_an_error(setup, tmp_path):
    world, model = setup
    with pytest.raises(ValueError, match="no checkpoint"):
        run_rl("hero", model, world, tmp_path / "none", resume=True, **FAST)
    with pytest.raises(ValueError, match="positional"):
        run_rl("hero", model, world, tmp_path / "x", model="m")


def test_cli_lora_one_step_from_yaml(setup, tmp_path):
    from typer.testing import CliRunner

    from hero.cli.main import app
    from hero.model.load import load_vlm

    world, model = setup
    cfg = tmp_path / "run.yaml"
    cfg.write_text("per_device_train_batch_size: 8\nnum_generations: 4\nmax_completion_length: 8\nthreads: 1\n"
                   "save_strategy: 'no'\nlora_r: 4\n")
    out = tmp_path / "lora"
    res = CliRunner().invoke(app, ["train", "hero", "--model", str(model), "--world", str(world), "--out", str(out),
                                   "--config", str(cfg), "--lora", "--max-steps", "1", "--no-progress",
                                   "--set", "gate=false", "--set", "report_to=[]"])
    assert res.exit_code == 0, res.output
    assert "hero: 1 steps" in res.output
    assert (out / "adapter" / "adapter_config.json").exists()
    assert json.loads((out / "adapter" / "adapter_config.json").read_text())["r"] == 4
    merged, _ = load_vlm(out)  # merged into a plain model
    assert type(merged).__name__ == "LlavaForConditionalGeneration" and merged.config.hero_rl["lora"] is True
    assert not (out / "tensorboard").exists()  # report_to=[] turns TensorBoard off


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["llava", "qwen2_5_vl"])
def test_accelerate_two_processes_hero_cli(setup, tmp_path, arch):
    """2 CPU processes (gloo) under torchrun, 2 steps of `hero train hero`: both ranks finish, rank 0 writes; on
    the project's LLaVA (SFT'd) and on a non-LLaVA family (a fresh tiny Qwen2.5-VL, `hero model init --arch`)."""
    from typer.testing import CliRunner

    from hero.cli.main import app

    world, model = setup
    if arch != "llava":
        model = tmp_path / arch
        res = CliRunner().invoke(app, ["model", "init", "--arch", arch, "--world", str(world), "--out", str(model)])
        assert res.exit_code == 0, res.output
    torchrun = Path(sys.executable).with_name("torchrun")
    out = tmp_path / "ddp"
    cmd = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "hero.cli.main", "train", "hero",
           "--model", str(model), "--world", str(world), "--out", str(out), "--max-steps", "2", "--no-progress",
           "--batch-size", "8", "--num-generations", "4", "--max-completion-length", "12", "--save-steps", "2",
           "--threads", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    logs = json.loads((out / "log_history.json").read_text())
    assert [h["step"] for h in logs if "hero/beta" in h] == [1, 2]
    assert (out / "checkpoints/checkpoint-2/hero_balancer.json").exists() and (out / "model.safetensors").exists()
    assert json.loads((out / "rl_summary.json").read_text())["processes"] == 2


@pytest.mark.parametrize("method", ["grpo", "hero"])
def test_every_grpo_method_refuses_a_nan_reward(setup, tmp_path, method):
    """Plain GRPO guards its rewards like HERO: TRL alone would train on NaN (rows with a NaN reward get
    advantage 0, so the update silently ignores them)."""

    def sometimes_nan(prompts, completions, **kwargs):
        return [float("nan")] + [1.0] * (len(completions) - 1)

    world, model = setup
    with pytest.raises(ValueError, match=r"reward function 'sometimes_nan' returned nan for sample 0"):
        run_rl(method, model, world, tmp_path / method, reward_funcs=[sometimes_nan], max_steps=1, **FAST)
