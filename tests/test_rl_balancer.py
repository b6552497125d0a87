"""Worked values for the KL balancers (arithmetic in the comments)."""

import math

import pytest

from hero.rl.balancer import AdaptiveController, BalancerState, FixedController, PIDController


def test_adaptive_worked_steps():
    c = AdaptiveController(target=0.05, gain=0.1, error_clip=0.2, beta_min=1e-4, beta_max=1.0)
    s = BalancerState(beta=0.04)
    # KL = .1: e = clip((.1 − .05)/.05 = 1, ±.2) = .2 → β = .04 · (1 + .1·.2) = .0408
    s1 = c.step(s, 0.1)
    assert s1.beta == pytest.approx(0.0408, abs=1e-12) and s1.steps == 1 and s1.at_bound == ""
    # KL = .045: e = −.005/.05 = −.1 → β = .0408 · .99 = .040392
    assert c.step(s1, 0.045).beta == pytest.approx(0.040392, abs=1e-12)
    # KL on target: unchanged
    assert c.step(s1, 0.05).beta == pytest.approx(0.0408, abs=1e-12)
    # KL = 0: e = −1 → clipped −.2 → β · .98
    assert c.step(s, 0.0).beta == pytest.approx(0.0392, abs=1e-12)


def test_adaptive_clips_to_bounds():
    c = AdaptiveController(beta_min=0.039, beta_max=0.0405)
    # .04 · .98 = .0392 > .039: free; then .0392 · .98 = .038416 < .039 → β_min, at_bound "min"
    s = c.step(BalancerState(0.04), 0.0)
    assert s.at_bound == ""
    s = c.step(s, 0.0)
    assert s.beta == 0.039 and s.at_bound == "min"
    # .04 · 1.02 = .0408 > .0405 → β_max
    up = c.step(BalancerState(0.04), 1.0)
    assert up.beta == 0.0405 and up.at_bound == "max"


def test_pid_worked_steps():
    c = PIDController(target=0.05, kp=1.0, ki=0.1, kd=0.5, beta_min=1e-4, beta_max=1.0)
    s = BalancerState(beta=0.04)
    # e = .1 − .05 = .05; Δ = 1·(.05 − 0) + .1·.05 + .5·(.05 − 0 + 0) = .05 + .005 + .025 = .08 → β = .12
    s1 = c.step(s, 0.1)
    assert s1.beta == pytest.approx(0.12, abs=1e-12)
    assert (s1.prev_error, s1.prev_prev_error) == (pytest.approx(0.05), 0.0)
    # again e = .05: Δ = 1·0 + .005 + .5·(.05 − .1 + 0) = .005 − .025 = −.02 → β = .10
    s2 = c.step(s1, 0.1)
    assert s2.beta == pytest.approx(0.10, abs=1e-12)
    # low KL drives β to β_min: e = −.05 from β = .04: Δ = −.05 − .005 − .025 = −.08 → −.04 → clipped 1e-4
    low = c.step(s, 0.0)
    assert low.beta == 1e-4 and low.at_bound == "min"


def test_fixed_never_moves():
    s = FixedController().step(BalancerState(0.04), 123.0)
    assert s.beta == 0.04 and s.steps == 1


def test_state_roundtrip_and_bad_input():
    s = BalancerState(0.05, 0.01, -0.02, 7, "max")
    assert BalancerState.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="beta"):
        BalancerState.from_dict({"steps": 1})
    with pytest.raises(ValueError, match="finite"):
        AdaptiveController().step(s, math.nan)
