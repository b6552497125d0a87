"""THRONE's evaluator step: the rule judge on hand-written captions, the official question formats, a seq2seq judge
(tiny random T5 built here) and `hero eval throne` end to end."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval_helpers import one_thread, scrambled_model, tiny_world
from hero.official.throne import evaluate_throne
from hero.cli.main import app
from hero.evaluation.throne import (
    RuleJudge, Seq2SeqJudge, default_thresholds, judge_prompt, mentioned, throne_questions,
)

_threads = pytest.fixture(scope="module", autouse=True)(one_thread)
CATS = ["red circle", "blue square", "green triangle"]


@pytest.mark.parametrize("caption,found", [
    ("There is a red circle and a blue square.", {"red circle", "blue square"}),
    ("There are two red circles.", {"red circle"}),
    ("There is no red circle, but a green triangle.", {"green triangle"}),
    ("I see nothing. There is no blue square.", set()),
    ("Not a red circle in sight; without the green triangle.", set()),
    ("A red square and a blue circle.", set()),  # colour and shape must bind
    ("RED CIRCLE!", {"red circle"}),
    ("There is nothing.", set()),
])
def test_mentioned_on_hand_captions(caption, found):
    assert mentioned(caption, CATS) == found


def test_rule_judge_answer_layout():
    out = RuleJudge().evaluate(["There is a blue square.", "There is no blue square, only a red circle."], CATS)
    # index k·C + c: the same answers for each of the 3 formats
    assert out[0] == ["no", "yes", "no"] * 3 and out[1] == ["yes", "no", "no"] * 3


def test_rule_judge_through_the_throne_scorer():
    coco = {"categories": [{"id": i + 1, "name": c} for i, c in enumerate(CATS)],
            "annotations": [{"image_id": 1, "category_id": 1}, {"image_id": 1, "category_id": 2},
                            {"image_id": 2, "category_id": 3}]}
    answers = RuleJudge().evaluate(["A red circle and a green triangle.", "A green triangle."], CATS)
    m, _ = evaluate_throne(coco, [{"1": answers[0], "2": answers[1]}], [3], "micro")
    # image 1: pred {red circle, green triangle}, gt {red circle, blue square}: p = 1/2, r = 1/2
    # image 2: pred = gt = {green triangle}: p = r = 1 → P = R = 0.75, F1 = mean(0.5, 1) = 0.75
    t = m["thresholds"]["3"]
    assert (t["P"], t["R"], t["F1"], t["N"]) == (0.75, 0.75, 0.75, 2)


def test_official_question_formats_and_prompt():
    assert throne_questions("apple") == ["Please answer yes or no. Is there an apple in this image?",
                                         "Is there an apple in this image?",
                                         "Please answer yes or no. Does the text imply an apple is in the image?"]
    assert throne_questions("tie")[1] == "Is there a necktie in this image?"
    assert throne_questions("skis")[1] == "Are there skis in this image?"
    assert judge_prompt("x" * 2000, "Q?") == "Text: " + "x" * 1024 + "\n\nRead the text and answer the question.\n\nQ?"
    assert default_thresholds(9) == [5, 8, 9] and default_thresholds(3) == [2, 3] and default_thresholds(6) == [4, 6]


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory):
    """A tiny random T5 + word-level tokenizer saved as a folder (stand-in for FLAN-T5: no hub downloads)."""
    import re

    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    words = sorted(set(re.findall(r"\w+|[^\w\s]", " ".join(q for c in CATS for q in throne_questions(c))
                                  + " Text Read the text and answer question yes no There is a . ,")))
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(words)}}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(T5Config(vocab_size=len(vocab), d_model=16, d_ff=32, d_kv=8, num_layers=1,
                                                num_heads=2, decoder_start_token_id=0, pad_token_id=0,
                                                eos_token_id=1))
    out = tmp_path_factory.mktemp("flan-t5-tiny")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_seq2seq_judge_shapes(t5_dir):
    judge = Seq2SeqJudge(t5_dir, batch_size=4)
    out = judge.evaluate(["There is a red circle.", "Nothing."], CATS)
    assert judge.name == t5_dir.name and len(out) == 2 and all(len(a) == 9 for a in out)
    assert all(isinstance(a, str) for row in out for a in row)
    # batching does not change the answers
    assert Seq2SeqJudge(t5_dir, batch_size=32).evaluate(["There is a red circle.", "Nothing."], CATS) == out


def test_eval_throne_cli_with_rule_and_seq2seq_judges(tmp_path, t5_dir):
    from hero.world.export import export_coco

    world = tiny_world(tmp_path / "world", n_test=4)
    model = scrambled_model(tmp_path / "model", world)
    coco = export_coco(world, "test", tmp_path / "coco")
    args = ["eval", "throne", "--model", str(model), "--images", str(world / "test" / "images"), "--out",
            str(tmp_path / "run"), "--coco-annotations", coco["instances"], "--judge", "rule", "--judge",
            str(t5_dir), "--max-new-tokens", "6", "--no-progress"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    scores = json.loads(res.stdout)
    assert scores["micro"]["votes_per_class"] == 6 and set(scores["class"]["thresholds"]) == {"4", "6"}
    combined = tmp_path / "run" / "throne" / "evaluations" / "combined"
    assert sorted(p.name for p in combined.iterdir()) == ["evaluations_flan-t5-tiny0.json", "evaluations_rule.json"]
    rule = json.loads((combined / "evaluations_rule.json").read_text())
    assert len(rule) == 4 and all(len(a) == 3 * 15 for a in rule.values())
    responses = json.loads((tmp_path / "run" / "throne" / "responses" / "responses.json").read_text())
    assert responses["prompts"] == ["Describe this image in detail."] and len(responses["responses"]) == 4
    t5_file = combined / "evaluations_flan-t5-tiny0.json"
    stamp = t5_file.stat().st_mtime_ns
    assert CliRunner().invoke(app, args).exit_code == 0 and t5_file.stat().st_mtime_ns == stamp  # judged once
    bad_args = [a if a != str(t5_dir) else str(tmp_path / "coco") for a in args]  # a folder without a model
    bad = CliRunner().invoke(app, bad_args)
    assert bad.exit_code == 2 and "not a seq2seq judge model" in bad.stderr
