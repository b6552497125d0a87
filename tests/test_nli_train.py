"""`hero train nli`: pure parts (LR schedule, confusion, occurrence targets), the tokenizer and model in genuine HF
format plugging into the NLI reward, a smoke run, the CLI, and (slow) the held-out accuracy target."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from hero.rewards.nli import NLIReward, label_indices
from hero.rewards.nli_train import (
    NLITrainConfig,
    accuracy_report,
    build_nli_model,
    build_nli_tokenizer,
    confusion,
    lr_factor,
    occurrence_targets,
    train_nli,
)

WORLD4 = ["red circle", "red square", "blue circle", "blue square"]
WORDS = "there is a an no the i see and large above , .".split() + ["red", "blue", "circle", "square"]


def test_lr_factor_hand_values():
    assert lr_factor(0, 100, 10) == pytest.approx(0.1)  # (0+1)/10 · cos-factor(0) = 0.1 · 1
    assert lr_factor(9, 100, 10) == pytest.approx(1.0)  # warm-up done, frac 0 → 1
    assert lr_factor(55, 100, 10) == pytest.approx(0.5)  # frac (55−10)/90 = 0.5 → 0.5·(1 + cos(π/2)) = 0.5
    assert lr_factor(100, 100, 10) == pytest.approx(0.0)  # frac 1 → 0.5·(1 + cos π) = 0
    assert lr_factor(50, 100, 0) == pytest.approx(0.5)  # no warm-up: frac 50/100


def test_confusion_and_accuracy_report_hand_values():
    gold, pred = torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 2, 1, 2, 0, 2])
    cm = confusion(pred, gold, 3)
    assert cm.tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 2]]
    r = accuracy_report(cm, ("entailment", "neutral", "contradiction"))
    # correct 1 + 1 + 2 = 4 of 6; recalls 1/2, 1/1, 2/3
    assert r == {"accuracy": 4 / 6, "per_class": {"entailment": 0.5, "neutral": 1.0, "contradiction": 2 / 3},
                 "confusion": [[1, 0, 1], [0, 1, 0], [1, 0, 2]], "n": 6}
    empty = accuracy_report(confusion(torch.tensor([], dtype=torch.long), torch.tensor([], dtype=torch.long), 3),
                            ("e", "n", "c"))
    assert empty["accuracy"] == 0.0 and empty["n"] == 0


def test_occurrence_targets_hand_made():
    # [CLS] 7 8 [SEP] 8 9 [SEP] [PAD]: claim tokens 8 (in premise) and 9 (not); ids < 4 are special
    ids = torch.tensor([[2, 7, 8, 3, 8, 9, 3, 0]])
    types = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 0]])
    claim, occurs = occurrence_targets(ids, types, mask)
    assert claim.tolist() == [[False, False, False, False, True, True, False, False]]
    assert occurs[claim].tolist() == [True, False]


def test_tokenizer_encodes_pairs_with_category_tokens():
    tok = build_nli_tokenizer(WORDS, WORLD4)
    enc = tok("There is a red circle and a blue square.", "There is no Red   Circle")
    assert tok.convert_ids_to_tokens(enc["input_ids"]) == [
        "[CLS]", "there", "is", "a", "red_circle", "and", "a", "blue_square", ".", "[SEP]",
        "there", "is", "no", "red_circle", "[SEP]"]
    assert enc["token_type_ids"] == [0] * 10 + [1] * 5
    assert tok.convert_ids_to_tokens(tok("a green star")["input_ids"]) == ["[CLS]", "a", "[UNK]", "[UNK]", "[SEP]"]
    assert tok.decode(tok("there is a red circle .")["input_ids"], skip_special_tokens=True) == \
        "there is a red circle ."
    batch = tok(["There is a red circle."] * 2, ["There is a red circle", "The blue square is above the red circle"],
                padding=True)
    assert batch["input_ids"][0][-1] == tok.pad_token_id  # right padding: [CLS] stays at position 0


def test_saved_model_loads_with_auto_classes_and_plugs_into_the_nli_reward(tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = build_nli_tokenizer(WORDS, WORLD4)
    model = build_nli_model(tok, hidden=32, layers=1, seed=0).eval()
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    m2, t2 = AutoModelForSequenceClassification.from_pretrained(tmp_path), AutoTokenizer.from_pretrained(tmp_path)
    assert type(m2).__name__ == "BertForSequenceClassification"
    assert m2.config.id2label == {0: "entailment", 1: "neutral", 2: "contradiction"}
    assert label_indices(m2.config.id2label) == (0, 2)
    pairs = (["There is a red circle and a blue square."] * 2, ["There is no red circle", "I see a blue square"])
    assert t2(*pairs)["input_ids"] == tok(*pairs)["input_ids"]
    with torch.no_grad():
        assert torch.allclose(m2(**t2(*pairs, padding=True, return_tensors="pt")).logits,
                              model(**tok(*pairs, padding=True, return_tensors="pt")).logits, atol=1e-6)
    reward = NLIReward.from_pretrained(str(tmp_path))
    out = reward(["p"], ["There is a red circle. The blue square is large. Answer: yes."],
                 reference=["There is a red circle and a blue square."])
    assert len(out) == 1 and -1.0 <= out[0] <= 1.0


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    from hero.world import WorldConfig, build_world

    d = tmp_path_factory.mktemp("world")
    build_world(WorldConfig(train_images=30, val_images=0, test_images=10), d, progress=False)
    return d


def test_train_nli_smoke_writes_a_loadable_model_and_summary(small_world, tmp_path):
    s = train_nli(small_world, tmp_path / "nli", budget_min=1, seed=0, max_steps=3, batch_size=8, progress=False)
    assert s["steps"] == 3 and s["stopped_by"] == "max_steps" and s["heldout"]["n"] == 10 * 3 * 2
    assert 0.0 <= s["heldout_accuracy"] <= 1.0 and s["train_scenes"] == 30 and s["heldout_scenes"] == 10
    saved = json.loads((tmp_path / "nli" / "nli_train.json").read_text())
    assert saved["heldout_accuracy"] == s["heldout_accuracy"] and saved["config"]["seed"] == 0
    NLIReward.from_pretrained(str(tmp_path / "nli"))
    # same seed, same steps → same held-out predictions
    s2 = train_nli(small_world, tmp_path / "nli2", budget_min=1, seed=0, max_steps=3, batch_size=8, progress=False)
    assert s2["heldout"]["confusion"] == s["heldout"]["confusion"]


def test_config_errors_say_how_to_fix():
    with pytest.raises(ValueError, match="budget-min"):
        NLITrainConfig(world="w", out="o", budget_min=0)
    with pytest.raises(ValueError, match="multiple of 16"):
        NLITrainConfig(world="w", out="o", hidden=40)


def test_cli_trains_and_reports_and_fails_cleanly(small_world, tmp_path):
    from hero.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["train", "nli", "--world", str(small_world), "--out", str(tmp_path / "o"),
                            "--max-steps", "2", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "held-out accuracy" in r.output and (tmp_path / "o" / "config.json").exists()
    assert json.loads((tmp_path / "o" / "run.json").read_text())["method"] == "nli"
    again = ["train", "nli", "--world", str(small_world), "--out", str(tmp_path / "o"), "--no-progress"]
    assert runner.invoke(app, again + ["--max-steps", "1"]).exit_code == 0  # same run, new budget: trains again
    r = runner.invoke(app, again + ["--seed", "1"])
    assert (r.exit_code, r.output) == (2, f"error: {tmp_path / 'o'} belongs to another training run (config.seed "
                                          f"was 0, now 1); refusing to mix runs in one folder — use a new --out "
                                          f"folder, or delete {tmp_path / 'o'} to start over\n")
    r = runner.invoke(app, ["train", "nli", "--world", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 2 and "error:" in r.output and "hero world build" in r.output


@pytest.mark.slow
def test_default_training_reaches_95_percent_and_ranks_claims(tmp_path):
    """The issue's target: ≥ 95 % on held-out pairs with the defaults; the reward then prefers true claims."""
    from hero.world import WorldConfig, build_world

    torch.set_num_threads(1)
    build_world(WorldConfig(train_images=2000, val_images=0, test_images=500), tmp_path / "w", progress=False)
    s = train_nli(tmp_path / "w", tmp_path / "nli", seed=0, progress=False)
    assert s["heldout_accuracy"] >= 0.95, s["heldout"]
    reward = NLIReward.from_pretrained(str(tmp_path / "nli"))
    ref = ["There is a red circle and a blue square."] * 3
    true, neutral, false = reward(["p"] * 3, ["I see a red circle. There is no green triangle.",
                                              "The red circle is large.", "There is a green triangle."],
                                  reference=ref)
    assert true > 0.5 > -0.5 > false and abs(neutral) < 0.5
