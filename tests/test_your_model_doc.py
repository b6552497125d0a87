"""docs/your-model.md, step by step, through the console script on the tiny LLaVA: the world stands in for COCO
(its train images for train2014, its test split for val2014 with its POPE files, its AMBER and COCO exports for the
AMBER data and the CHAIR annotations) and a quick answer-style SFT of `hero model init` for the researcher's
checkpoint. Each `hero` command of the walk-through runs here with the same flags (plus budget / size flags)."""

import json
import subprocess
import sys

import pytest


def hero(*args) -> str:
    r = subprocess.run([sys.executable, "-m", "hero.cli.main", *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, f"hero {' '.join(map(str, args[:2]))}: {r.stderr[-2000:]}"
    return r.stdout


@pytest.mark.slow
def test_your_model_walkthrough(tmp_path):
    from hero.world.export import export_amber, export_coco

    w = tmp_path / "world"
    hero("world", "build", "--out", w, "--image-size", "32", "--colours", "red,green,blue,yellow", "--shapes",
         "circle,square", "--min-size", "8", "--max-size", "10", "--min-objects", "1", "--max-objects", "3",
         "--images", "24", "--eval-images", "12", "--set", 'prior=[["red circle", "blue square", 0.85]]')
    coco_train, coco_val = export_coco(w, "train", tmp_path / "annotations"), export_coco(w, "test", tmp_path / "chair")
    export_amber(w, "test", tmp_path / "amber")
    train2014, val2014 = w / "train" / "images", w / "test" / "images"
    pope = w / "test" / "pope" / "world_test_pope_adversarial.json"
    fast = ["--no-progress", "--threads", "1"]
    # the researcher's checkpoint: here a tiny LLaVA, SFT'd for a few steps on the world's questions
    hero("model", "init", "--preset", "tiny", "--world", w, "--out", tmp_path / "init")
    hero("data", "from-world", "--world", w, "--out", tmp_path / "sft.jsonl")
    hero("train", "sft", "--model", tmp_path / "init", "--data", tmp_path / "sft.jsonl", "--images", w, "--style",
         "answer", "--out", tmp_path / "ckpt", "--max-steps", "30", "--batch-size", "16", "--warmup-steps", "2", *fast)
    ckpt = tmp_path / "ckpt"

    # 1. diagnose
    hero("trap", "--model", ckpt, "--questions", pope, "--images", val2014, "--out", tmp_path / "runs/trap_start",
         "--noise", "0,30,50", *fast)
    # 2. training data
    out = hero("data", "pope-train", "--coco", coco_train["instances"], "--captions", coco_train["captions"],
               "--out", tmp_path / "data/train.jsonl", "--per-image", "6")
    assert out.startswith("wrote ")
    assert "0 missing" in hero("data", "check", tmp_path / "data/train.jsonl", "--images", train2014)
    # 3. HERO with LoRA
    hero("train", "hero", "--model", ckpt, "--data", tmp_path / "data/train.jsonl", "--images", train2014, "--out",
         tmp_path / "runs/hero", "--lora", "--max-steps", "2", "--batch-size", "8", "--num-generations", "4",
         "--max-completion-length", "4", *fast)
    trained = tmp_path / "runs/hero"
    assert (trained / "adapter").is_dir() and (trained / "config.json").is_file()
    # 4. benchmarks
    hero("eval", "pope", "--model", trained, "--questions", pope, "--images", val2014, "--out",
         tmp_path / "runs/eval_pope", "--max-new-tokens", "6", *fast)
    hero("eval", "amber", "--model", trained, "--queries", tmp_path / "amber/query_all.json", "--amber-data",
         tmp_path / "amber", "--images", val2014, "--out", tmp_path / "runs/eval_amber", "--max-new-tokens", "6",
         *fast)
    hero("eval", "chair", "--model", trained, "--coco", tmp_path / "chair", "--synonym-bigrams", "--images",
         val2014, "--out", tmp_path / "runs/eval_chair", "--max-new-tokens", "6", *fast)
    # 5. the trap again, side by side
    hero("trap", "--model", trained, "--questions", pope, "--images", val2014, "--out", tmp_path / "runs/trap_hero",
         "--noise", "0,30,50", *fast)
    hero("trap", "compare", tmp_path / "runs/trap_start", tmp_path / "runs/trap_hero", "--names", "start,hero",
         "--out", tmp_path / "runs/compare")
    assert (tmp_path / "runs/compare/report.html").is_file()
    start, after = ([json.loads(x)["p_yes"] for x in (tmp_path / f"runs/{r}/samples.jsonl").read_text().splitlines()]
                    for r in ("trap_start", "trap_hero"))
    assert len(start) == len(after) and start != after
