"""`hero eval` end to end through the CLI on a tiny model and world; bad input is one `error:` line, exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval_helpers import one_thread, scrambled_model, tiny_world
from hero.cli.main import app
from hero.display import number

_threads = pytest.fixture(scope="module", autouse=True)(one_thread)
runner = CliRunner()
METRICS = {"accuracy", "precision", "recall", "f1", "yes_ratio"}
FAST = ["--max-new-tokens", "6", "--batch-size", "32", "--no-progress"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    world = tiny_world(root / "world", n_test=20)
    return world, scrambled_model(root / "model", world)


def _pope_args(world, model, out, *splits):
    args = ["eval", "pope", "--model", str(model), "--images", str(world / "test" / "images"), "--out", str(out)]
    for s in splits:
        args += ["--questions", str(world / "test" / "pope" / f"world_test_pope_{s}.json")]
    return args + FAST


def test_eval_pope_end_to_end_and_rescored_by_hero_score(setup, tmp_path):
    world, model = setup
    res = runner.invoke(app, _pope_args(world, model, tmp_path / "run", "random", "popular"))
    assert res.exit_code == 0, res.output
    scores = json.loads(res.stdout)
    assert set(scores["splits"]) == {"random", "popular"} and set(scores["mean"]) == METRICS
    assert METRICS <= set(scores["splits"]["random"]) and scores["decoding"]["decoding"] == "greedy"
    answers = tmp_path / "run" / "pope" / "answers_random.jsonl"
    row = json.loads(answers.read_text().splitlines()[0])
    assert set(row) == {"question_id", "prompt", "text", "category"}
    again = runner.invoke(app, ["score", "pope", "--labels", str(world / "test/pope/world_test_pope_random.json"),
                                "--answers", str(answers), "--out", str(tmp_path / "rescored.json")])
    assert again.exit_code == 0, again.output
    rescored = json.loads((tmp_path / "rescored.json").read_text())  # full precision (stdout: 3 decimals)
    saved = json.loads((tmp_path / "run" / "pope" / "scores.json").read_text())
    assert {k: rescored[k] for k in METRICS} == {k: saved["splits"]["random"][k] for k in METRICS}
    assert {k: scores["splits"]["random"][k] for k in METRICS} == {k: float(f"{saved['splits']['random'][k]:.3f}")
                                                                   for k in METRICS}


def test_eval_world_end_to_end(setup, tmp_path):
    world, model = setup
    args = ["eval", "world", "--model", str(model), "--world", str(world), "--out", str(tmp_path / "run"),
            "--throne", "--decoding", "vcd", "--temperature", "0"] + FAST
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "POPE adversarial" in res.stdout and "AMBER  CHAIR" in res.stdout and "THRONE class" in res.stdout
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    chair = results["chair"]
    assert f"CHAIR  CHAIR_s {number(chair['CHAIRs'])}  CHAIR_i {number(chair['CHAIRi'])}  (captions" in res.stdout
    assert set(results["pope"]["splits"]) == {"random", "popular", "adversarial"}
    assert {"CHAIR", "Cover", "Hal", "Cog", "Accuracy", "F1", "Existence", "Attribute", "AMBER_score"} \
        <= set(results["amber"])
    assert results["amber"]["n_generative"] == 20 and results["amber"]["n_discriminative"] > 0
    assert {"CHAIRs", "CHAIRi", "n_mentions"} <= set(results["chair"]) and results["chair"]["synonym_bigrams"]
    assert set(results["throne"]["micro"]["thresholds"]) == {"2", "3"}  # 1 rule judge × 3 formats = 3 votes
    assert results["throne"]["prompt"] == "Describe this image in detail."  # the official prompt by default
    assert results["decoding"] == {"decoding": "vcd", "temperature": 0.0, "vcd_alpha": 1.0, "vcd_beta": 0.1,
                                   "vcd_step": 500, "noise": 0.0, "max_new_tokens": 6, "seed": 0, "dtype": "float32"}
    # AMBER's captions and CHAIR's are the same generations (one cache)
    amber = json.loads((tmp_path / "run" / "amber" / "responses.json").read_text())
    chair = json.loads((tmp_path / "run" / "chair" / "captions.json").read_text())["imgToEval"]
    assert amber[0]["response"] == chair["1"]["caption"]
    # same settings rerun: nothing to generate, same results; other settings: refused
    assert runner.invoke(app, args).exit_code == 0
    bad = runner.invoke(app, args[:-len(FAST)] + ["--noise", "30"] + FAST)
    assert bad.exit_code == 2 and "refusing to mix" in bad.stderr
    bad = runner.invoke(app, args[:-len(FAST)] + ["--degrade", "noise:30"] + FAST)
    assert bad.exit_code == 2 and "refusing to mix" in bad.stderr and "decoding.noise: 0.0, now 30.0" in bad.stderr
    two = runner.invoke(app, args[:-len(FAST)] + ["--degrade", "blur:1", "--noise", "30"] + FAST)
    assert two.exit_code == 2 and "one per run folder" in two.stderr


@pytest.mark.parametrize("extra,msg", [
    (["--decoding", "beam"], "--decoding 'beam'"),
    (["--temperature", "0.7"], "use --decoding sample"),
    (["--limit", "0"], "--limit 0"),
    (["--vcd-step", "1000"], "0..999"),
    (["--dtype", "int8"], "--dtype 'int8'"),
    (["--device", "tpu"], "--device 'tpu'"),
])
def test_bad_options_are_one_line_errors(setup, tmp_path, extra, msg):
    world, model = setup
    res = runner.invoke(app, _pope_args(world, model, tmp_path / "run", "random") + extra)
    assert res.exit_code == 2 and res.stderr.startswith("error:") and msg in res.stderr, res.output


def test_bad_files_are_one_line_errors(setup, tmp_path):
    world, model = setup
    res = runner.invoke(app, _pope_args(world, tmp_path / "nope", tmp_path / "run", "random"))
    assert res.exit_code == 2 and "folder not found (--model)" in res.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"question_id": 1, "image": "test_000000.png", "text": "Is there?", "label": "yes"}\n{oops\n')
    args = _pope_args(world, model, tmp_path / "run") + ["--questions", str(bad)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and f"{bad}:2: malformed JSON" in res.stderr
    bad.write_text('{"question_id": 1, "image": "missing.png", "text": "Is there?", "label": "yes"}\n')
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "missing.png" in res.stderr
    images = tmp_path / "images"
    images.mkdir()
    (images / "broken.png").write_bytes(b"not a png")
    bad.write_text('{"question_id": 1, "image": "broken.png", "text": "Is there?", "label": "yes"}\n')
    res = runner.invoke(app, ["eval", "pope", "--model", str(model), "--images", str(images), "--out",
                              str(tmp_path / "run2"), "--questions", str(bad)] + FAST)
    assert res.exit_code == 2 and "unreadable image" in res.stderr and "broken.png" in res.stderr
    assert not (tmp_path / "run2").exists()  # failed before any generation: the folder it created is gone
    res = runner.invoke(app, ["eval", "world", "--model", str(model), "--world", str(tmp_path), "--out",
                              str(tmp_path / "run")])
    assert res.exit_code == 2 and "not a built world" in res.stderr


def test_eval_world_throne_prompt_reaches_throne(setup, tmp_path):
    from hero.evaluation.world import WorldEvalConfig, world_configs

    world, model = setup
    cfg = WorldEvalConfig(model=str(model), world=str(world), out=str(tmp_path / "run"), throne=True,
                          throne_prompt="Describe this image.")  # the demo's: the world's trained caption prompt
    assert world_configs(cfg)["throne"].prompt == "Describe this image."
