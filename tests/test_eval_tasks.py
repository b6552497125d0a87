"""Benchmark plumbing of `hero eval` without a model: answer rows, AMBER query selection, COCO image lists."""

from __future__ import annotations

import pytest

from hero.evaluation.tasks import (
    amber_selected, coco_images, limit_per_type, pope_answer_rows, score_pope_splits,
)
from hero.io import InputError

ANN = [{"type": "generative"}, {"type": "discriminative-hallucination"}, {"type": "discriminative-attribute-state"},
       {"type": "relation"}]
QUERIES = [{"id": i + 1, "image": f"AMBER_{i + 1}.jpg", "query": "q"} for i in range(4)]


def test_pope_rows_for_cot_and_answer_models():
    qs = [{"id": 7, "image": "a.png", "text": "Is there a red circle in the image?", "label": "yes"}]
    gens = {("a.png", qs[0]["text"]): {"text": "I see a red circle. There is a red circle. Answer: yes."}}
    assert pope_answer_rows(qs, gens, "random", "cot") == [{
        "question_id": 7, "prompt": qs[0]["text"], "text": "yes.", "category": "random",
        "reasoning": "I see a red circle. There is a red circle. Answer: yes."}]
    assert pope_answer_rows(qs, gens, "random", "answer")[0]["text"] == gens[("a.png", qs[0]["text"])]["text"]


def test_pope_scores_single_and_several_splits():
    qs = {"random": [{"id": 1, "label": "yes"}, {"id": 2, "label": "no"}],
          "popular": [{"id": 1, "label": "yes"}, {"id": 2, "label": "no"}]}
    ans = {"random": [{"question_id": 1, "text": "Yes", "category": "random"},
                      {"question_id": 2, "text": "Yes", "category": "random"}],
           "popular": [{"question_id": 1, "text": "No", "category": "popular"},
                       {"question_id": 2, "text": "No", "category": "popular"}]}
    one = score_pope_splits({"random": qs["random"]}, ans, "official")
    assert one["splits"]["random"]["accuracy"] == 0.5 and one["mean"]["accuracy"] == 0.5
    both = score_pope_splits(qs, ans, "official")
    # random: 1 of 2 right, yes-ratio 1; popular: 1 of 2 right, yes-ratio 0 → mean accuracy 0.5, yes-ratio 0.5
    assert both["mean"]["accuracy"] == 0.5 and both["mean"]["yes_ratio"] == 0.5 and both["n"] == 4


@pytest.mark.parametrize("kind,ids", [("a", [1, 2, 3, 4]), ("g", [1]), ("d", [2, 3, 4]), ("de", [2]), ("da", [3]),
                                      ("dr", [4])])
def test_amber_selection_by_type(kind, ids):
    assert [q["id"] for q in amber_selected(QUERIES, ANN, kind, "q.json")] == ids


def test_amber_selection_errors():
    with pytest.raises(InputError, match="item 1 needs"):
        amber_selected([{"id": 1}], ANN, "a", "q.json")
    with pytest.raises(InputError, match="annotation range 1..4"):
        amber_selected([{"id": 9, "image": "x", "query": "q"}], ANN, "a", "q.json")
    with pytest.raises(InputError, match="no query of evaluation type 'dr'"):
        amber_selected(QUERIES[:1], ANN, "dr", "q.json")


def test_coco_images_found_and_missing(tmp_path):
    (tmp_path / "b.png").write_bytes(b"x")
    inst = [{"images": [{"id": 2, "file_name": "b.png"}, {"id": 1, "file_name": "a.png"}]},
            {"images": [{"id": 2, "file_name": "b.png"}]}]
    assert coco_images(inst, str(tmp_path), "inst") == ([{"id": 2, "file_name": "b.png"}], 1)
    with pytest.raises(InputError, match="none of the 1 images"):
        coco_images([{"images": [{"id": 1, "file_name": "a.png"}]}], str(tmp_path), "inst")
    with pytest.raises(InputError, match="lacks its 'images'"):
        coco_images([{}], str(tmp_path), "inst")


def test_amber_limit_per_type():
    ann = [{"type": "generative"}] * 3 + [{"type": "discriminative-hallucination"}] * 3
    qs = [{"id": i, "image": "x", "query": "q"} for i in range(1, 7)]
    assert [q["id"] for q in limit_per_type(qs, ann, 2)] == [1, 2, 4, 5]
    assert limit_per_type(qs, ann, None) == qs
