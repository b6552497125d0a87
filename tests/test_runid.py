"""hero.runid: a training folder records its run's identity; another run (method, model, data, defining settings)
is refused before any model loads, budget-like settings may change on --resume, failed starts leave no folder."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hero.io import InputError
from hero.runid import check_identity, first_difference, training_folder
from rl_helpers import FAST, world_and_model


def test_first_difference_walks_nested_mappings_in_order():
    assert first_difference({"a": 1, "c": {"x": 1}}, {"a": 1, "c": {"x": 2}}) == ("c.x", 1, 2)
    assert first_difference({"a": 1}, {"a": 1, "b": 0}) == ("b", "(absent)", 0)
    assert first_difference({"a": 1, "z": 3}, {"a": 1}) == ("z", 3, "(absent)")
    assert first_difference({"m": "hero", "c": {"x": 1}}, {"m": "grpo", "c": {"x": 2}}) == ("m", "hero", "grpo")
    assert first_difference({"c": {"x": [0, 1]}}, {"c": {"x": [0, 1]}}) is None


def test_check_identity_refuses_another_run_or_an_unmarked_model_folder(tmp_path):
    out = tmp_path / "run"
    check_identity(out, {"method": "hero"})  # absent folder: fine
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    check_identity(out, {"method": "hero"})  # no model, no checkpoints: fine
    (out / "checkpoints").mkdir()
    with pytest.raises(InputError) as e:
        check_identity(out, {"method": "hero"})
    assert str(e.value) == (f"{out} holds checkpoints but no run.json (not written by this kind of hero run); use a "
                            f"new --out folder, or delete {out} to start over")
    (out / "run.json").write_text(json.dumps({"method": "hero", "config": {"seed": 0}}))
    check_identity(out, {"method": "hero", "config": {"seed": 0}})
    with pytest.raises(InputError) as e:
        check_identity(out, {"method": "grpo", "config": {"seed": 0}})
    assert str(e.value) == (f"{out} belongs to another training run (method was 'hero', now 'grpo'); refusing to mix "
                            f"runs in one folder — use a new --out folder, or delete {out} to start over")
    (out / "run.json").write_text('{"method": ')
    with pytest.raises(InputError, match=r"run.json:1: malformed JSON"):
        check_identity(out, {"method": "hero"})


def test_training_folder_removes_only_a_folder_it_created_that_holds_no_work(tmp_path):
    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError):
        with training_folder(fresh, {"method": "sft"}, tool="hero train sft"):
            assert json.loads((fresh / "run.json").read_text()) == {"method": "sft"}
            assert (fresh / ".lock").exists()
            raise RuntimeError("failed at step 0")
    assert not fresh.exists()
    with pytest.raises(RuntimeError):
        with training_folder(fresh, {"method": "sft"}, tool="hero train sft"):
            (fresh / "checkpoints" / "checkpoint-5").mkdir(parents=True)
            raise RuntimeError("killed at step 7")
    assert sorted(p.name for p in fresh.iterdir()) == ["checkpoints", "run.json"]  # resumable: kept, unlocked
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "run.json").write_text(json.dumps({"method": "nli"}))
    with pytest.raises(InputError):  # another run's folder that existed before: refused, left as it was
        with training_folder(mine, {"method": "sft"}, tool="hero train sft"):
            pass
    assert sorted(p.name for p in mine.iterdir()) == ["run.json"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return world_and_model(tmp_path_factory.mktemp("runid"))


def _rl_identity(method, model, world, out, **overrides):
    from hero.rl.run_parts import preflight, run_identity
    from hero.rl.settings import RLRunConfig, resolve

    run_kw, trainer_kw = resolve(method, {k: (v, "test") for k, v in {**FAST, **overrides}.items()})
    run = RLRunConfig(method=method, model=str(model), world=str(world), out=str(out), **run_kw)
    return run_identity(run, preflight(run, trainer_kw).args)


def test_rl_identity_keeps_defining_fields_and_drops_budget_ones(setup, tmp_path):
    world, model = setup
    base = _rl_identity("hero", model, world, tmp_path)
    assert base["method"] == "hero" and base["model"] == str(model.resolve()) and base["data"] == str(world.resolve())
    assert base["trainer"]["learning_rate"] == 1e-4 and "save_steps" not in base["trainer"]
    same = _rl_identity("hero", model, world, tmp_path, max_steps=7, budget_min=3.0, threads=2, progress=True,
                        resume=True, save_steps=5, logging_steps=3, report_to=[])
    assert first_difference(base, same) is None
    assert first_difference(base, _rl_identity("hero", model, world, tmp_path, learning_rate=2e-4)) == (
        "trainer.learning_rate", 1e-4, 2e-4)
    assert first_difference(base, _rl_identity("hero", model, world, tmp_path, sigmas=[0, 30])) == (
        "config.sigmas", [], [0.0, 30.0])
    assert first_difference(base, _rl_identity("grpo", model, world, tmp_path))[0] == "method"


def test_cli_refuses_another_method_in_a_run_folder_before_loading(setup, tmp_path, monkeypatch):
    import hero.model.load
    from hero.cli.main import app

    monkeypatch.setattr(hero.model.load, "load_vlm", lambda *a, **k: pytest.fail("a model was loaded"))
    world, model = setup
    out = tmp_path / "hero_run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps(_rl_identity("hero", model, world, out)))
    (out / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    common = ["--model", str(model), "--world", str(world), "--out", str(out)]
    for method in ("grpo", "dpo"):
        res = CliRunner().invoke(app, ["train", method, *common, "--resume"])
        assert (res.exit_code, res.output) == (2, f"error: {out} belongs to another training run (method was "
                                                  f"'hero', now '{method}'); refusing to mix runs in one folder — use "
                                                  f"a new --out folder, or delete {out} to start over\n")
    res = CliRunner().invoke(app, ["train", "sft", *common, "--style", "cot"])
    assert res.exit_code == 2 and "(method was 'hero', now 'sft')" in res.output
    legacy = tmp_path / "legacy"  # a model folder with checkpoints but no run identity
    (legacy / "checkpoints").mkdir(parents=True)
    (legacy / "model.safetensors").write_bytes(b"")
    res = CliRunner().invoke(app, ["train", "grpo", "--model", str(model), "--world", str(world), "--out",
                                   str(legacy)])
    assert (res.exit_code, res.output) == (2, f"error: {legacy} holds checkpoints but no run.json (not written by "
                                              f"this kind of hero run); use a new --out folder, or delete {legacy} "
                                              "to start over\n")
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints", "run.json"]  # untouched, lock released
