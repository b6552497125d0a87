"""summary.summarize on a small hand-made list of samples (values worked out in the comments)."""

from __future__ import annotations

import json

import pytest

from hero.trap.summary import SUMMARY_SCHEMA, group_key, summarize


def _s(id_, sigma, answer, label, p_yes, p_no, h, status="ok", t=1.0):
    return {"id": id_, "sigma": sigma, "temperature": t, "answer": answer, "label": label,
            "correct": answer == label, "p_yes": p_yes, "p_no": p_no, "entropy_binary": h,
            "entropy_full": h + 1.0, "reasoning": None, "parse_status": status}


SAMPLES = [
    # σ = 0: correct, correct, wrong, unparseable (wrong)
    _s("a", 0, "yes", "yes", 0.95, 0.05, 0.20),
    _s("b", 0, "no", "no", 0.15, 0.85, 0.50),
    _s("c", 0, "yes", "no", 0.62, 0.38, 0.67),
    _s("d", 0, "", "yes", 0.50, 0.50, 0.69, status="unparseable"),
    # σ = 30: confident and half wrong
    _s("a", 30, "yes", "yes", 0.99, 0.01, 0.05),
    _s("b", 30, "yes", "no", 0.97, 0.03, 0.10),
    _s("c", 30, "no", "no", 0.10, 0.90, 0.30),
    _s("d", 30, "yes", "no", 0.70, 0.30, 0.60),
]


def test_summary_sigma0_group_hand_values():
    s = summarize(SAMPLES, n_boot=200)
    assert s["schema"] == SUMMARY_SCHEMA and s["n_samples"] == 8
    g0 = s["groups"][0]
    assert (g0["key"], g0["sigma"], g0["temperature"]) == ("degrade=none,T=1.0", 0, 1.0)
    # accuracy 2/4; yes ratio: answers yes, no, yes, "" → 2/4; one unparseable
    assert (g0["n"], g0["accuracy"], g0["yes_ratio"], g0["n_unparseable"]) == (4, 0.5, 0.5, 1)
    # mean H = (.2 + .5 + .67 + .69)/4 = 2.06/4 = .515; median = (.5 + .67)/2 = .585
    assert g0["mean_entropy"] == pytest.approx(0.515) and g0["median_entropy"] == pytest.approx(0.585)
    # trap: only H = .2 ≤ .3 → count 1, share 1/4, accuracy 1
    assert (g0["trap"]["count"], g0["trap"]["share"], g0["trap"]["accuracy"]) == (1, 0.25, 1.0)
    cal = g0["calibration"]
    # confidences .95 .85 .62 .50 (each alone in its 1/15 bin), correct 1 1 0 0
    # ECE = mean |c - ok| = (.05 + .15 + .62 + .50)/4 = 1.32/4 = .33; MCE = .62; AECE (4 groups of 1) = .33
    assert cal["ece"] == pytest.approx(0.33) and cal["mce"] == pytest.approx(0.62)
    assert cal["adaptive_ece"] == pytest.approx(0.33)
    # Brier = (.0025 + .0225 + .3844 + .25)/4 = .6594/4 = .16485
    assert cal["brier"] == pytest.approx(0.16485)
    # both correct answers are more confident than both wrong ones → AUROC 1
    assert cal["auroc"] == 1.0 and cal["auroc_note"] is None
    # risks at k = 1..4: 0, 0, 1/3, 2/4 → AURC = (1/3 + 1/2)/4 = 0.208333
    assert cal["aurc"] == pytest.approx(0.8333333333 / 4)
    assert len(cal["reliability"]) == 15 and sum(r["count"] for r in cal["reliability"]) == 4


def test_summary_sigma30_bins_and_trend():
    s = summarize(SAMPLES, n_boot=200)
    g30 = s["groups"][1]
    assert (g30["key"], g30["degrade"], g30["op"], g30["level"]) == ("degrade=noise:30,T=1.0", "noise:30", "noise", 30)
    assert g30["yes_ratio"] == 0.75
    # H .05 .1 (right-closed → first bin) .3 (→ (.2,.3]) .6 (→ (.5,.6]); 7 bins + overflow row
    assert [b["count"] for b in g30["entropy_bins"]] == [2, 0, 1, 0, 0, 1, 0, 0]
    assert [b["accuracy"] for b in g30["entropy_bins"]] == [0.5, None, 1.0, None, None, 0.0, None, None]
    # trap: H ≤ .3 → a, b, c (c on the threshold) → 3 samples, share 3/4, accuracy 2/3
    t = g30["trap"]
    assert (t["count"], t["share"]) == (3, 0.75) and t["accuracy"] == pytest.approx(2 / 3)
    # trend at T = 1: mean H .515 → (.05+.1+.3+.6)/4 = .2625; slope = (.2625 − .515)/30 = −0.0084167
    (tr,) = s["trend"]
    assert tr["sigmas"] == [0, 30] and tr["entropy_slope_per_sigma"] == pytest.approx(-0.2525 / 30)
    assert tr["accuracy_slope_per_sigma"] == 0.0
    assert (tr["op"], tr["levels"], tr["entropy_slope"]) == ("noise", [0, 30], tr["entropy_slope_per_sigma"])
    json.dumps(s, allow_nan=False)  # plain JSON, no NaN


def test_summary_full_entropy_and_groups_per_temperature():
    more = SAMPLES + [_s("a", 0, "yes", "yes", 0.9, 0.1, 0.3, t=0.7)]
    s = summarize(more, entropy_kind="full", edges=[0.0, 1.0, 2.0], n_boot=100)
    assert [g["key"] for g in s["groups"]] == ["degrade=none,T=0.7", "degrade=none,T=1.0", "degrade=noise:30,T=1.0"]
    assert s["entropy_field"] == "entropy_full"
    # T = 0.7 has a single σ → slopes undefined (None)
    assert s["trend"][0]["entropy_slope_per_sigma"] is None
    # σ=0,T=1 full entropies 1.2 1.5 1.67 1.69 → all in (1, 2]
    assert [b["count"] for b in s["groups"][1]["entropy_bins"]] == [0, 4, 0]


def test_summary_all_correct_auroc_null_with_note_and_bad_input():
    ok = [_s(i, 0, "yes", "yes", 0.8, 0.2, 0.4) for i in "xyz"]
    cal = summarize(ok, n_boot=50)["groups"][0]["calibration"]
    assert cal["auroc"] is None and "all answers correct" in cal["auroc_note"]
    bad = [dict(SAMPLES[0], p_yes=None)]
    with pytest.raises(ValueError, match=r"'a'.*p_yes"):
        summarize(bad)
    with pytest.raises(ValueError, match="unknown entropy kind"):
        summarize(SAMPLES, entropy_kind="nats")
    assert summarize([], n_boot=10)["groups"] == []


def test_group_key_format():
    assert group_key(30.0, 1.0) == "degrade=noise:30,T=1.0" and group_key(12.5, 0.7) == "degrade=noise:12.5,T=0.7"
    assert group_key("noise:30+blur:1", 1.0) == "degrade=noise:30+blur:1,T=1.0" and group_key(0, 1.0) == "degrade=none,T=1.0"


def test_confidence_is_that_of_the_answer_given_renormalised():
    # a sampled minority answer: p_yes .6, p_no .2, answer "no" → c = .2 / .8 = .25 (not max = .6)
    rows = [_s("a", 0, "no", "no", 0.6, 0.2, 0.5), _s("b", 0, "yes", "yes", 0.6, 0.2, 0.5),
            _s("c", 0, "", "yes", 0.3, 0.1, 0.5, status="unparseable")]
    cal = summarize(rows, n_boot=20)["groups"][0]["calibration"]
    # confidences .25, .75 (= .6/.8), .75 (unparseable: max(.3, .1)/.4), correct 1, 1, 0
    # Brier = ((1 − .25)² + (1 − .75)² + .75²)/3 = (.5625 + .0625 + .5625)/3 = .395833
    assert cal["brier"] == pytest.approx(1.1875 / 3)
    # ECE (15 bins): bin [.2, .267) holds .25 → |.25 − 1| = .75; bin [.733, .8) holds .75, .75 → |.75 − .5| = .25
    # → (1·.75 + 2·.25)/3 = .416667
    assert cal["ece"] == pytest.approx(1.25 / 3)


def test_specs_group_and_trend_per_family_with_the_clean_point():
    rows = [_s("a", 0, "yes", "yes", 0.9, 0.1, 0.4), _s("a", 30, "yes", "yes", 0.9, 0.1, 0.2)]
    rows += [dict(_s("a", None, "no", "yes", 0.1, 0.9, 0.1), degrade=d) for d in ("blur:2", "noise:30+blur:1")]
    s = summarize(rows, n_boot=20)
    assert [(g["degrade"], g["sigma"], g["op"], g["level"]) for g in s["groups"]] == [
        ("none", 0, "none", 0), ("blur:2", None, "blur", 2), ("noise:30", 30, "noise", 30),
        ("noise:30+blur:1", None, "noise+blur", None)]
    noise, blur = s["trend"]
    # noise: H .4 → .2 over σ 0 → 30: slope −.2/30; blur: H .4 → .1 over 0 → 2: slope −.15, accuracy 1 → 0: −.5
    assert (noise["op"], noise["levels"], noise["entropy_slope"]) == ("noise", [0, 30], pytest.approx(-0.2 / 30))
    assert (blur["op"], blur["levels"]) == ("blur", [0, 2]) and "sigmas" not in blur
    assert blur["entropy_slope"] == pytest.approx(-0.15) and blur["accuracy_slope"] == pytest.approx(-0.5)
