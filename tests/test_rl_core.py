"""Worked values for hero.rl.core (arithmetic in the comments)."""

import math

import pytest
import torch

from hero.rl import core

NAN = float("nan")


def close(a, b, tol=1e-6):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64), atol=tol,
                          equal_nan=True)


def test_group_mean_std_matches_trl_nanstd():
    from trl.trainer.utils import nanstd

    r = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    mean, std = core.group_mean_std(r, 4)
    # group 1: mean 0.25, Σ(r−r̄)² = .5625 + 3·.0625 = .75, var = .75/3 = .25 → std .5
    # group 2: mean 0.75, same spread → std .5
    assert close(mean, [0.25] * 4 + [0.75] * 4)
    assert close(std, [0.5] * 8)
    assert close(std.view(2, 4)[:, 0], nanstd(r.view(2, 4), dim=1))


def test_group_advantages_worked():
    r = torch.tensor([1.0, 0.0, 0.0, 0.0])
    # (1 − .25)/(.5 + 0) = 1.5 ; (0 − .25)/.5 = −.5
    assert close(core.group_advantages(r, 4, eps=0.0), [1.5, -0.5, -0.5, -0.5])
    # with TRL's eps 1e-4: .75/.5001 = 1.49970006
    assert close(core.group_advantages(r, 4)[0], 0.75 / 0.5001)
    # all-equal group: 0/(0 + eps) = 0
    assert close(core.group_advantages(torch.ones(4), 4), [0.0] * 4)


def test_group_advantages_nan_reward_gets_zero():
    r = torch.tensor([1.0, 0.0, NAN, 0.0])
    # valid [1, 0, 0]: mean 1/3, Σ dev² = 4/9 + 1/9 + 1/9 = 2/3, var = (2/3)/2 = 1/3 → std .57735
    a = core.group_advantages(r, 4, eps=0.0)
    assert close(a, [(2 / 3) / math.sqrt(1 / 3), (-1 / 3) / math.sqrt(1 / 3), 0.0, (-1 / 3) / math.sqrt(1 / 3)])


def test_gate_drops_zero_variance_groups():
    r = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    # stds: [0, .7071, 0, .7071] → keep groups 1 and 3
    assert core.group_keep_mask(r, 2, delta=1e-6).tolist() == [False, True, False, True]


def test_gate_single_valid_reward_group_is_dropped():
    r = torch.tensor([1.0, NAN, 0.0, 1.0])  # group 0 has one scorable reward → std NaN → dropped
    assert core.group_keep_mask(r, 2).tolist() == [False, True]


def test_gate_budget_keeps_top_std_groups():
    # G = 4; five groups with stds: g0 0 (all 1), g1 .5 ([1,0,0,0]), g2 .57735 ([1,1,0,0]), g3 .5 ([0,1,1,1]),
    # g4 .5 ([0,0,0,1])
    r = torch.tensor([1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1], dtype=torch.float32)
    # ρ = .6 → k = ceil(.6·5) = 3 → g2 (.577) then the earliest two of the .5 ties: g1, g3
    assert core.group_keep_mask(r, 4, budget=0.6).tolist() == [False, True, True, True, False]
    # ρ = 1 keeps every group with std > δ
    assert core.group_keep_mask(r, 4, budget=1.0).tolist() == [False, True, True, True, True]
    # budget never resurrects a zero-variance group: ρ = 1 of 1 all-equal group → none
    assert core.group_keep_mask(torch.zeros(4), 4, budget=1.0).tolist() == [False]


def test_binary_entropy_values():
    # H(.5) = ln 2 = .693147; H(0) = H(1) = 0; H(.9) = −.9 ln .9 − .1 ln .1 = .094824 + .230259 = .325083
    assert close(core.binary_entropy(torch.tensor([0.5, 0.0, 1.0, 0.9])), [math.log(2), 0.0, 0.0, 0.325083])


def test_binary_entropy_from_logits_matches_probability_form():
    # logits (ln .9, ln .1) → p = .9 → H = .325083; equal logits → ln 2; d = 100 → ~0 without NaN
    pos = torch.tensor([math.log(0.9), 3.0, 100.0])
    neg = torch.tensor([math.log(0.1), 3.0, 0.0])
    h = core.binary_entropy_from_logits(pos, neg)
    assert close(h, [0.325083, math.log(2), 0.0])
    assert torch.isfinite(h).all()


def test_mean_token_entropy():
    ent = torch.tensor([[1.0, 2.0, 3.0], [0.5, 9.0, 9.0], [4.0, 4.0, 4.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0], [0, 0, 0]])
    # row 0: (1 + 2)/2 = 1.5; row 1: .5; row 2: no tokens → NaN
    assert close(core.mean_token_entropy(ent, mask), [1.5, 0.5, NAN])


def test_answer_positions_last_answer_token():
    yes, no = 7, 8
    ids = torch.tensor([[1, 7, 2, 8, 0], [1, 2, 3, 4, 5], [7, 1, 1, 8, 8]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    # row 0: last of {7,8} at 3; row 1: none → −1; row 2: index 4 is masked out → 3
    assert core.answer_positions(ids, mask, torch.tensor([yes, no])).tolist() == [3, -1, 3]


def test_answer_entropy_groups_token_variants():
    # K = 3 answer tokens: "yes", " yes" (positive), "no" (negative)
    is_pos = torch.tensor([True, True, False])
    logits = torch.zeros(2, 2, 3)
    # row 0, position 1: yes-variants ln .45 and ln .45, no ln .1 → p(yes) = .9 → H = .325083
    logits[0, 1] = torch.log(torch.tensor([0.45, 0.45, 0.1]))
    # row 1 has no answer token → NaN
    h = core.answer_entropy(logits, torch.tensor([1, -1]), is_pos)
    assert close(h, [0.325083, NAN])


def test_softmax_weights_worked():
    h = torch.tensor([0.0, math.log(2), 1.0, 1.0])
    # group 0 (τ = 1): exp(0) = 1, exp(−ln 2) = .5, Σ = 1.5 → w = 2·[1/1.5, .5/1.5] = [4/3, 2/3]
    # group 1: equal entropies → [1, 1]
    assert close(core.softmax_weights(h, 2, tau=1.0), [4 / 3, 2 / 3, 1.0, 1.0])
    # τ = .5: exp(0) = 1, exp(−2 ln 2) = .25 → 2·[.8, .2] = [1.6, .4]
    assert close(core.softmax_weights(h, 2, tau=0.5)[:2], [1.6, 0.4])


def test_softmax_weights_unknown_entropy_is_neutral():
    h = torch.tensor([0.0, NAN, math.log(2), NAN, NAN])
    # group 0 (G = 5): known {0, ln 2}, G_k = 2 → [4/3, 1, 2/3, 1, 1]
    assert close(core.softmax_weights(h, 5), [4 / 3, 1.0, 2 / 3, 1.0, 1.0])
    assert close(core.softmax_weights(torch.full((2,), NAN), 2), [1.0, 1.0])


def test_neg_exp_weights_spec_values():
    h = torch.tensor([0.0, 0.3, math.log(2), 0.0, NAN])
    a = torch.tensor([-1.0, -1.0, -1.0, 1.0, -1.0])
    w = core.neg_exp_weights(h, a, lam=2.0, tau=0.2, w_max=3.0)
    # H = 0: min(3, 1 + 2·1) = 3; H = .3: 1 + 2·e^(−1.5) = 1 + 2·.223130 = 1.446260
    # H = ln 2: 1 + 2·e^(−5 ln 2) = 1 + 2/32 = 1.0625; A > 0 → 1; unknown entropy → 1
    assert close(w, [3.0, 1.446260, 1.0625, 1.0, 1.0])
    # w_max caps: λ = 5 at H = 0 → min(3, 6) = 3
    assert close(core.neg_exp_weights(torch.zeros(1), -torch.ones(1), lam=5.0), [3.0])
    # A = 0 (zero-variance group) is not an error → 1
    assert close(core.neg_exp_weights(torch.zeros(1), torch.zeros(1)), [1.0])


@pytest.mark.parametrize("G", [2, 8])
def test_softmax_weights_mean_one_per_group(G):
    torch.manual_seed(0)
    h = torch.rand(4 * G)
    w = core.softmax_weights(h, G)
    assert close(w.view(-1, G).mean(dim=1), [1.0] * 4)


def test_hard_negative_groups_and_rows():
    # G = 3; groups: [0, 0, 0] all wrong; [0, 1, 0] one right; [0, NaN, 0] all scorable wrong; [NaN]*3 unscorable
    r = torch.tensor([0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, NAN, 0.0, NAN, NAN, NAN])
    assert core.hard_negative_groups(r, 3).tolist() == [True, False, True, False]
    # the NaN-reward row of group 2 keeps its 0 advantage: not a hard-negative row
    assert core.hard_negative_rows(r, 3).tolist() == [True] * 3 + [False] * 3 + [True, False, True] + [False] * 3
    # threshold 0.2 (e.g. an NLI reward in [−1, 1]): max(.1, −.5) = .1 ≤ .2 → all wrong; max .3 > .2 → not
    r2 = torch.tensor([0.1, -0.5, 0.3, -1.0])
    assert core.hard_negative_groups(r2, 2, threshold=0.2).tolist() == [True, False]


def test_gate_rewards_sum_or_one_function():
    per_func = torch.tensor([[1.0, 0.5], [0.0, -0.2], [NAN, NAN], [NAN, 0.4]])  # (N=4, F=2): yes_no, nli
    w = torch.tensor([1.0, 2.0])
    summed = core.gate_rewards(per_func, w, ["yes_no_exact", "nli"], None)
    # 1 + 2·0.5 = 2; 0 + 2·(−0.2) = −0.4; all NaN → NaN; NaN skipped → 2·0.4 = 0.8
    assert summed[[0, 1, 3]].tolist() == pytest.approx([2.0, -0.4, 0.8]) and torch.isnan(summed[2])
    own = core.gate_rewards(per_func, w, ["yes_no_exact", "nli"], "yes_no_exact")  # unweighted column
    assert own[:2].tolist() == [1.0, 0.0] and torch.isnan(own[2:]).all()
    with pytest.raises(ValueError, match="not one of this run's reward functions"):
        core.gate_rewards(per_func, w, ["yes_no_exact", "nli"], "yes_no")


def test_answer_labels_from_last_answer_token():
    yes, yes2, no = 7, 9, 8
    ids = torch.tensor([[1, 7, 2, 8], [1, 2, 3, 4], [8, 1, 9, 0], [8, 7, 1, 7]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 0]])
    # row 0: last answer token 8 (no) → 0; row 1: none → −1; row 2: 9 (" yes") → 1
    # row 3: index 3 is masked → the last one is 7 → 1
    labels = core.answer_labels(ids, mask, torch.tensor([yes, yes2, no]), torch.tensor([True, True, False]))
    assert labels.tolist() == [0, -1, 1, 1]


def test_group_answer_entropy_worked():
    # G = 4. group 0: yes yes yes no → s = (.25, .75): H = −.25 ln .25 − .75 ln .75 = .346574 + .215762 = .562335
    # group 1: all yes → 0
    # group 2: yes no + 2 unanswered → (.5, .5) → ln 2 on the answered rows, NaN on the others
    # group 3: nothing answered → NaN everywhere
    labels = torch.tensor([1, 1, 1, 0, 1, 1, 1, 1, 1, -1, 0, -1, -1, -1, -1, -1])
    h = core.group_answer_entropy(labels, 4)
    assert close(h, [0.562335] * 4 + [0.0] * 4 + [math.log(2), NAN, math.log(2), NAN] + [NAN] * 4)
    # three answers (categorical): shares (1/3, 1/3, 1/3) → ln 3 = 1.098612
    assert close(core.group_answer_entropy(torch.tensor([0, 1, 2]), 3, num_classes=3), [math.log(3)] * 3)


def test_marker_starts_last_occurrence_within_mask():
    marker = torch.tensor([5, 6])  # e.g. "Answer" ":"
    ids = torch.tensor([[1, 5, 6, 2, 5, 6], [1, 2, 3, 4, 5, 6], [5, 6, 1, 1, 1, 1], [1, 2, 3, 4, 5, 1]])
    mask = torch.tensor([[1] * 6, [1, 1, 1, 1, 1, 0], [1] * 6, [1] * 6])
    # row 0: at 1 and 4 → 4 (last); row 1: at 4 but ":" masked → −1; row 2: at 0; row 3: 5 without 6 → −1
    assert core.marker_starts(ids, mask, marker).tolist() == [4, -1, 0, -1]
    assert core.marker_starts(ids[:, :1], mask[:, :1], marker).tolist() == [-1] * 4  # marker longer than T


def test_span_mean_entropy_before_the_marker():
    ent = torch.tensor([[1.0, 3.0, 9.0, 9.0], [2.0, 4.0, 6.0, 9.0], [1.0, 1.0, 1.0, 1.0], [5.0, 5.0, 5.0, 5.0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]])
    starts = torch.tensor([2, 3, -1, 0])
    # row 0: tokens 0, 1 → (1 + 3)/2 = 2; row 1: before 3 and in mask → 0, 1 → (2 + 4)/2 = 3
    # row 2: no marker → NaN; row 3: marker first → empty span → NaN
    assert close(core.span_mean_entropy(ent, mask, starts), [2.0, 3.0, NAN, NAN])


def test_shuffled_among_permutes_only_masked_entries():
    v = torch.tensor([10.0, 20.0, 30.0, 40.0, 50.0])
    mask = torch.tensor([True, False, True, True, False])
    out = core.shuffled_among(v, mask, seed=3)
    perm = torch.randperm(3, generator=torch.Generator().manual_seed(3))  # the documented permutation
    expected = v.clone()
    expected[[0, 2, 3]] = v[[0, 2, 3]][perm]
    assert torch.equal(out, expected)
    assert out[1] == 20.0 and out[4] == 50.0  # unmasked entries stay
    assert sorted(out[mask].tolist()) == [10.0, 30.0, 40.0]
    assert torch.equal(core.shuffled_among(v, mask, seed=3), out)  # deterministic
    assert any(not torch.equal(core.shuffled_among(v, mask, seed=s), v) for s in range(5))
