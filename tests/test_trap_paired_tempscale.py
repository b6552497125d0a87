"""Paired statistics (bootstrap CI of an accuracy difference, exact McNemar) and temperature scaling: worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hero.trap.paired import (discordant, mcnemar_exact_p, paired_bin_comparison, paired_bootstrap_ci,
                              paired_comparison)
from hero.trap.tempscale import apply_temperature, fit_temperature, margins, nll


def test_mcnemar_exact_worked_values():
    assert mcnemar_exact_p(10, 0) == 2 / 2 ** 10  # 0.001953125: every discordant question favours A
    assert mcnemar_exact_p(2, 1) == 1.0  # 2 · (C(3,0) + C(3,1)) / 8 = 1 → capped at 1
    # n = 12, k = 2: 2 · (1 + 12 + 66) / 4096 = 158 / 4096 = 0.03857421875
    assert mcnemar_exact_p(10, 2) == 0.03857421875 == mcnemar_exact_p(2, 10)
    assert mcnemar_exact_p(0, 0) == 1.0
    assert 0 < mcnemar_exact_p(3000, 2800) < 0.02  # exact big-integer tail, no overflow


def test_paired_comparison_worked_values():
    a = [1, 1, 1, 0, 0, 1]  # A right on 4 of 6
    b = [1, 0, 0, 0, 1, 1]  # B right on 3 of 6
    assert discordant(a, b) == (2, 1)  # questions 2, 3 for A only; question 5 for B only
    res = paired_comparison(a, b, n_boot=500, seed=3)
    assert res["diff"] == pytest.approx(1 / 6) and res["p_mcnemar"] == 1.0 and res["n"] == 6
    assert (res["a_only"], res["b_only"]) == (2, 1)
    assert res["ci"] == paired_bootstrap_ci(a, b, n_boot=500, seed=3)  # deterministic for a seed
    lo, hi = res["ci"]
    assert -1 <= lo < 1 / 6 < hi <= 1  # a resampled mean of per-question differences in {−1, 0, 1}


def test_paired_bootstrap_degenerate_and_errors():
    assert paired_bootstrap_ci([1, 1, 1], [0, 0, 0]) == [1.0, 1.0]  # every resample differs by exactly 1
    assert paired_bootstrap_ci([1, 0, 1], [1, 0, 1]) == [0.0, 0.0]
    assert paired_bootstrap_ci([], []) is None and paired_comparison([], [])["diff"] is None
    with pytest.raises(ValueError, match="same questions: 2 vs 3"):
        paired_comparison([1, 0], [1, 0, 1])


def test_bin_accuracy_difference_worked_values():
    from hero.trap.paired import bin_accuracy_difference

    # A right [1, 1, 0, 1], bin [T, T, F, T] → 3/3; B right [1, 0, 1, 0], bin [T, T, T, F] → 2/3; diff 1/3
    diff, ci = bin_accuracy_difference(np.array([1, 1, 0, 1]), np.array([1, 1, 0, 1], bool),
                                       np.array([1, 0, 1, 0]), np.array([1, 1, 1, 0], bool), n_boot=500)
    assert diff == pytest.approx(1 / 3) and -1 <= ci[0] <= diff <= ci[1] <= 1
    # identical models: every resample's difference is exactly 0
    same = bin_accuracy_difference(np.array([1, 0, 1]), np.array([1, 1, 0], bool), np.array([1, 0, 1]),
                                   np.array([1, 1, 0], bool), n_boot=100)
    assert same == (0.0, [0.0, 0.0])
    assert bin_accuracy_difference(np.array([1]), np.array([0], bool), np.array([1]), np.array([1], bool)) == (None,
                                                                                                             None)


def test_paired_bin_comparison_uses_the_questions_both_are_confident_on():
    a_ok, a_h = [1, 1, 0, 1, 1], [0.1, 0.2, 0.05, 0.5, 0.3]  # A's bin (H ≤ 0.3): questions 0, 1, 2, 4 (0.3 is in)
    b_ok, b_h = [0, 1, 1, 1, 0], [0.0, 0.6, 0.1, 0.1, 0.2]  # B's bin: questions 0, 2, 3, 4
    res = paired_bin_comparison(a_ok, a_h, b_ok, b_h, threshold=0.3, n_boot=200)
    # own bins: A on 0, 1, 2, 4 → [1, 1, 0, 1] = 3/4; B on 0, 2, 3, 4 → [0, 1, 1, 0] = 1/2: diff 1/4
    assert res["diff"] == pytest.approx(0.25) and len(res["ci"]) == 2 and res["ci"][0] <= res["ci"][1]
    # both confident: questions 0, 2, 4 → A [1, 0, 1] (2/3), B [0, 1, 0] (1/3): diff 1/3; A only on 0 and 4, B on 2
    inter = res["intersection"]
    assert inter["n"] == 3 and inter["diff"] == pytest.approx(1 / 3) and (inter["a_only"], inter["b_only"]) == (2, 1)
    assert res["n"] == 3 and (res["a_only"], res["b_only"]) == (2, 1)
    assert res["p_mcnemar"] == 1.0  # 2 · (C(3,0) + C(3,1)) / 2³ = 1
    assert (res["n_bin_a"], res["n_bin_b"]) == (4, 4)
    # all questions: A 4/5, B 3/5 → 0.2; A only on 0 and 4, B only on 2
    assert res["all"]["diff"] == pytest.approx(0.2) and (res["all"]["a_only"], res["all"]["b_only"]) == (2, 1)
    none = paired_bin_comparison([1], [0.9], [1], [0.1])  # A never confident: an empty bin and intersection
    assert none["n"] == 0 and none["diff"] is None and none["ci"] is None and none["all"]["n"] == 1
    with pytest.raises(ValueError, match="one entropy per answer"):
        paired_bin_comparison([1, 0], [0.1], [1, 0], [0.1, 0.2])


def test_temperature_fit_closed_form():
    # all margins z = 2 with 3 of 4 labels 'yes': the best p_yes is 0.75 = σ(2 / T) → T = 2 / ln 3
    z, y = np.full(400, 2.0), np.array([1, 1, 1, 0] * 100, dtype=bool)
    assert fit_temperature(z, y) == pytest.approx(2 / math.log(3), abs=1e-6)  # 1.8204784532536746
    # nll at T = 1: −(3/4 · log σ(2) + 1/4 · log(1 − σ(2))) = 0.75 · 0.126928 + 0.25 · 2.126928 = 0.626928
    assert nll(z, y, 1.0) == pytest.approx(0.75 * math.log1p(math.exp(-2)) + 0.25 * math.log1p(math.exp(2)))


def test_margins_and_apply_temperature_round_trip():
    p_yes, p_no = np.array([0.9, 0.5, 0.2]), np.array([0.1, 0.5, 0.8])
    assert margins(p_yes, p_no) == pytest.approx([math.log(9), 0.0, math.log(0.25)])
    assert apply_temperature(p_yes, p_no, 1.0) == pytest.approx(p_yes)  # T = 1 keeps the (renormalised) p_yes
    # T = 2 halves the margin: σ(ln 9 / 2) = σ(ln 3) = 3 / 4
    assert apply_temperature(p_yes, p_no, 2.0)[0] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        apply_temperature(p_yes, p_no, 0.0)
    with pytest.raises(ValueError, match="as many labels as margins"):
        fit_temperature([1.0, 2.0], [True])
