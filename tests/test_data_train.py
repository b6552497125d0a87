"""Training on a data file (`--data FILE --images DIR`): SFT, HERO / GRPO with rewards by name, DPO, and the done-when
check of issue 14 (COCO export of the world → `hero data pope-train` → `hero train hero --data` → the trap differs)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hero.io import InputError
from hero.rl.pipeline import run_rl
from rl_helpers import FAST, parity_reward, tiny_model, tiny_world


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A tiny world, its COCO export turned into a pope-train file, and a tiny random model."""
    from hero.data.commands import DataPopeTrainConfig, pope_train
    from hero.world.export import export_coco

    root = tmp_path_factory.mktemp("datatrain")
    world = tiny_world(root / "world")
    coco = export_coco(world, "train", root / "coco")
    pope_train(DataPopeTrainConfig(coco=coco["instances"], captions=coco["captions"], out=str(root / "train.jsonl")))
    return {"root": root, "world": world, "data": root / "train.jsonl", "images": world / "train" / "images",
            "model": tiny_model(root / "model", world, style="answer")}


def test_hero_on_a_data_file_records_the_file_in_its_identity(setup, tmp_path):
    import hashlib

    out = tmp_path / "hero"
    res = run_rl("hero", setup["model"], None, out, data=str(setup["data"]), images=str(setup["images"]),
                 reward_funcs=[parity_reward], max_steps=1, **FAST)
    assert res["steps"] == 1 and res["prompts"] == 90  # 20 images: pope-train's rows, one prompt each
    run = json.loads((out / "run.json").read_text())
    assert run["data"] == str(setup["data"].resolve())
    assert run["data_fingerprint"] == hashlib.sha256(setup["data"].read_bytes()).hexdigest()
    assert run["config"]["images"] == str(setup["images"].resolve()) and "data" not in run["config"]
    changed = tmp_path / "changed.jsonl"
    changed.write_text(setup["data"].read_text().replace('"yes"', '"no"', 1))
    with pytest.raises(InputError, match="belongs to another training run \\(data was"):
        run_rl("hero", setup["model"], None, out, data=str(changed), images=str(setup["images"]), resume=True,
               **FAST)


def test_rewards_by_name_read_the_data_columns(setup, tmp_path, monkeypatch):
    """yes_no reads `answer`, nli reads `reference` (the premise), a user's module:function gets every column."""
    from hero.data.training import load_training_rows, rl_rows
    from hero.rewards.registry import reward_functions
    from hero.rl.world_data import rl_dataset
    from test_rewards import tiny_nli

    model, tok = tiny_nli({0: "entailment", 1: "neutral", 2: "contradiction"})
    model.save_pretrained(tmp_path / "nli")
    tok.save_pretrained(tmp_path / "nli")
    (tmp_path / "mine.py").write_text("def echo(prompts, completions, reference, answer, **kw):\n"
                                      "    return [float(len(r) > 0 and a in ('yes', 'no')) for r, a in "
                                      "zip(reference, answer)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    batch = rl_dataset(rl_rows(load_training_rows(setup["data"], str(setup["images"]))[:4]))[:4]
    cols = {k: v for k, v in batch.items() if k not in ("prompt", "image")}
    completions = ["yes" if a == "yes" else "Answer: yes." for a in batch["answer"]]
    yes_no, nli, mine = reward_functions("yes_no+nli+mine:echo", nli_model=str(tmp_path / "nli"))
    assert yes_no(batch["prompt"], completions, **cols) == [1.0 if a == "yes" else 0.0 for a in batch["answer"]]
    scores = nli(batch["prompt"], ["There is a red circle."] * 4, **cols)
    assert len(scores) == 4 and all(-1.0 <= s <= 1.0 for s in scores)
    assert mine(batch["prompt"], completions, **cols) == [1.0] * 4
    res = run_rl("hero", setup["model"], None, tmp_path / "run", data=str(setup["data"]),
                 images=str(setup["images"]), reward="yes_no+nli", nli_model=str(tmp_path / "nli"), max_steps=1,
                 **FAST)
    assert res["steps"] == 1


def test_a_reward_needs_its_column_on_every_row(setup, tmp_path):
    rows = [json.loads(x) for x in setup["data"].read_text().splitlines()]
    del rows[3]["answer"]
    data = tmp_path / "open.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(InputError, match=rf"{data}:4: row '1#3' has no 'answer' \(yes/no\), which reward 'yes_no'"):
        run_rl("hero", setup["model"], None, tmp_path / "o", data=str(data), images=str(setup["images"]), **FAST)
    with pytest.raises(InputError, match=rf"{data}:4: .* which dpo"):
        run_rl("dpo", setup["model"], None, tmp_path / "o", data=str(data), images=str(setup["images"]),
               progress=False)
    assert not (tmp_path / "o").exists()


def test_dpo_samples_the_data_file_rows(setup, tmp_path):
    """A random model's samples are all unparseable (wrong), so no pair: the error counts the file's rows."""
    with pytest.raises(InputError, match="no prompt among the 6 sampled had both a right and a wrong"):
        run_rl("dpo", setup["model"], None, tmp_path / "dpo", data=str(setup["data"]), images=str(setup["images"]),
               dpo_prompts=6, dpo_samples=2, dpo_max_new_tokens=4, progress=False, threads=1)


def test_sft_on_a_data_file_trains_resumes_and_keeps_the_targets(setup, tmp_path):
    from hero.sft.file_data import epoch_order
    from hero.sft.pipeline import run_sft
    from hero.sft.settings import SFTRunConfig

    assert sorted(epoch_order(i, 5, 0) for i in range(5)) == list(range(5))  # an epoch visits every row once
    assert [epoch_order(i, 5, 0) for i in range(5, 10)] != [epoch_order(i, 5, 0) for i in range(5)]
    common = dict(model=str(setup["model"]), data=str(setup["data"]), images=str(setup["images"]), style="cot",
                  out=str(tmp_path / "sft"), batch_size=4, save_steps=2, progress=False, threads=1)
    assert run_sft(SFTRunConfig(max_steps=2, **common))["steps"] == 2
    state = json.loads((tmp_path / "sft/checkpoints/checkpoint-2/hero_state.json").read_text())
    assert state["step"] == 2
    s = run_sft(SFTRunConfig(max_steps=3, resume=True, **common))
    assert s["steps"] == 3 and s["examples"] == 12
    config = json.loads((tmp_path / "sft/config.json").read_text())
    assert config["hero_style"] == "cot" and config["hero_sft"]["data"] == str(setup["data"])


@pytest.fixture(scope="module")
def multi(setup):
    """4 rows of the pope-train file, the first and third showing two images (theirs and the next row's)."""
    rows = [json.loads(x) for x in setup["data"].read_text().splitlines()[:4]]
    for i in (0, 2):
        rows[i]["image"] = [rows[i]["image"], rows[i + 1]["image"]]
    path = setup["root"] / "multi.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("method", ["grpo", "hero"])
def test_rl_trains_rows_with_several_images(method, setup, multi, tmp_path):
    """Each prompt reaches TRL with one image placeholder per image of its row, and all its images."""
    seen = {}

    def record(prompts, completions, images, id, **kw):
        for p, ims, i in zip(prompts, images, id):
            seen[i] = (sum(part["type"] == "image" for part in p[0]["content"]), len(ims))
        return [float(len(str(c)) % 2 == 0) for c in completions]

    res = run_rl(method, setup["model"], None, tmp_path / method, data=str(multi), images=str(setup["images"]),
                 reward_funcs=[record], max_steps=2, **FAST)  # 2 steps × 2 prompts: every row once
    ids = [json.loads(x)["id"] for x in multi.read_text().splitlines()]
    assert res["steps"] == 2 and seen == {ids[0]: (2, 2), ids[1]: (1, 1), ids[2]: (2, 2), ids[3]: (1, 1)}
    with pytest.raises(InputError, match=rf"{multi}:1: field 'image' of row '{ids[0]}' lists 2 images; dpo "):
        run_rl("dpo", setup["model"], None, tmp_path / "dpo", data=str(multi), images=str(setup["images"]),
               progress=False)
    assert not (tmp_path / "dpo").exists()


def test_sft_trains_rows_with_several_images(setup, multi, tmp_path):
    from hero.sft.pipeline import run_sft
    from hero.sft.settings import SFTRunConfig

    cfg = SFTRunConfig(model=str(setup["model"]), data=str(multi), images=str(setup["images"]), style="answer",
                       out=str(tmp_path / "sft"), batch_size=2, max_steps=2, progress=False, threads=1)
    assert run_sft(cfg)["steps"] == 2  # 2 steps × 2 rows: every row once, both 2-image rows included


def _hero(*args) -> str:
    r = subprocess.run([sys.executable, "-m", "hero.cli.main", *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.mark.slow
def test_done_when_pope_train_on_a_coco_export_then_hero_changes_the_trap(tmp_path):
    """Issue 14's first done-when bullet, through the console script: world → COCO export → pope-train → a quick
    answer-style SFT on the file → `hero train hero --data` (and `hero train dpo --data`, one step) → the trap samples of the trained model differ from
    the start model's (it learned something). ~40 s on 2 cores."""
    _hero("world", "build", "--out", tmp_path / "world", "--image-size", "32", "--colours", "red,green,blue",
          "--shapes", "circle,square", "--min-size", "8", "--max-size", "10", "--max-objects", "3", "--images", "20",
          "--eval-images", "0", "--set", 'prior=[["red circle", "blue square", 0.85]]')
    from hero.world.export import export_coco

    coco = export_coco(tmp_path / "world", "train", tmp_path / "coco")
    images = tmp_path / "world" / "train" / "images"
    _hero("data", "pope-train", "--coco", coco["instances"], "--captions", coco["captions"], "--out",
          tmp_path / "train.jsonl")
    assert "0 missing" in _hero("data", "check", tmp_path / "train.jsonl", "--images", images)
    _hero("model", "init", "--preset", "tiny", "--world", tmp_path / "world", "--out", tmp_path / "init")
    _hero("train", "sft", "--model", tmp_path / "init", "--data", tmp_path / "train.jsonl", "--images", images,
          "--style", "answer", "--out", tmp_path / "sft", "--max-steps", "30", "--batch-size", "16",
          "--warmup-steps", "2", "--no-progress", "--threads", "1")
    _hero("train", "hero", "--model", tmp_path / "sft", "--data", tmp_path / "train.jsonl", "--images", images,
          "--out", tmp_path / "hero", "--max-steps", "2", "--batch-size", "8", "--num-generations", "4",
          "--max-completion-length", "4", "--no-progress", "--threads", "1")
    out = _hero("train", "dpo", "--model", tmp_path / "sft", "--data", tmp_path / "train.jsonl", "--images", images,
                "--out", tmp_path / "dpo", "--max-steps", "1", "--batch-size", "4", "--dpo-prompts", "16",
                "--dpo-samples", "4", "--dpo-max-new-tokens", "4", "--no-progress", "--threads", "1")
    assert "dpo: 1 steps" in out and "pairs" in out  # the SFT'd model answers yes and no: pairs exist
    log = json.loads((tmp_path / "hero" / "log_history.json").read_text())
    assert any(h.get("hero/skipped_update") == 0.0 for h in log)  # at least one step updated the weights
    questions = tmp_path / "q.jsonl"  # the training rows are POPE-format questions too (id, image, question, answer)
    questions.write_text("".join((tmp_path / "train.jsonl").read_text().splitlines(keepends=True)[:20]))
    samples = {}
    for name in ("sft", "hero"):
        _hero("trap", "--model", tmp_path / name, "--questions", questions, "--images", images, "--out",
              tmp_path / f"trap_{name}", "--noise", "0,50", "--no-progress", "--threads", "1")
        samples[name] = [json.loads(x) for x in (tmp_path / f"trap_{name}" / "samples.jsonl").read_text().splitlines()]
    assert [s["id"] for s in samples["sft"]] == [s["id"] for s in samples["hero"]] and len(samples["sft"]) == 40
    assert [s["p_yes"] for s in samples["sft"]] != [s["p_yes"] for s in samples["hero"]]
