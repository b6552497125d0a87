"""The one seed-derivation rule and the shared pure math (hand values)."""

from __future__ import annotations

import hashlib
import math

import torch

from hero.mathutil import binary_entropy, gumbel_argmax
from hero.seeding import derive_seed


def test_derive_seed_hand_value_and_bits():
    # sha256(b"0|a")[:8] read little-endian; the 63-bit form clears the top bit.
    raw = int.from_bytes(hashlib.sha256(b"0|a").digest()[:8], "little")
    assert derive_seed(0, "a", bits=64) == raw
    assert derive_seed(0, "a") == raw & (2**63 - 1)
    assert derive_seed(5, "x", "noise", repr(30.0), bits=64) == int.from_bytes(
        hashlib.sha256(b"5|x|noise|30.0").digest()[:8], "little")


def test_call_sites_keep_their_historical_keys():
    from hero.degrade import derive_seed as degrade_seed
    from hero.evaluation.generate import request_seed
    from hero.rl.dpo import _seed

    h = lambda key: int.from_bytes(hashlib.sha256(key).digest()[:8], "little")  # noqa: E731
    assert degrade_seed(3, "img.png", "noise", 30) == h(b"3|img.png|noise|30.0")
    assert request_seed(1, "i.png", "Describe.", "sample") == h(b"1|sample|i.png|Describe.") & (2**63 - 1)
    assert _seed(2, "7") == h(b"2|dpo|7") & (2**63 - 1)


def test_binary_entropy_and_gumbel_argmax():
    h = binary_entropy(torch.tensor([0.5, 0.0, 1.0], dtype=torch.float64))
    assert h.tolist() == [math.log(2), 0.0, 0.0]  # −2 · 0.5 ln 0.5 = ln 2; 0 · ln 0 = 0
    # logits [ln 1, ln 3], u = e^{-1} everywhere → Gumbel noise 0 → argmax of [0, 1.0986] = 1
    u = torch.full((1, 2), math.exp(-1))
    assert gumbel_argmax(torch.tensor([[0.0, math.log(3)]]), u, 1.0).tolist() == [1]


def test_count_entropy_worked_values():
    import math

    import pytest

    from hero.mathutil import count_entropy

    # [3, 1]: −(3/4 ln 3/4 + 1/4 ln 1/4) = 0.2157616 + 0.3465736 = 0.5623351; zero counts add nothing
    assert count_entropy([3, 1]) == pytest.approx(0.5623351446) == count_entropy([3, 0, 1])
    assert count_entropy([4]) == 0.0 and count_entropy([2, 2]) == pytest.approx(math.log(2))
