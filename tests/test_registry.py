"""hero.registry and the entropy-weight registry of hero.rl.weights (looked up by HeroConfig and the trainer)."""

import math

import pytest
import torch

from hero.registry import Registry, UnknownName
from hero.rl import weights
from hero.rl.hero_config import HeroConfig
from hero.rl.testing import tiny_trainer


def test_registry_register_get_meta_names():
    reg = Registry("colour")

    @reg.register("red", warm=True)
    def red():
        return "r"

    reg.register("blue", warm=False)(lambda: "b")
    assert reg.names() == ["red", "blue"] and "red" in reg and "green" not in reg
    assert reg.get("red") is red and reg.meta("blue") == {"warm": False}
    reg.meta("red")["warm"] = False  # a copy: the registry is unchanged
    assert reg.meta("red") == {"warm": True}
    with pytest.raises(UnknownName, match=r"^unknown colour 'green'; registered: red, blue$"):
        reg.get("green")
    with pytest.raises(ValueError, match="already registered"):
        reg.register("red")(lambda: "again")
    reg.register("red", replace=True, warm=False)(lambda: "again")
    assert reg.get("red")() == "again"
    reg.unregister("blue")
    assert reg.names() == ["red"]


def test_unknown_name_is_a_key_error_and_a_value_error():
    with pytest.raises(KeyError):
        Registry("x").get("y")
    with pytest.raises(ValueError, match=r"registered: \(none\)"):
        Registry("x").get("y")


def test_builtin_weights_and_their_metadata():
    names = ["none", "softmax", "neg_exp", "constant"]
    assert weights.WEIGHTS.names() == names
    assert [weights.whole_groups(n) for n in names] == [False, True, False, False]
    assert [weights.needs_entropy(n) for n in names] == [False, True, True, False]
    assert weights.config_fields("neg_exp") == ["neg_exp_lambda", "neg_exp_tau", "neg_exp_w_max"]
    assert weights.config_fields("constant") == ["constant_weight"]


def test_builtin_entropy_sources_and_their_metadata(tmp_path):
    from hero.rl import entropy

    assert entropy.SOURCES.names() == ["answer", "mean", "span", "group"]
    needs = [entropy.SOURCES.meta(n)["needs"] for n in entropy.SOURCES.names()]
    assert needs == ["answer_logits", "token_entropies", "token_entropies", "answers"]
    with pytest.raises(ValueError, match=r"entropy_source='tokens' is not a registered entropy source; registered: "
                                         r"answer, mean, span, group"):
        HeroConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False,
                   entropy_source="tokens")
    with pytest.raises(ValueError, match="needs="):
        entropy.register_source("x", needs="logits")


def test_compute_weights_reads_parameters_from_the_config(tmp_path):
    cfg = HeroConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False,
                     num_generations=2, neg_exp_lambda=1.0, neg_exp_tau=0.5, neg_exp_w_max=3.0)
    H, A = torch.tensor([0.0, 0.5, 0.5, math.nan]), torch.tensor([-1.0, -1.0, 1.0, -1.0])  # (N,) with G = 2
    w = weights.compute_weights("neg_exp", H, A, 2, cfg)
    # 1 + 1·e^0 = 2; 1 + e^(−0.5/0.5) = 1 + 1/e; A > 0 → 1; NaN entropy → 1
    assert torch.allclose(w, torch.tensor([2.0, 1 + math.exp(-1), 1.0, 1.0]))
    # softmax τ = 1, group (0, 0.5): 2·e^0/(e^0 + e^−0.5) = 2/(1 + e^−0.5);
    # group (0.5, NaN): the known member alone → 1·e^−0.5/e^−0.5 = 1, the NaN one → 1
    ws = weights.compute_weights("softmax", H, A, 2, cfg)
    first = 2 / (1 + math.exp(-0.5))
    assert torch.allclose(ws, torch.tensor([first, 2 - first, 1.0, 1.0]))
    assert weights.compute_weights("none", H, A, 2, cfg) is None
    # constant: c = constant_weight (1.0 by default) for every row, whatever H and A
    assert torch.equal(weights.compute_weights("constant", H, A, 2, cfg), torch.ones(4))


def test_config_lists_registered_weights_for_an_unknown_name(tmp_path):
    with pytest.raises(ValueError, match=r"weight_mode='exp' is not a registered entropy weight; registered: none, "
                                         r"softmax, neg_exp, constant"):
        HeroConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False,
                   weight_mode="exp")


@pytest.fixture
def doubling_weight():
    """A weight registered by the test: w = 2·λ for A < 0, else 1, with λ read from neg_exp_lambda."""

    @weights.register_weight("test_doubling", whole_groups=False, params={"neg_exp_lambda": "lam"})
    def doubling(entropy, advantages, num_generations, lam):
        return torch.where(advantages < 0, torch.full_like(advantages, 2.0 * lam), torch.ones_like(advantages))

    yield "test_doubling"
    weights.WEIGHTS.unregister("test_doubling")


def test_a_registered_weight_is_used_by_name(tmp_path, doubling_weight):
    trainer = tiny_trainer(tmp_path, weight_mode=doubling_weight, neg_exp_lambda=1.5, gate=False, balancer="fixed")
    assert trainer._hero_entropy_plan() == "loss"  # per-sample form: H read from the gradient forward
    adv, H = torch.tensor([-1.0, 0.5, -0.25, 2.0]), torch.tensor([0.1, 0.2, math.nan, 0.4])  # (B,)
    out = trainer._hero_weigh(adv, H, torch.ones(4, dtype=torch.bool))
    assert out.tolist() == [-3.0, 0.5, -0.75, 2.0]  # A < 0 rows × 2·1.5 = 3
    assert trainer._metrics["train"]["hero/weight_mean"] == [2.0]  # (3 + 1 + 3 + 1) / 4


def test_a_weight_reading_a_missing_field_is_refused(tmp_path):
    weights.register_weight("test_bad", whole_groups=True, params={"no_such_field": "x"})(lambda e, a, g, x: None)
    try:
        with pytest.raises(ValueError, match=r"reads \['no_such_field'\], which are not HeroConfig fields"):
            HeroConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False,
                       weight_mode="test_bad")
    finally:
        weights.WEIGHTS.unregister("test_bad")
