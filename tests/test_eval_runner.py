"""The generation cache of a `hero eval` run folder: resume equals an uninterrupted run, manifest refusal, repair."""

from __future__ import annotations

import json
import os

import pytest

from eval_helpers import one_thread, scrambled_model, tiny_world
from hero.evaluation.generate import DecodingConfig, Request, load_generator
from hero.evaluation.runner import GENERATIONS, make_manifest, pending, run_generations
from hero.io import RunLock
from hero.io import InputError

_threads = pytest.fixture(scope="module", autouse=True)(one_thread)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("runner")
    world = tiny_world(root / "world", n_test=7)
    model = scrambled_model(root / "model", world)
    images = world / "test" / "images"
    reqs = [Request(p.name, q) for p in sorted(images.iterdir())
            for q in ("Describe this image.", "Is there a red circle in the image?")]
    return model, images, reqs


class Interrupt(Exception):
    pass


def _run(out, setup, cfg=None, fail_after=None, calls=None):
    model, images, reqs = setup
    cfg = cfg or DecodingConfig(max_new_tokens=8, batch_size=4)
    real = load_generator(model, cfg, images)

    class Gen:
        def generate(self, batch):
            if calls is not None:
                calls.append(len(batch))
            if fail_after is not None and len(calls) > fail_after:
                raise Interrupt
            return real.generate(batch)

    return run_generations(out, reqs, make_manifest(model, images, cfg), Gen, cfg.batch_size)


def test_resume_after_interruption_equals_uninterrupted(setup, tmp_path):
    full = _run(tmp_path / "a", setup)
    calls: list[int] = []
    with pytest.raises(Interrupt):
        _run(tmp_path / "b", setup, fail_after=1, calls=calls)
    assert len((tmp_path / "b" / GENERATIONS).read_text().splitlines()) == 4  # the first batch was flushed
    calls.clear()
    resumed = _run(tmp_path / "b", setup, calls=calls)
    assert calls == [4, 4, 2]  # 14 requests − 4 done = 10 left, batches of 4
    assert (tmp_path / "a" / GENERATIONS).read_bytes() == (tmp_path / "b" / GENERATIONS).read_bytes()
    assert resumed == full
    calls.clear()
    _run(tmp_path / "b", setup, calls=calls)
    assert calls == []  # nothing left: the model is never asked


def test_cut_last_line_is_redone(setup, tmp_path):
    _run(tmp_path / "a", setup)
    text = (tmp_path / "a" / GENERATIONS).read_text()
    lines = text.splitlines(keepends=True)
    (tmp_path / "a" / GENERATIONS).write_text("".join(lines[:-1]) + lines[-1][:10])  # kill -9 mid-write
    calls: list[int] = []
    _run(tmp_path / "a", setup, calls=calls)
    assert calls == [1] and (tmp_path / "a" / GENERATIONS).read_text() == text


def test_other_settings_or_model_refused(setup, tmp_path):
    model, images, reqs = setup
    _run(tmp_path / "a", setup)
    with pytest.raises(InputError, match="refusing to mix"):
        _run(tmp_path / "a", setup, cfg=DecodingConfig(max_new_tokens=8, batch_size=4, degrade="noise:30"))
    other = tmp_path / "other_model"
    other.mkdir()
    (other / "config.json").write_text("{}")
    cfg = DecodingConfig(max_new_tokens=8, batch_size=4)
    with pytest.raises(InputError, match="model"):
        run_generations(tmp_path / "a", reqs, make_manifest(other, images, cfg), lambda: None, 4)
    # the batch size is not part of the identity (draws are per request)
    _run(tmp_path / "a", setup, cfg=DecodingConfig(max_new_tokens=8, batch_size=2))


def test_generations_without_manifest_refused(tmp_path, setup):
    model, images, reqs = setup
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / GENERATIONS).write_text("")
    with pytest.raises(InputError, match="not written by hero eval"):
        run_generations(tmp_path / "run", reqs, make_manifest(model, images, DecodingConfig()), lambda: None, 4)


def test_lock_held_by_a_live_process(tmp_path):
    (tmp_path / ".lock").write_text(str(os.getppid()))
    with pytest.raises(InputError, match="in use by another hero eval"):
        with RunLock(tmp_path, tool="hero eval"):
            pass
    (tmp_path / ".lock").write_text("999999999")  # dead owner: taken over
    with RunLock(tmp_path, tool="hero eval"):
        assert (tmp_path / ".lock").read_text() == str(os.getpid())
    assert not (tmp_path / ".lock").exists()


def test_pending_dedupes_in_order():
    r = [Request("a", "p"), Request("b", "p"), Request("a", "p"), Request("c", "q")]
    assert pending(r, {("b", "p")}) == [Request("a", "p"), Request("c", "q")]
    assert json.loads(json.dumps(list(Request("a", "p").key))) == ["a", "p"]
