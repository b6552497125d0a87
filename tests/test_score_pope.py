"""POPE scoring: every parsing quirk of the official rule, hand-computed metrics, pairing and split errors."""

from __future__ import annotations

import pytest

from hero.official.pope_metrics import (
    confusion,
    evaluate_pope,
    label_to_int,
    parse_official,
    parse_strict,
    score_pope,
    split_name_from_path,
)

# answer -> official prediction (1 = yes), from the spec's list of consequences
OFFICIAL_CASES = [
    ("Yes", 1), ("No", 0), ("no", 0), ("not", 0),
    ("NO", 1),                          # case-sensitive
    ("No!", 1),                         # "No!" is not the token "No"
    ("Nope", 1), ("Nah", 1), ("none", 1),
    ("Not at all.", 1),                 # "Not" is not "not"
    ("I don't see", 1),                 # "don't" is one token
    ("", 1),                            # empty answer -> yes
    ("No\nYes", 1),                     # split on single spaces only: token "No\nYes"
    ("3.5 no", 1),                      # first sentence is "3"
    ("Yes, but it is not clear", 0),    # "not" in the first sentence
    ("I'm not sure", 0),
    ("Yes. There is no doubt", 1),      # only the first sentence is read
    ("No, there is none.", 0),          # comma removed -> token "No"
    ("There is no cat.", 0),
    ("no.", 0),                         # "no." -> first sentence "no"
    (" No", 0),                         # leading space: tokens ["", "No"]
    ("No\tthere", 1),                   # tab is not a separator
]


@pytest.mark.parametrize("answer,pred", OFFICIAL_CASES)
def test_parse_official_quirks(answer, pred):
    assert parse_official(answer) == pred


def test_parse_strict_and_label_rule():
    assert parse_strict("  Yes \n") == "yes"
    assert parse_strict("Yes.") == "yes."
    assert label_to_int("no") == 0 and label_to_int("No") == 1 and label_to_int("yes") == 1


def test_confusion_counts():
    # preds 1,1,0,0,1 vs labels 1,0,0,1,1 -> TP 2 (idx 0,4), FP 1 (idx 1), TN 1 (idx 2), FN 1 (idx 3)
    assert confusion([1, 1, 0, 0, 1], [1, 0, 0, 1, 1]) == (2, 1, 1, 1)


def _labels(*ys):
    return [{"question_id": i, "text": "q", "label": y} for i, y in enumerate(ys, start=1)]


def _ruca(*answers):
    return [{"question": "q", "answer": a} for a in answers]


def test_official_metrics_hand_computed():
    # answers -> preds: Yes=1, No=0, "NO"=1 (quirk), "Nope"=1, "not sure"=0
    # labels:           yes,   no,   no,        yes,    yes
    # TP = idx0, idx3 = 2; FP = idx2 = 1; TN = idx1 = 1; FN = idx4 = 1
    # acc = 3/5; P = 2/3; R = 2/3; F1 = 2*(2/3)*(2/3)/(4/3) = 2/3; yes_ratio = 3/5
    m = score_pope(_labels("yes", "no", "no", "yes", "yes"), _ruca("Yes", "No", "NO", "Nope", "not sure"))
    assert m["accuracy"] == 3 / 5
    assert m["precision"] == 2 / 3
    assert m["recall"] == 2 / 3
    assert m["f1"] == 2 * (2 / 3) * (2 / 3) / ((2 / 3) + (2 / 3))
    assert m["yes_ratio"] == 3 / 5
    assert m["n"] == 5 and m["parse"] == "official"
    assert "warnings" not in m


def test_no_yes_predicted_gives_zero_and_warning():
    # all answers "No" -> TP = FP = 0: the official script divides by zero; we report 0.0 and warn
    m = score_pope(_labels("yes", "no"), _ruca("No", "No"))
    assert m["precision"] == 0.0 and m["f1"] == 0.0 and m["recall"] == 0.0
    assert m["accuracy"] == 0.5 and m["yes_ratio"] == 0.0
    assert any("precision" in w for w in m["warnings"])


def test_strict_mode_lmms_eval_semantics():
    # preds: "yes", "no", "yes." (unparseable), "no"; labels yes, no, no, yes
    # acc = 2/4 (idx0, idx1); TP=1, FP=0 ("yes." is not "yes") -> P = 1; FN = 1 (idx3) -> R = 1/2
    # F1 = 2*(1*0.5)/(1.5) = 2/3; yes_ratio = share of label yes = 2/4
    m = score_pope(_labels("yes", "no", "no", "yes"), _ruca("Yes", " no", "Yes.", "No"), parse="strict")
    assert m["accuracy"] == 0.5
    assert m["precision"] == 1.0
    assert m["recall"] == 0.5
    assert m["f1"] == 2 * (1.0 * 0.5) / 1.5
    assert m["yes_ratio"] == 0.5


def test_llava_format_joined_by_id_and_details():
    labels = _labels("yes", "no", "yes")
    answers = [{"question_id": 3, "text": "Yes"}, {"question_id": 1, "text": "No"}, {"question_id": 2, "text": "No"}]
    # id 3: yes/yes TP; id 1: no/yes FN; id 2: no/no TN -> acc 2/3, P 1, R 1/2, yes_ratio 1/3
    m, details = evaluate_pope(labels, answers)
    assert (m["accuracy"], m["precision"], m["recall"], m["yes_ratio"]) == (2 / 3, 1.0, 0.5, 1 / 3)
    assert [d["question_id"] for d in details] == [3, 1, 2]
    assert details[1] == {"question_id": 1, "answer": "No", "label": "yes", "pred": "no", "correct": False}


def test_count_mismatch_names_both_counts():
    with pytest.raises(ValueError, match="3 answers but 2 labels"):
        score_pope(_labels("yes", "no"), _ruca("Yes", "No", "Yes"))


def test_missing_ids_are_listed():
    answers = [{"question_id": 1, "text": "Yes"}, {"question_id": 77, "text": "No"}, {"question_id": 99, "text": "No"}]
    with pytest.raises(ValueError, match=r"2 answer question_id\(s\) not in the labels: 77, 99"):
        score_pope(_labels("yes"), answers)


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="cannot tell the answer format"):
        score_pope(_labels("yes"), [{"response": "Yes"}])


def test_split_field_scores_each_split():
    labels = {"random": _labels("yes", "no"), "popular": _labels("yes", "no")}
    answers = [
        {"question_id": 1, "text": "Yes", "category": "random"},
        {"question_id": 2, "text": "No", "category": "random"},
        {"question_id": 1, "text": "No", "category": "popular"},
        {"question_id": 2, "text": "No", "category": "popular"},
    ]
    m, details = evaluate_pope(labels, answers, split_field="category")
    assert m["splits"]["random"]["accuracy"] == 1.0
    # popular: preds no,no vs yes,no -> acc 1/2, no yes predicted -> P = 0 with a warning
    assert m["splits"]["popular"]["accuracy"] == 0.5 and m["splits"]["popular"]["precision"] == 0.0
    assert m["mean"]["accuracy"] == (1.0 + 0.5) / 2
    assert m["n"] == 4 and len(details) == 4 and details[0]["split"] == "random"


def test_split_without_labels_is_an_error():
    answers = [{"question_id": 1, "text": "Yes", "category": "adversarial"}]
    with pytest.raises(ValueError, match="no labels were given"):
        score_pope({"random": _labels("yes")}, answers, split_field="category")


def test_split_name_from_path():
    assert split_name_from_path("/x/coco_pope_random.json") == "random"
    assert split_name_from_path("aokvqa_pope_adversarial.jsonl") == "adversarial"
    assert split_name_from_path("labels.json") == "labels"
