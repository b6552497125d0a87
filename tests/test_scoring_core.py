"""Pure scoring math against hand-computed values (arithmetic in comments)."""

import math

import pytest
import torch

from hero.scoring import core


def test_binary_entropy_hand_values():
    p_yes = torch.tensor([0.3, 0.5, 0.9, 0.0])
    p_no = torch.tensor([0.1, 0.5, 0.0, 0.2])
    h = core.binary_entropy(p_yes, p_no)
    # q = 0.3 / 0.4 = 0.75: −(0.75 ln 0.75 + 0.25 ln 0.25) = 0.75·0.2876821 + 0.25·1.3862944 = 0.5623351
    assert h[0].item() == pytest.approx(0.5623351446, abs=1e-7)
    # q = 0.5: ln 2
    assert h[1].item() == pytest.approx(math.log(2), abs=1e-7)
    # q = 1 and q = 0: no uncertainty, 0·ln 0 = 0
    assert h[2].item() == 0.0 and h[3].item() == 0.0


def test_binary_entropy_no_mass_is_finite():
    # no yes/no mass (VCD's cut-off can remove both): q = 0.5, H = ln 2 — no evidence either way, never "confident"
    # (as the summary's confidence 0.5 and the marginal kind's all-unparseable rule)
    assert core.binary_entropy(torch.tensor([0.0]), torch.tensor([0.0])).item() == pytest.approx(math.log(2))


def test_full_entropy_hand_values():
    logits = torch.tensor([[0.0, 0.0, math.log(2.0)], [1.0, 1.0, 1.0], [0.0, -1e9, -1e9]])
    h = core.full_entropy(logits)
    # [1/4, 1/4, 1/2]: 2·(1/4)·ln 4 + (1/2)·ln 2 = 0.6931472 + 0.3465736 = 1.0397208
    assert h[0].item() == pytest.approx(1.0397207708, abs=1e-6)
    # uniform over 3: ln 3 = 1.0986123
    assert h[1].item() == pytest.approx(math.log(3), abs=1e-6)
    # one-hot: 0
    assert h[2].item() == pytest.approx(0.0, abs=1e-6)


def test_yes_no_variants_summed():
    vocab = {"yes": 0, "Yes": 1, "▁Yes": 2, "no": 3, "No": 4, "maybe": 5, "yesterday": 6, "Ġno": 7, "none": 8}
    assert core.answer_token_ids(vocab, "yes") == [0, 1, 2]
    assert core.answer_token_ids(vocab, "no") == [3, 4, 7]
    probs = torch.tensor([[0.1, 0.2, 0.05, 0.3, 0.1, 0.1, 0.05, 0.05, 0.05]])
    p_yes, p_no = core.yes_no_mass(probs.log(), core.answer_token_ids(vocab, "yes"), core.answer_token_ids(vocab, "no"))
    # yes: 0.1 + 0.2 + 0.05 = 0.35; no: 0.3 + 0.1 + 0.05 = 0.45
    assert p_yes.item() == pytest.approx(0.35, abs=1e-6) and p_no.item() == pytest.approx(0.45, abs=1e-6)


def test_yes_no_mass_needs_both_words():
    with pytest.raises(ValueError, match="no 'yes' or no 'no'"):
        core.yes_no_mass(torch.zeros(1, 3), [0], [])


@pytest.mark.parametrize("text,expected", [
    ("yes", "yes"), (" Yes.", "yes"), ("NO!", "no"), ("no, there is not", "no"), ("maybe", ""), ("", ""),
    (None, ""), ("yesterday", ""),
])
def test_parse_answer(text, expected):
    assert core.parse_answer(text) == expected


def test_answer_after_marker_hand_strings():
    s = "I see a red circle and a blue square. There is no green triangle. Answer: no."
    end, word = core.answer_after_marker(s)
    assert s[:end].endswith("Answer:") and word == "no"
    # the LAST marker counts
    s2 = "Answer: maybe later. I see a red circle. There is a red circle. Answer: yes."
    end2, word2 = core.answer_after_marker(s2)
    assert end2 == len(s2) - len(" yes.") and word2 == "yes"
    # case and spacing variants of the marker
    assert core.answer_after_marker("so the answer : Yes")[1] == "yes"
    # marker present but no yes/no after it; and no marker at all
    assert core.answer_after_marker("Answer: a circle.")[1] == ""
    assert core.answer_after_marker("I see a red circle. There is a red circle.") == (None, "")


def test_answer_token_position_on_hand_tokens():
    toks = ["I", " see", " red", ".", " Answer", ":", " yes", "."]

    def decode(ids):
        return "".join(toks[i] for i in ids)

    ids = list(range(len(toks)))
    text = decode(ids)  # "I see red. Answer: yes."
    end, word = core.answer_after_marker(text)
    assert end == 18 and word == "yes"  # len("I see red. Answer:") = 18
    # tokens 0..5 decode to "I see red. Answer:" → the answer token is token 6 (" yes")
    assert core.answer_token_position(ids, decode, end) == 6
    # marker split differently: "Answer:" as one token
    toks2 = ["There", " is", " no", " cat", ".", " Answer:", " no", "."]
    ids2 = list(range(len(toks2)))

    def decode2(ids):
        return "".join(toks2[i] for i in ids)

    end2, _ = core.answer_after_marker(decode2(ids2))
    assert core.answer_token_position(ids2, decode2, end2) == 6


def test_answer_token_position_with_world_tokenizer():
    from hero.model.tokenizer import build_tokenizer
    from hero.world.text import cot, vocabulary

    tok = build_tokenizer(vocabulary(["red", "blue"], ["circle", "square"]))
    text = cot(["red circle", "blue square"], "red square")  # "... There is no red square. Answer: no."
    ids = tok(text, add_special_tokens=False)["input_ids"]

    def decode(x):
        return tok.decode(x, skip_special_tokens=True)

    end, word = core.answer_after_marker(decode(ids))
    k = core.answer_token_position(ids, decode, end)
    assert word == "no"
    assert tok.convert_ids_to_tokens(ids[k - 2: k + 1]) == ["Answer", ":", "no"]


def test_accuracy_counts_unparseable_as_wrong():
    # 2 right out of 4; '' is wrong
    assert core.accuracy(["yes", "no", "", "no"], ["yes", "no", "no", "yes"]) == 0.5


def test_answer_distribution_at_temperature_hand_values():
    import math

    logits = torch.tensor([[2.0, 0.0, -1e9]])  # yes = 0, no = 1, a third token with no mass
    p_yes, p_no, h_bin, h_full = core.answer_distribution(logits, [0], [1], temperature=2.0)
    e = math.e  # logits / 2 = [1, 0] → p_yes = e / (e + 1) = 0.731059, p_no = 1 / (e + 1) = 0.268941
    assert p_yes.item() == pytest.approx(e / (e + 1), rel=1e-6) and p_no.item() == pytest.approx(1 / (e + 1), rel=1e-6)
    q = e / (e + 1)  # H = −q ln q − (1−q) ln(1−q) = 0.582203
    assert h_bin.item() == pytest.approx(-(q * math.log(q) + (1 - q) * math.log(1 - q)), rel=1e-6)
    assert h_full.item() == pytest.approx(h_bin.item(), rel=1e-5)
    p1 = core.answer_distribution(logits, [0], [1], temperature=1.0)[0]  # T = 1: e² / (e² + 1) = 0.880797
    assert p1.item() == pytest.approx(e**2 / (e**2 + 1), rel=1e-6)
    assert core.answer_distribution(logits, [0], [1], temperature=0.0)[0].item() == p1.item()  # greedy → T = 1
