"""Image degradation: measured noise statistics, seeding independent of order, the other ops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from hero import degrade
from hero.degrade import Degradation, DegradeSpec, apply, derive_seed, merge_specs, noise_specs, parse_list


def _clipped_rounded_std(mu: float, sigma: float) -> float:
    """Exact std of clip(round(mu + N(0, σ²)), 0, 255): sum over the 256 reachable values."""
    cdf = lambda x: 0.5 * (1 + math.erf((x - mu) / (sigma * math.sqrt(2))))  # noqa: E731
    probs = [cdf(0.5)] + [cdf(k + 0.5) - cdf(k - 0.5) for k in range(1, 255)] + [1 - cdf(254.5)]
    mean = sum(k * p for k, p in enumerate(probs))
    return math.sqrt(sum((k - mean) ** 2 * p for k, p in enumerate(probs)))


@pytest.mark.parametrize("sigma", [10.0, 30.0, 50.0])
def test_noise_std_on_mid_grey_matches_sigma_with_clipping(sigma):
    grey = Image.new("RGB", (256, 256), (128, 128, 128))
    out = np.asarray(apply(grey, f"noise:{sigma}", seed=0, image_id="grey"), dtype=np.float64)
    expected = _clipped_rounded_std(128, sigma)
    # σ=30: clipping at 128/30 = 4.3σ barely matters → expected ≈ 30.0; σ=50: 2.56σ → expected ≈ 48.3
    assert abs(out.std() - expected) / expected < 0.02
    if sigma <= 30:
        assert abs(expected - sigma) / sigma < 0.01
    assert abs(out.mean() - 128) < 0.5


def test_noise_formula_is_clip_round_of_gaussian():
    img = Image.new("RGB", (8, 8), (250, 3, 128))
    spec = DegradeSpec("noise", 30)
    rng = np.random.default_rng(derive_seed(5, "x", "noise", 30.0))
    expected = np.clip(np.rint(np.asarray(img, np.float64) + rng.normal(0, 30, (8, 8, 3))), 0, 255)
    assert np.array_equal(np.asarray(apply(img, spec, seed=5, image_id="x")), expected.astype(np.uint8))


def test_seed_depends_on_image_id_and_sigma_not_on_order():
    a = Image.new("RGB", (16, 16), (100, 100, 100))
    first = [np.asarray(apply(a, 30, 0, f"img{i}")) for i in range(3)]
    reversed_ = [np.asarray(apply(a, 30, 0, f"img{i}")) for i in reversed(range(3))][::-1]
    assert all(np.array_equal(x, y) for x, y in zip(first, reversed_))
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(np.asarray(apply(a, 30, 0, "img0")), np.asarray(apply(a, 50, 0, "img0")))
    assert not np.array_equal(np.asarray(apply(a, 30, 0, "img0")), np.asarray(apply(a, 30, 1, "img0")))


def test_sigma_zero_is_identity_and_other_ops():
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    assert np.array_equal(np.asarray(apply(img, "noise:0")), np.asarray(img))
    down = np.asarray(apply(img, "down:4"))
    assert down.shape == (32, 32, 3) and not np.array_equal(down, np.asarray(img))
    blurred = np.asarray(apply(img, "blur:2"), np.float64)
    assert blurred.std() < np.asarray(img, np.float64).std() / 2  # blur removes most of white noise's variance
    occ = np.asarray(apply(img, "occlude:0.25", seed=0, image_id="o"))
    assert (occ == 128).all(axis=2).sum() == 16 * 16  # a 16×16 grey square = 25 % of 32×32


def test_spec_parsing_and_errors():
    assert [str(d) for d in parse_list("0,30,50")] == ["none", "noise:30", "noise:50"]
    assert parse_list("blur:1.5, down:2") == [Degradation((DegradeSpec("blur", 1.5),)),
                                              Degradation((DegradeSpec("down", 2),))]
    for bad, msg in [("noise:-1", "≥ 0"), ("fog:3", "registered ops: noise, grain, blur, down, occlude"),
                     ("down:1.5", "integer"), ("occlude:2", "[0, 1]"), ("", "empty"), ("noise:abc", "bad level"),
                     ("noise:256", "[0, 255]"), ("noise:nan", "finite"), ("noise:30+noise:50", "twice")]:
        with pytest.raises(ValueError, match=None) as e:
            parse_list(bad)
        assert msg in str(e.value), (bad, str(e.value))


def test_canonical_strings_sigma_and_family():
    cases = {"30": ("noise:30", 30.0, "noise"), "noise:30.0": ("noise:30", 30.0, "noise"),
             "noise:0": ("none", 0.0, "none"), "none": ("none", 0.0, "none"), "down:1": ("none", 0.0, "none"),
             "blur:1.50": ("blur:1.5", None, "blur"), " noise:30 + blur:1 ": ("noise:30+blur:1", None, "noise+blur"),
             "noise:30+blur:0": ("noise:30", 30.0, "noise")}
    for text, (canon, sigma, family) in cases.items():
        d = Degradation.parse(text)
        assert (str(d), d.sigma, d.family) == (canon, sigma, family), text
    assert Degradation.parse(12.5).level == 12.5 and Degradation.parse("noise:30+blur:1").level is None
    assert Degradation.parse(None).is_identity and degrade.canonical(30) == "noise:30"


def test_composition_applies_steps_in_order_each_seeded_by_its_own_op_and_level():
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    noisy = apply(img, "noise:30", seed=2, image_id="a")
    both = apply(img, "noise:30+blur:1", seed=2, image_id="a")
    assert np.array_equal(np.asarray(both), np.asarray(apply(noisy, "blur:1")))
    other = apply(apply(img, "blur:1"), "noise:30", seed=2, image_id="a")
    assert np.array_equal(np.asarray(apply(img, "blur:1+noise:30", seed=2, image_id="a")), np.asarray(other))
    assert not np.array_equal(np.asarray(both), np.asarray(other))


def test_noise_shorthand_and_merge():
    assert noise_specs("0,30,50") == ["none", "noise:30", "noise:50"] and noise_specs(None) == []
    assert merge_specs([0, 30], ["blur:1", "noise:30", "30"]) == ["none", "noise:30", "blur:1"]
    assert merge_specs(None, None) == ["none", "noise:30", "noise:50"]
    assert merge_specs("", "noise:30+blur:1") == ["noise:30+blur:1"]
    with pytest.raises(ValueError, match="comma-separated numbers"):
        noise_specs("0,abc")
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        merge_specs([0, 300])


def test_register_op_makes_a_new_op_parseable_and_applicable():
    @degrade.register_op("invert_test", check=lambda v: None if v <= 1 else "must be ≤ 1")
    def _invert(image, level, rng):
        a = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.rint(a + level * (255 - 2 * a)).astype(np.uint8))

    try:
        img = Image.new("RGB", (2, 2), (10, 200, 128))
        assert np.asarray(apply(img, "invert_test:1"))[0, 0].tolist() == [245, 55, 127]  # 255 − x
        assert str(Degradation.parse("invert_test:0.5+noise:0")) == "invert_test:0.5"
        with pytest.raises(ValueError, match="must be ≤ 1"):
            Degradation.parse("invert_test:2")
    finally:
        degrade._OPS.pop("invert_test")


def test_smooth_noise_without_correlation_is_the_white_noise_times_sigma():
    # ℓ = 0: G(f) = 1 everywhere, mean G² = 1, so the field is σ · N(0, 1) itself (channels first, then moved last)
    white = np.random.default_rng(3).normal(0.0, 1.0, size=(3, 8, 8))
    got = degrade.smooth_noise((8, 8, 3), 30.0, 0.0, np.random.default_rng(3))
    assert np.allclose(got, 30.0 * white.transpose(1, 2, 0))


def test_grain_keeps_the_per_pixel_sigma_and_is_correlated_over_its_length():
    # A Gaussian low-pass of std ℓ gives a field whose autocorrelation is Gaussian with std ℓ√2: corr(d) =
    # exp(−d² / (4ℓ²)); ℓ = 3 px (GRAIN_LENGTH × 64): corr(1) = exp(−1/36) = 0.9726, corr(6) = exp(−1) = 0.368.
    draws = np.stack([degrade.smooth_noise((64, 64, 1), 50.0, 3.0, np.random.default_rng(s))[..., 0]
                      for s in range(400)])  # (400, 64, 64)
    assert abs(draws[:, 20, 20].std() - 50.0) < 50.0 * 0.08  # one pixel over 400 draws: σ (±8 % sampling error)
    assert abs(draws.std() - 50.0) < 0.5  # every pixel has std σ exactly, so the pooled std is σ too

    def corr(d: int) -> float:
        return float(np.mean(draws[:, :, :-d] * draws[:, :, d:]) / 50.0**2)

    assert abs(corr(1) - math.exp(-1 / 36)) < 0.01 and abs(corr(6) - math.exp(-1)) < 0.02


def test_grain_does_not_average_out_over_an_object():
    grey = Image.new("RGB", (64, 64), (128, 128, 128))
    block = lambda spec, s: np.asarray(apply(grey, spec, seed=s, image_id="g"), np.float64)[24:40, 24:40].mean((0, 1))  # noqa: E731
    iid = np.std([block("noise:50", s) for s in range(60)])
    grain = np.std([block("grain:50", s) for s in range(60)])
    # a 16×16 object's mean colour: i.i.d. noise moves it by σ/16 ≈ 3.1; grain (ℓ = 3 px) by ≈ 15 — five times more
    assert iid < 4.5 and grain > 5 * iid
    assert np.array_equal(np.asarray(apply(grey, "grain:0")), np.asarray(grey))
    assert Degradation.parse("grain:50").sigma is None  # `sigma` stays noise-only (what older runs recorded) ...
    assert degrade.pixel_sigma("grain:50") == 50.0 and degrade.pixel_sigma("noise:30") == 30.0  # ... pixel_sigma reads both
    assert degrade.pixel_sigma("none") == 0.0 and degrade.pixel_sigma("blur:1") is None
    assert degrade.pixel_sigma("grain:30+blur:1") is None
    assert degrade.level_spec("grain", 30) == "grain:30" and degrade.level_spec("grain", 0) == "none"
    with pytest.raises(ValueError, match="not a noise op with a σ level; use one of noise, grain"):
        degrade.level_spec("blur", 1)
    with pytest.raises(ValueError, match=r"grain level σ must be in \[0, 255\]"):
        Degradation.parse("grain:300")
