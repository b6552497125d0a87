"""Metrics of `hero trap` against hand-computed values (arithmetic in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hero.trap import metrics as M


def test_binary_entropy_values():
    # H(0.5) = ln 2 = 0.693147...; H(0) = H(1) = 0 (0 ln 0 = 0);
    # H(0.9) = -0.9 ln 0.9 - 0.1 ln 0.1 = 0.9*0.1053605 + 0.1*2.3025851 = 0.0948245 + 0.2302585 = 0.3250830
    h = M.binary_entropy([0.5, 0.0, 1.0, 0.9])
    assert h[0] == pytest.approx(math.log(2), abs=1e-15)
    assert h[1] == 0.0 and h[2] == 0.0
    assert h[3] == pytest.approx(0.3250829733914482, abs=1e-12)
    with pytest.raises(ValueError):
        M.binary_entropy([1.2])


def test_entropy_bins_right_closed_and_edges():
    edges = [0.0, 0.1, 0.3, M.LN2]
    # 0.0 → bin 0 (first bin holds the lower edge); 0.1 → bin 0 (right-closed); 0.1000001 → bin 1;
    # 0.3 → bin 1; ln2 + 1e-12 → last bin (tolerance); 0.8 → overflow (3)
    idx = M.entropy_bin_index([0.0, 0.1, 0.1000001, 0.3, M.LN2 + 1e-12, 0.8], edges)
    assert idx.tolist() == [0, 0, 1, 1, 2, 3]
    with pytest.raises(ValueError, match="≥ 0"):
        M.entropy_bin_index([-0.01], edges)
    with pytest.raises(ValueError, match="strictly increasing"):
        M.entropy_bin_index([0.1], [0.0, 0.3, 0.2])


def test_entropy_bin_table_counts_accuracy_empty_bin():
    # entropies 0.05 (right), 0.05 (wrong), 0.25 (right), 0.69 (right) with edges 0, 0.1, 0.2, 0.3, ln 2
    # bin [0,0.1]: 2 samples, acc 1/2; (0.1,0.2]: empty → accuracy None (not 0); (0.2,0.3]: 1, acc 1;
    # (0.3, ln2]: 1, acc 1; overflow: 0
    rows = M.entropy_bin_table([0.05, 0.05, 0.25, 0.69], [1, 0, 1, 1], [0, 0.1, 0.2, 0.3, M.LN2], n_boot=200)
    assert [r["count"] for r in rows] == [2, 0, 1, 1, 0]
    assert [r["accuracy"] for r in rows] == [0.5, None, 1.0, 1.0, None]
    assert [r["share"] for r in rows] == [0.5, 0.0, 0.25, 0.25, 0.0]
    assert rows[1]["ci"] is None and rows[2]["ci"] == [1.0, 1.0]
    assert rows[-1]["upper"] is None and rows[-1]["lower"] == M.LN2


def test_bootstrap_ci_known_distribution_and_determinism():
    # values [0, 1]: a resample mean is 0, 0.5, 1 with prob 1/4, 1/2, 1/4, so with 4000 resamples the
    # 2.5 % quantile is 0 and the 97.5 % quantile is 1 (each tail has ~25 % mass ≫ 2.5 %).
    assert M.bootstrap_ci([0, 1], n_boot=4000, seed=3) == [0.0, 1.0]
    assert M.bootstrap_ci([1, 1, 1]) == [1.0, 1.0]
    assert M.bootstrap_ci([]) is None
    x = np.arange(50) % 3 == 0
    a, b = M.bootstrap_ci(x, seed=7), M.bootstrap_ci(x, seed=7)
    assert a == b and a[0] <= x.mean() <= a[1]


def test_trap_score():
    # entropies 0.1, 0.3 (on the threshold: included, ≤), 0.31, 0.6; correct 1, 0, 1, 1
    # confident: first two → accuracy 1/2, share 2/4
    t = M.trap_score([0.1, 0.3, 0.31, 0.6], [1, 0, 1, 1], threshold=0.3, n_boot=100)
    assert (t["count"], t["share"], t["accuracy"]) == (2, 0.5, 0.5)
    none = M.trap_score([0.5, 0.6], [1, 1])
    assert none["count"] == 0 and none["accuracy"] is None and none["ci"] is None and none["share"] == 0.0
    empty = M.trap_score([], [])
    assert empty["share"] is None and empty["accuracy"] is None


def test_confidence_bins_left_closed():
    # 4 bins [0,.25) [.25,.5) [.5,.75) [.75,1]: 0.5 sits on an edge → upper bin 2; 0.75 → 3; 1.0 → last bin 3;
    # 0.0 → 0; 0.4999 → 1
    idx = M.confidence_bin_index([0.5, 0.75, 1.0, 0.0, 0.4999], 4)
    assert idx.tolist() == [2, 3, 3, 0, 1]


def test_ece_mce_hand_values():
    # 2 bins [0,.5) [.5,1]. conf .2 (wrong), .4 (right) → bin 0: conf mean .3, acc .5, gap .2
    # conf .6 (right), .8 (right), 1.0 (wrong) → bin 1: conf mean .8, acc 2/3, gap .1333...
    # ECE = .2*2/5 + .13333*3/5 = .08 + .08 = 0.16; MCE = 0.2
    c, ok = [0.2, 0.4, 0.6, 0.8, 1.0], [0, 1, 1, 1, 0]
    assert M.ece(c, ok, n_bins=2) == pytest.approx(0.16, abs=1e-12)
    assert M.mce(c, ok, n_bins=2) == pytest.approx(0.2, abs=1e-12)
    assert M.ece([], [], 15) is None and M.mce([], []) is None
    # perfectly calibrated in each bin: conf .75 x4 with 3 right → gap 0
    assert M.ece([0.75] * 4, [1, 1, 1, 0], n_bins=15) == pytest.approx(0.0, abs=1e-12)


def test_adaptive_ece_hand_values():
    # sorted conf .2 .4 .6 .8 1.0 split into 2 equal-mass groups (array_split: sizes 3, 2)
    # group 1: .2 .4 .6 → conf .4, acc (0+1+1)/3 = .6667, gap .26667; group 2: .8 1.0 → conf .9, acc .5, gap .4
    # AECE = .26667*3/5 + .4*2/5 = .16 + .16 = 0.32
    c, ok = [0.8, 0.2, 1.0, 0.4, 0.6], [1, 0, 0, 1, 1]
    assert M.adaptive_ece(c, ok, n_bins=2) == pytest.approx(0.32, abs=1e-12)
    # more bins than samples → one sample per group: mean |c - ok| = (.2 + .6 + .4 + .2 + 1.0)/5 = 0.48
    assert M.adaptive_ece(c, ok, n_bins=15) == pytest.approx(0.48, abs=1e-12)
    assert M.adaptive_ece([], []) is None


def test_reliability_table_empty_bins_are_none():
    rows = M.reliability_table([0.6, 0.9], [1, 0], n_bins=2)
    assert rows[0] == {"lower": 0.0, "upper": 0.5, "count": 0, "confidence": None, "accuracy": None}
    assert rows[1]["count"] == 2 and rows[1]["confidence"] == pytest.approx(0.75) and rows[1]["accuracy"] == 0.5


def test_brier():
    # (0.9-1)^2 + (0.6-0)^2 + (0.5-1)^2 = .01 + .36 + .25 = .62 → /3 = 0.206667
    assert M.brier([0.9, 0.6, 0.5], [1, 0, 1]) == pytest.approx(0.62 / 3, abs=1e-12)
    assert M.brier([], []) is None


def test_average_ranks_ties():
    # values 3, 1, 3, 2 → sorted 1(r1) 2(r2) 3,3 (r3, r4 → 3.5 each)
    assert M.average_ranks([3, 1, 3, 2]).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_auroc_hand_values_and_ties():
    # correct conf .9 .7, wrong .8 .6: pairs (pos > neg): .9>.8 .9>.6 .7>.6 = 3, .7<.8 → AUROC 3/4
    assert M.auroc([0.9, 0.7, 0.8, 0.6], [1, 1, 0, 0]) == (0.75, None)
    # tie: correct .8, wrong .8 and .5 → pairs: tie (1/2) + win (1) = 1.5 / 2 = 0.75
    # ranks: .5→1, .8,.8→2.5; R+ = 2.5; U = 2.5 - 1 = 1.5; /(1*2) = .75
    assert M.auroc([0.8, 0.8, 0.5], [1, 0, 0]) == (0.75, None)
    # all tied → 0.5
    assert M.auroc([0.7] * 4, [1, 0, 1, 0])[0] == 0.5
    v, note = M.auroc([0.9, 0.8], [1, 1])
    assert v is None and "all answers correct" in note
    v, note = M.auroc([0.9, 0.8], [0, 0])
    assert v is None and "all answers wrong" in note
    assert M.auroc([], [])[0] is None


def test_risk_coverage_and_aurc_without_ties():
    # conf .9 .8 .7 .6, correct 1 0 1 0 → risks at k=1..4: 0, 1/2, 1/3, 2/4
    # AURC = (0 + .5 + .33333 + .5) / 4 = 1.33333/4 = 0.333333
    c, ok = [0.6, 0.9, 0.7, 0.8], [0, 1, 1, 0]
    rc = M.risk_coverage(c, ok)
    assert rc["coverage"] == [0.25, 0.5, 0.75, 1.0]
    assert rc["risk"] == pytest.approx([0.0, 0.5, 1 / 3, 0.5])
    assert rc["threshold"] == [0.9, 0.8, 0.7, 0.6]
    assert M.aurc(c, ok) == pytest.approx(1 / 3, abs=1e-12)


def test_aurc_ties_accepted_together():
    # conf .9 .9 .6, correct 1 0 1: tie group {.9,.9} → coverage 2/3, risk 1/2; then coverage 1, risk 1/3
    # AURC = 2/3 * 1/2 + 1/3 * 1/3 = 1/3 + 1/9 = 4/9 = 0.444444 (and order within the tie does not matter)
    rc = M.risk_coverage([0.9, 0.9, 0.6], [1, 0, 1])
    assert rc["coverage"] == pytest.approx([2 / 3, 1.0]) and rc["risk"] == pytest.approx([0.5, 1 / 3])
    assert M.aurc([0.9, 0.9, 0.6], [1, 0, 1]) == pytest.approx(4 / 9, abs=1e-12)
    assert M.aurc([0.9, 0.9, 0.6], [0, 1, 1]) == pytest.approx(4 / 9, abs=1e-12)
    assert M.aurc([0.5, 0.4], [1, 1]) == 0.0 and M.aurc([], []) is None


def test_ls_slope():
    # x 0 30 50, y .2 .1 .05: x̄ = 26.667, ȳ = .11667; dx = -26.667 3.333 23.333; dy = .08333 -.01667 -.06667
    # Σdx·dy = -2.2222 - .05556 - 1.5556 = -3.8333; Σdx² = 711.11 + 11.111 + 544.44 = 1266.67 → -0.0030263
    assert M.ls_slope([0, 30, 50], [0.2, 0.1, 0.05]) == pytest.approx(-3.8333333 / 1266.6667, rel=1e-6)
    assert M.ls_slope([0, 30], [0.5, None]) is None
    assert M.ls_slope([0, 30, 50], [0.5, None, 0.7]) == pytest.approx(0.2 / 50)
    assert M.ls_slope([10, 10], [0.1, 0.2]) is None


def test_ece_matches_torchmetrics():
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.functional.classification")
    rng = np.random.default_rng(0)
    p_yes = rng.uniform(0.01, 0.99, 500)  # strictly inside (0, 1) and never exactly 0.5 → argmax is well defined
    label = rng.integers(0, 2, 500)
    conf = np.maximum(p_yes, 1 - p_yes)
    correct = (p_yes > 0.5) == (label == 1)
    probs = torch.tensor(np.stack([1 - p_yes, p_yes], axis=1))  # (N, 2): [p_no, p_yes]
    target = torch.tensor(label)
    ref_ece = tm.multiclass_calibration_error(probs, target, num_classes=2, n_bins=15, norm="l1").item()
    ref_mce = tm.multiclass_calibration_error(probs, target, num_classes=2, n_bins=15, norm="max").item()
    # torchmetrics computes in float32 → agreement to ~1e-7
    assert M.ece(conf, correct, 15) == pytest.approx(ref_ece, abs=1e-6)
    assert M.mce(conf, correct, 15) == pytest.approx(ref_mce, abs=1e-6)
