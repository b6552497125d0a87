"""`hero eval` generation: pure helpers against hand values, then batching, VCD and sampling on a tiny model."""

from __future__ import annotations

import math

import pytest
import torch

from eval_helpers import one_thread, scrambled_model, tiny_world
from hero.evaluation.answers import amber_response, final_answer, yes_no
from hero.evaluation.generate import (
    DecodingConfig, Request, gumbel_perturb, load_generator, new_tokens, request_seed,
)


def test_gumbel_perturb_hand_values():
    logits = torch.tensor([[0.0, math.log(3.0), float("-inf")]])
    u = torch.full((1, 3), math.exp(-1.0))
    # −log(−log e^{−1}) = −log 1 = 0: the noise vanishes, logits / T stay → [0, ln 3 / 0.5 = 2.1972, −inf]
    out = gumbel_perturb(logits, u, 0.5)
    assert out[0, 0].item() == 0.0 and out[0, 1].item() == pytest.approx(2 * math.log(3.0), abs=1e-6)
    assert out[0, 2].item() == float("-inf")
    # u = e^{−e^{−2}}: noise = −log(e^{−2}) = 2 → token 0 gets 0 + 2 = 2 < 2.1972 (argmax still 1)
    u2 = torch.tensor([[math.exp(-math.exp(-2.0)), math.exp(-1.0), 0.5]])
    assert gumbel_perturb(logits, u2, 0.5)[0, 0].item() == pytest.approx(2.0, abs=1e-6)


def test_new_tokens_cut_at_first_eos():
    out = torch.tensor([[9, 9, 5, 6, 2, 7], [9, 9, 5, 5, 5, 5]])  # prompt length 2, EOS id 2
    assert new_tokens(out, 2, [2]) == [([5, 6], True), ([5, 5, 5, 5], False)]


def test_request_seed_is_stable_and_keyed():
    a = request_seed(0, "img.png", "Describe this image.", "sample")
    assert a == request_seed(0, "img.png", "Describe this image.", "sample")
    assert len({a, request_seed(1, "img.png", "Describe this image.", "sample"),
                request_seed(0, "img.png", "Describe this image.", "vcd")}) == 3


def test_decoding_config_defaults_and_errors():
    assert DecodingConfig().temperature == 0.0
    assert DecodingConfig(decoding="sample").temperature == 1.0
    assert DecodingConfig(decoding="vcd").temperature == 1.0  # the official VCD scripts sample at T = 1
    assert "vcd_alpha" not in DecodingConfig().identity() and "batch_size" not in DecodingConfig().identity()
    # noise-only specs keep the older identity key "noise" (older run folders resume); others store the spec
    assert DecodingConfig(degrade=30).degrade == "noise:30" and DecodingConfig(degrade="noise:0").degrade is None
    assert DecodingConfig(degrade="noise:30").identity()["noise"] == 30.0 and DecodingConfig().identity()["noise"] == 0
    ident = DecodingConfig(degrade="noise:30+blur:1").identity()
    assert ident["degrade"] == "noise:30+blur:1" and "noise" not in ident
    for kw, msg in [({"decoding": "beam"}, "choose one of"), ({"temperature": 0.7}, "use --decoding sample"),
                    ({"decoding": "sample", "temperature": 0}, "needs --temperature > 0"),
                    ({"decoding": "vcd", "vcd_beta": 0}, "vcd-beta"), ({"vcd_step": 1000}, "0..999"),
                    ({"degrade": -1}, "--degrade"), ({"degrade": "noise:300"}, r"\[0, 255\]"),
                    ({"degrade": "fog:1"}, "registered ops"), ({"batch_size": 0}, "batch-size")]:
        with pytest.raises(ValueError, match=msg):
            DecodingConfig(**kw)


def test_answer_helpers():
    assert final_answer("I see a red circle. Answer: yes.", "cot") == "yes."
    assert final_answer("I see a red circle. Answer: yes.", "answer") == "I see a red circle. Answer: yes."
    assert final_answer("I see nothing.", "cot") == "I see nothing."
    assert yes_no("No, there is not.", "answer") == "no" and yes_no("Answer: YES", "cot") == "yes"
    assert amber_response("yes.", "answer", False) == "Yes" and amber_response("nope", "answer", False) == "nope"
    assert amber_response("There is a red circle.", "answer", True) == "There is a red circle."


# -- on a tiny model --------------------------------------------------------------------------------------------
_threads = pytest.fixture(scope="module", autouse=True)(one_thread)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    world = tiny_world(root / "world", n_test=8)
    model = scrambled_model(root / "model", world)
    images = world / "test" / "images"
    names = sorted(p.name for p in images.iterdir())
    prompts = ["Describe this image.", "Is there a red circle in the image?", "yes",
               "Is there a purple triangle and a green square in the image?"]
    reqs = [Request(n, prompts[i % len(prompts)]) for i, n in enumerate(names)]  # mixed prompt lengths
    return model, images, reqs


def _texts(model, images, reqs, batch, **kw):
    gen = load_generator(model, DecodingConfig(max_new_tokens=10, batch_size=batch, **kw), images)
    rows = []
    for s in range(0, len(reqs), batch):
        rows += gen.generate(reqs[s: s + batch])
    return rows


def test_batched_equals_one_at_a_time_greedy(setup):
    model, images, reqs = setup
    batched, single = _texts(model, images, reqs, 8), _texts(model, images, reqs, 1)
    assert batched == single
    assert len({r["text"] for r in batched}) > 3 and {r["stop"] for r in batched} == {"eos", "length"}
    assert [(r["image"], r["prompt"]) for r in batched] == [r.key for r in reqs]


def test_vcd_alpha_zero_is_greedy_and_alpha_one_changes_outputs(setup):
    model, images, reqs = setup
    greedy = _texts(model, images, reqs, 8)
    assert _texts(model, images, reqs, 8, decoding="vcd", temperature=0, vcd_alpha=0.0) == greedy
    vcd = _texts(model, images, reqs, 8, decoding="vcd", temperature=0, vcd_alpha=1.0)
    assert [r["text"] for r in vcd] != [r["text"] for r in greedy]
    assert _texts(model, images, reqs, 3, decoding="vcd", temperature=0, vcd_alpha=1.0) == vcd  # per-item noise


def test_sampling_is_per_request_and_seeded(setup):
    model, images, reqs = setup
    a = _texts(model, images, reqs, 8, decoding="sample", temperature=1.0)
    assert _texts(model, images, reqs, 3, decoding="sample", temperature=1.0) == a  # batch-independent draws
    b = _texts(model, images, reqs, 8, decoding="sample", temperature=1.0, seed=1)
    assert [r["text"] for r in a] != [r["text"] for r in b]


def test_noise_changes_the_image(setup):
    model, images, reqs = setup
    clean = _texts(model, images, reqs, 8)
    noisy = _texts(model, images, reqs, 8, degrade=50.0)
    assert [r["text"] for r in noisy] != [r["text"] for r in clean]
    assert _texts(model, images, reqs, 8, degrade=50.0) == noisy  # seeded by (seed, image, σ)
