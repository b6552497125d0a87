"""`hero eval --backend`: the generation backend registry (hero.evaluation.backends), its checks before anything
loads, and a registered backend driving a whole `hero eval pope` run. The vllm backend itself needs a GPU and is not
run here (docs/gpu.md)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hero.evaluation.backends import BACKENDS, check_backend, load
from hero.evaluation.config import DecodingConfig
from hero.hardware import Machine


def test_registry_lists_the_backends_and_what_they_do():
    assert BACKENDS.names()[:2] == ["hf", "vllm"]
    assert BACKENDS.meta("hf") == {"decodings": ("greedy", "sample", "vcd"), "package": None, "cuda": False}
    assert BACKENDS.meta("vllm") == {"decodings": ("greedy", "sample"), "package": "vllm", "cuda": True}


@pytest.mark.parametrize("name, decoding, machine, message", [
    ("vllm", "greedy", Machine(), "--backend vllm needs the 'vllm' package, which is not installed: pip install "
                                  "hero-vlm[vllm]"),
    ("vllm", "sample", Machine(packages=frozenset({"vllm"})), "--backend vllm generates on CUDA GPUs and none is "
                                                              "visible; use --backend hf"),
    ("vllm", "vcd", Machine(cuda=True, packages=frozenset({"vllm"})), "--backend vllm does not implement --decoding "
                                                                      "vcd (it does greedy, sample); use --backend hf"),
    ("tgi", "greedy", Machine(), "unknown generation backend 'tgi'; registered: hf, vllm"),
])
def test_check_backend_errors(name, decoding, machine, message):
    with pytest.raises(ValueError) as e:
        check_backend(name, decoding, machine)
    assert str(e.value) == message


def test_check_backend_passes_where_it_can_run():
    check_backend("hf", "vcd", Machine())
    check_backend("vllm", "greedy", Machine(cuda=True, packages=frozenset({"vllm"})))


def test_backend_in_the_identity_only_when_not_the_default(monkeypatch):
    assert "backend" not in DecodingConfig().identity()  # older run folders keep resuming
    monkeypatch.setattr("hero.evaluation.backends.machine", lambda: Machine(cuda=True, packages=frozenset({"vllm"})))
    assert DecodingConfig(backend="vllm", device="cpu").identity()["backend"] == "vllm"


class EchoGenerator:
    """A backend without a model: the text is the prompt's first word."""

    loads: list = []

    def __init__(self, model_dir, cfg, images_dir):
        EchoGenerator.loads.append((str(model_dir), cfg.backend))

    def generate(self, requests):
        return [{"image": r.image, "prompt": r.prompt, "text": r.prompt.split()[0], "n_tokens": 1, "stop": "eos"}
                for r in requests]


def test_a_registered_backend_runs_hero_eval_pope(tmp_path, monkeypatch):
    from eval_helpers import tiny_world
    from hero.cli.main import app

    BACKENDS.register("echo", decodings=("greedy",), package=None, cuda=False)("test_eval_backends:EchoGenerator")
    try:
        world = tiny_world(tmp_path / "world", n_test=2)
        model = tmp_path / "model"
        model.mkdir()
        (model / "config.json").write_text("{}")
        assert type(load(model, DecodingConfig(backend="echo"), world)).__name__ == "EchoGenerator"
        res = CliRunner().invoke(app, ["eval", "pope", "--model", str(model), "--images", str(world / "test/images"),
                                       "--questions", str(world / "test/pope/world_test_pope_random.json"),
                                       "--out", str(tmp_path / "run"), "--backend", "echo", "--no-progress"])
        assert res.exit_code == 0, res.output
        rows = [json.loads(x) for x in (tmp_path / "run/generations.jsonl").read_text().splitlines()]
        assert rows and all(r["text"] == "Is" for r in rows)  # POPE questions start "Is there ...?"
        assert EchoGenerator.loads[-1] == (str(model), "echo")
        assert json.loads((tmp_path / "run/manifest.json").read_text())["decoding"]["backend"] == "echo"
    finally:
        BACKENDS.unregister("echo")


def test_cli_refuses_vllm_before_loading(tmp_path, monkeypatch):
    from hero.cli.main import app

    monkeypatch.setattr("hero.evaluation.backends.machine", lambda: Machine())
    res = CliRunner().invoke(app, ["eval", "pope", "--model", str(tmp_path / "m"), "--images", str(tmp_path),
                                   "--questions", str(tmp_path / "q.json"), "--out", str(tmp_path / "run"),
                                   "--backend", "vllm"])
    assert (res.exit_code, res.output) == (2, "error: --backend vllm needs the 'vllm' package, which is not "
                                              "installed: pip install hero-vlm[vllm]\n")
    assert not (tmp_path / "run").exists()
