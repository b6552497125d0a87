"""`hero eval` checks everything before the model loads, names only flags the command has, and a failed run leaves
no folder it created (finished generations stay). The model loader is replaced by one that fails the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval_helpers import tiny_world
from hero.cli.main import app
from hero.trap.runfolder import removed_on_failure

runner = CliRunner()


@pytest.fixture
def no_model(monkeypatch):
    def load(*a, **k):
        raise AssertionError("the model must not load")

    monkeypatch.setattr("hero.evaluation.generate.load_generator", load)
    monkeypatch.setattr("hero.evaluation.tasks.load_generator", load)


def _model(tmp_path: Path) -> Path:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    return tmp_path / "model"


def _world_args(model: Path, world: Path, out: Path) -> list[str]:
    return ["eval", "world", "--model", str(model), "--world", str(world), "--out", str(out), "--no-progress"]


def test_world_errors_name_world_not_images_or_questions_and_leave_no_folder(tmp_path, no_model):
    world, model, out = tiny_world(tmp_path / "world", n_test=4), _model(tmp_path), tmp_path / "run"
    (world / "test" / "images" / "test_000002.png").unlink()
    r = runner.invoke(app, _world_args(model, world, out))
    pope = world / "test" / "pope" / "world_test_pope_random.json"
    assert r.exit_code == 2 and r.stderr.startswith(f"error: {pope}: ") and r.stderr.endswith(
        f"question(s) name images missing under {world / 'test' / 'images'} (--world), e.g. test_000002.png\n")
    assert "--images" not in r.stderr and not out.exists()  # RUN/data was exported, then removed again
    pope.unlink()
    r = runner.invoke(app, _world_args(model, world, out))
    assert r.stderr == (f"error: {pope}: the world's test POPE file is missing (--world); rebuild it with "
                        f"`hero world build --out {world}`\n")
    assert "--questions" not in r.stderr and not out.exists()


def test_a_failed_run_never_removes_a_folder_that_was_there(tmp_path, no_model):
    world, model, out = tiny_world(tmp_path / "world", n_test=4), _model(tmp_path), tmp_path / "run"
    (world / "test" / "images" / "test_000002.png").unlink()
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert runner.invoke(app, _world_args(model, world, out)).exit_code == 2
    assert (out / "notes.txt").read_text() == "mine"


def test_removed_on_failure_keeps_finished_work_and_foreign_folders(tmp_path):
    for results, kept in (("", False), ('{"id": 1}\n', True)):
        out = tmp_path / f"run{int(kept)}"
        with pytest.raises(KeyboardInterrupt), removed_on_failure(out):
            out.mkdir()
            (out / "manifest.json").write_text("{}")
            (out / "generations.jsonl").write_text(results)
            raise KeyboardInterrupt
        assert out.exists() == kept
    with removed_on_failure(tmp_path / "ok") as out:
        out.mkdir()
    assert out.is_dir()  # success: nothing removed
    with pytest.raises(ValueError), removed_on_failure(tmp_path / "ok"):
        raise ValueError
    assert out.is_dir()  # existed before the block


def test_amber_checks_the_spacy_model_before_the_model_loads(tmp_path, no_model):
    from hero.world.export import export_amber

    world, model = tiny_world(tmp_path / "world", n_test=4), _model(tmp_path)
    export_amber(world, "test", tmp_path / "amber")
    args = ["eval", "amber", "--model", str(model), "--images", str(world / "test" / "images"), "--queries",
            str(tmp_path / "amber" / "query_all.json"), "--amber-data", str(tmp_path / "amber"), "--out",
            str(tmp_path / "run"), "--similarity-model", "en_core_web_nonexistent", "--no-progress"]
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "spaCy model 'en_core_web_nonexistent' is not installed" in r.stderr, r.output
    assert not (tmp_path / "run").exists()


def test_out_that_is_a_file_and_a_judge_without_config_are_refused_up_front(tmp_path, no_model):
    world, model = tiny_world(tmp_path / "world", n_test=4), _model(tmp_path)
    (tmp_path / "file").write_text("x")
    r = runner.invoke(app, _world_args(model, world, tmp_path / "file"))
    assert r.stderr == f"error: {tmp_path / 'file'}: is a file, but a folder is expected (--out); pass a new folder path\n"
    (tmp_path / "judge").mkdir()
    coco = tmp_path / "instances.json"
    coco.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    r = runner.invoke(app, ["eval", "throne", "--model", str(model), "--images", str(world / "test" / "images"),
                            "--coco-annotations", str(coco), "--judge", str(tmp_path / "judge"), "--out",
                            str(tmp_path / "run")])
    assert r.exit_code == 2 and "no config.json — not a seq2seq judge model folder (--judge)" in r.stderr, r.output


def test_eval_threads_apply_for_the_run(tmp_path, monkeypatch):
    import torch

    seen: list = []

    def fake_pope(cfg, progress, make_generator=None):
        seen.append(torch.get_num_threads())
        return {"benchmark": "pope", "accuracy": 0.7916666666666666}

    monkeypatch.setattr("hero.evaluation.tasks.run_pope", fake_pope)
    model, images = _model(tmp_path), tmp_path / "images"
    images.mkdir()
    (tmp_path / "q.json").write_text("")
    before = torch.get_num_threads()
    r = runner.invoke(app, ["eval", "pope", "--model", str(model), "--images", str(images), "--questions",
                            str(tmp_path / "q.json"), "--out", str(tmp_path / "run"), "--threads", "3"])
    assert r.exit_code == 0 and seen == [3] and torch.get_num_threads() == before, r.output
    world = tiny_world(tmp_path / "w", n_test=4)
    r = runner.invoke(app, _world_args(model, world, tmp_path / "r") + ["--threads", "-2"])
    assert r.exit_code == 2 and r.stderr.startswith("error: --threads -2: give a number of CPU threads ≥ 1"), r.output
