"""Rewards: yes/no verifier, range/NaN guards, NLI reward (tiny classifier built from a config)."""

import math

import pytest
import torch

from hero.rewards import YesNoReward, checked, completion_text, parse_yes_no
from hero.rewards.nli import NLIReward, claim_scores, label_indices, mean_per_completion, split_claims


@pytest.mark.parametrize(
    "text, want",
    [
        ("Answer: yes.", "yes"),
        ("i see a red circle . so the answer is no", "no"),
        ("answer : Yes", "yes"),
        ("Answer: no. Wait. Answer: yes.", "yes"),  # the final answer counts
        ("yes", "yes"),
        (" No. ", "no"),
        ("yes no", None),
        ("i think so", None),
        ("", None),
        ("yesterday", None),
    ],
)
def test_parse_yes_no(text, want):
    assert parse_yes_no(text) == want


def test_yes_no_reward_counts_unparseable():
    logged = {}
    r = YesNoReward()
    out = r(["p"] * 4, ["Answer: yes.", "no", "maybe", [{"role": "assistant", "content": "Answer: no."}]],
            answer=["yes", "yes", "no", "no"], log_metric=lambda k, v: logged.update({k: v}))
    # right, wrong, unparseable (0), right (conversational form)
    assert out == [1.0, 0.0, 0.0, 1.0]
    assert (r.unparseable, r.total) == (1, 4) and logged == {"yes_no_unparseable_frac": 0.25}


def test_yes_no_reward_bad_reference_and_missing_column():
    with pytest.raises(ValueError, match="sample 1.*'maybe'"):
        YesNoReward()(["p", "p"], ["yes", "no"], answer=["yes", "maybe"])
    with pytest.raises(ValueError, match="column 'answer'"):
        YesNoReward()(["p"], ["yes"], label=["yes"])


def test_checked_names_function_and_sample():
    def shaky(prompts, completions, **kw):
        return [0.5, math.nan]

    def too_big(prompts, completions, **kw):
        return [0.5, None, 1.5]

    with pytest.raises(ValueError, match=r"'shaky' returned nan for sample 1 \(prompt 'q2'"):
        checked(shaky, 0, 1)(["q1", "q2"], ["a", "b"])
    with pytest.raises(ValueError, match=r"'too_big' returned 1.5 for sample 2.*outside its declared range \[0, 1\]"):
        checked(too_big, 0, 1)(["q"] * 3, ["a"] * 3)
    with pytest.raises(ValueError, match="inf"):
        checked(lambda prompts, completions, **kw: [math.inf], -1, 1)(["q"], ["a"])
    ok = checked(YesNoReward(), 0, 1)
    assert ok.__name__ == "yes_no_exact" and ok(["q"], ["yes"], answer=["yes"]) == [1.0]


def test_completion_text_forms():
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "hi"}]}]) == "hi"
    with pytest.raises(TypeError):
        completion_text(3)


def test_split_claims():
    text = "i see a red circle and a blue star. there is no square! So the answer is no."
    assert split_claims(text) == ["i see a red circle and a blue star", "there is no square"]
    assert split_claims("Answer: yes.") == [] and split_claims(" . ; ") == []


def test_label_mapping():
    assert label_indices({0: "ENTAILMENT", 1: "neutral", 2: "CONTRADICTION"}) == (0, 2)
    assert label_indices({"0": "contradiction", "1": "entailment", "2": "neutral"}) == (1, 0)
    with pytest.raises(ValueError, match=r"id2label = \{0: 'LABEL_0', 1: 'LABEL_1'\}"):
        label_indices({0: "LABEL_0", 1: "LABEL_1"})


def test_claim_scores_and_means():
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.5, 0.0]])
    s = claim_scores(probs, 0, 2)
    # .7 − .1 = .6 ; .1 − .6 = −.5 ; .5 − 0 = .5
    assert torch.allclose(s, torch.tensor([0.6, -0.5, 0.5]))
    means, count = mean_per_completion(s, torch.tensor([0, 0, 2]), 3)
    # completion 0: (.6 − .5)/2 = .05 ; completion 1: no claim → 0 ; completion 2: .5
    assert torch.allclose(means, torch.tensor([0.05, 0.0, 0.5])) and count.tolist() == [2.0, 0.0, 1.0]


def tiny_nli(id2label):
    from transformers import BertConfig, BertForSequenceClassification

    from hero.rl.testing import tiny_tokenizer

    tok = tiny_tokenizer()
    cfg = BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, num_labels=len(id2label), id2label=id2label,
                     label2id={v: k for k, v in id2label.items()}, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    return BertForSequenceClassification(cfg).eval(), tok


def test_nli_reward_matches_manual_forward():
    model, tok = tiny_nli({0: "entailment", 1: "neutral", 2: "contradiction"})
    reward = NLIReward(model, tok)
    completions = ["i see a red circle . there is a blue star . answer : yes", "answer : no"]
    logged = {}
    out = reward(["p", "p"], completions, reference=["a red circle", "a green square"],
                 log_metric=lambda k, v: logged.update({k: v}))
    enc = tok(["a red circle"] * 2, ["i see a red circle", "there is a blue star"], padding=True,
              return_tensors="pt")
    with torch.no_grad():
        p = torch.softmax(model(**enc).logits, -1)
    expected = ((p[:, 0] - p[:, 2]).mean()).item()
    assert out[0] == pytest.approx(expected, abs=1e-6) and -1 <= out[0] <= 1
    assert out[1] == 0.0 and reward.no_claims == 1 and logged == {"nli_no_claim_frac": 0.5}


def test_nli_reward_refuses_unmappable_labels():
    model, tok = tiny_nli({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    with pytest.raises(ValueError, match="LABEL_0"):
        NLIReward(model, tok)


def test_guard_reward_funcs_wraps_plain_callables_only():
    import functools

    from hero.rewards.checks import guard_reward_funcs

    async def later(prompts, completions, **kw):
        return [0.0]

    def plain(prompts, completions, **kw):
        return [math.inf]

    v = YesNoReward()
    g = guard_reward_funcs(["some/model-id", later, plain, v, functools.partial(plain)])
    assert g[0] == "some/model-id" and g[1] is later
    assert isinstance(g[2], checked) and (g[2].low, g[2].high) == (-math.inf, math.inf)
    assert isinstance(g[3], checked) and (g[3].low, g[3].high) == (0.0, 1.0) and g[3].__name__ == "yes_no_exact"
    with pytest.raises(ValueError, match="'plain' returned inf for sample 0"):
        g[4](["q"], ["a"])
    assert guard_reward_funcs(None) is None and isinstance(guard_reward_funcs(plain), checked)
