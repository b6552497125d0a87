"""THRONE scoring: votes, disqualification band, micro and class-wise float32 numbers by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hero.official.throne import category_names, count_votes, evaluate_throne, score_throne

COCO = {
    "categories": [{"id": 5, "name": "bus"}, {"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],  # id order: cat dog bus
    "annotations": [{"image_id": 10, "category_id": 1}, {"image_id": 10, "category_id": 2},
                    {"image_id": 10, "category_id": 5}, {"image_id": 11, "category_id": 5},
                    {"image_id": 12, "category_id": 2}],
}
Y, N = "yes", "no"
# two evaluator files x two prompt formats -> V = 4 votes per (image, class); answer k*3 + c
FILE_A = {"10": [Y, Y, Y, "Yes ", N, N], "11": [Y, N, N, Y, N, N], "12": [N] * 6}
FILE_B = {"10": [Y, "yes.", N, Y, Y, N], "11": [Y, N, N, N, N, N], "12": [N] * 6}
# votes: image 10 cat 4, dog 2 ("yes." is not yes), bus 1; image 11 cat 3; image 12 none


def f32(x):
    return float(np.float32(x))


def test_votes():
    assert category_names(COCO) == ["cat", "dog", "bus"]
    votes, v = count_votes([FILE_A, FILE_B], 3)
    assert v == 4 and votes == {10: [4, 2, 1], 11: [3, 0, 0], 12: [0, 0, 0]}


def test_micro_hand_computed():
    m, details = evaluate_throne(COCO, [FILE_A, FILE_B], thresholds=[3, 2], strategy="micro")
    # tau 3: disqualified = votes in (4-3, 3) = {2}: image 10 dog. image 10 gt' {cat, bus}, pred' {cat} -> p 1, r 1/2
    # image 11 pred {cat} vs gt {bus} -> p = r = 0 (F NaN); image 12 nothing predicted -> 0, 0 (F NaN)
    # P = 1/3, R = (1/2)/3 = 1/6, F1 = 2*1*.5/1.5 = 2/3, F0.5 = 1.25*.5/(.25 + .5) = 5/6
    assert m["thresholds"]["3"] == {"P": f32(1 / 3), "R": f32(1 / 6), "F1": f32(2 / 3), "F0_5": f32(5 / 6),
                                    "N": 3, "NaNs": 2}
    # tau 2: no band (2 < v < 2); image 10 pred {cat, dog} vs gt {cat, dog, bus} -> p 1, r 2/3
    # F1 = 2*(2/3)/(5/3) = 0.8; F0.5 = 1.25*(2/3)/(0.25 + 2/3) = 10/11
    t2 = m["thresholds"]["2"]
    assert (t2["P"], t2["R"], t2["F1"]) == (f32(1 / 3), f32(np.float32(2 / 3) / 3), f32(0.8))
    assert t2["F0_5"] == pytest.approx(10 / 11, rel=1e-6)
    assert details[0] == {"image_id": 10, "gt": ["bus", "cat", "dog"], "votes": {"cat": 4, "dog": 2, "bus": 1}}


def test_class_hand_computed():
    m = score_throne(COCO, [FILE_A, FILE_B], thresholds=[3], strategy="class")
    # tau 3: predicted cat on images 10, 11 (pred_cat 2, correct 1); gt counts cat 1, dog 1 (image 12; image 10's
    # dog is disqualified), bus 2. P_c = [1/2, 0/0, 0/0] -> nanmean 0.5; R_c = [1, 0, 0] -> 1/3
    # F1_c = [2/3, NaN, NaN] -> 2/3; F0.5_cat = 1.25*.5/(.125 + 1) = 5/9
    assert m["thresholds"]["3"] == {"P": 0.5, "R": f32(1 / 3), "F1": f32(2 / 3), "F0_5": f32(5 / 9),
                                    "N": 3, "NaNs": 2}


def test_bad_inputs():
    with pytest.raises(ValueError, match="multiple of the 3 categories"):
        score_throne(COCO, [{"10": [Y, N]}])
    with pytest.raises(ValueError, match="different images"):
        score_throne(COCO, [FILE_A, {"10": FILE_B["10"]}], thresholds=[2])
    with pytest.raises(ValueError, match=r"must be integers in 1..4"):
        score_throne(COCO, [FILE_A, FILE_B], thresholds=[9])
    with pytest.raises(ValueError, match="unknown strategy"):
        score_throne(COCO, [FILE_A], strategy="macro")
