"""benchmarks/gpu_check.sh: fails fast without a GPU, its model is ~2 B parameters, and (slow) its whole flow runs on
the CPU in smoke mode (tiny model, fp32, no vLLM) — the plumbing, not the GPU numbers."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"


def _gpu_check_module():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU machine")
def test_fails_fast_without_a_gpu(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HERO_GPU_CHECK_SMOKE"}
    proc = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "out")], capture_output=True, text=True, timeout=60,
                          env={**env, "PYTHON": sys.executable})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == ("gpu_check: no NVIDIA GPU here (nvidia-smi missing or lists none); run this on a CUDA "
                           "machine\n")
    assert not (tmp_path / "out").exists()


def test_the_checked_model_has_about_two_billion_parameters():
    import torch
    from transformers import LlavaForConditionalGeneration

    from hero.model.build import ModelPreset, build_config

    mod = _gpu_check_module()
    config = build_config(ModelPreset(**mod.PRESET_2B), 64, 300, {"pad": 0, "eos": 1, "image": 2})
    with torch.device("meta"):
        n = sum(p.numel() for p in LlavaForConditionalGeneration(config).parameters())
    assert 1.9e9 < n < 2.1e9


@pytest.mark.slow
def test_smoke_run_on_the_cpu(tmp_path):
    env = {**os.environ, "HERO_GPU_CHECK_SMOKE": "1", "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "out")], capture_output=True, text=True, timeout=600,
                          env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for step in ("build", "trap", "grpo hf generate", "hero hf generate", "eval pope hf"):
        assert f'"step": "{step}"' in proc.stdout
    assert "HERO / GRPO step time ratio: " in proc.stdout and "== failed steps: 0" in proc.stdout
    assert (tmp_path / "out" / "gpu_check.json").is_file()
