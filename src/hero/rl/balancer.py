"""Dynamic balancers for the KL weight β in L = L_PG + β_t · KL(π‖π_ref).

Each controller is a frozen dataclass of hyper-parameters with a pure `step(state, kl) -> state`; the state is a
small frozen dataclass that the trainer keeps, logs and saves in checkpoints (`to_dict` / `from_dict`).
`state.at_bound` says whether the last step had to clip β to β_min ("min") or β_max ("max"), else "".
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class BalancerState:
    """β and the controller memory after `steps` updates."""

    beta: float
    prev_error: float = 0.0
    prev_prev_error: float = 0.0
    steps: int = 0
    at_bound: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "BalancerState":
        names = {f.name for f in dataclasses.fields(cls)}
        missing = {"beta"} - set(d)
        if missing:
            raise ValueError(f"balancer state lacks {sorted(missing)}; got keys {sorted(d)}")
        return cls(**{k: v for k, v in d.items() if k in names})


def _clip(value: float, lo: float, hi: float) -> tuple[float, str]:
    """(value clipped to [lo, hi], "min"/"max"/"" telling which bound was hit)."""
    if value <= lo:
        return lo, "min"
    if value >= hi:
        return hi, "max"
    return value, ""


def _check_kl(kl: float) -> None:
    if not math.isfinite(kl):
        raise ValueError(f"KL must be finite to update β, got {kl}")


@dataclass(frozen=True)
class FixedController:
    """β never changes (ablation and plain GRPO)."""

    def step(self, state: BalancerState, kl: float) -> BalancerState:
        return dataclasses.replace(state, steps=state.steps + 1, at_bound="")


@dataclass(frozen=True)
class AdaptiveController:
    """Ziegler et al. (2019): e = clip((KL − KL*)/KL*, −c, c); β ← clip(β · (1 + K · e), β_min, β_max)."""

    target: float = 0.05
    gain: float = 0.1
    error_clip: float = 0.2
    beta_min: float = 1e-4
    beta_max: float = 1.0

    def step(self, state: BalancerState, kl: float) -> BalancerState:
        _check_kl(kl)
        e = min(max((kl - self.target) / self.target, -self.error_clip), self.error_clip)
        beta, bound = _clip(state.beta * (1 + self.gain * e), self.beta_min, self.beta_max)
        return BalancerState(beta, e, state.prev_error, state.steps + 1, bound)


@dataclass(frozen=True)
class PIDController:
    """Velocity-form PID on e = KL − KL* (nats/token); gains are in β per nat/token.

    β ← clip(β + kp · (e − e₋₁) + ki · e + kd · (e − 2e₋₁ + e₋₂), β_min, β_max). Clipping β itself is the
    anti-windup: the velocity form keeps no integral that could wind up while β sits at a bound.
    """

    target: float = 0.05
    kp: float = 1.0
    ki: float = 0.1
    kd: float = 0.0
    beta_min: float = 1e-4
    beta_max: float = 1.0

    def step(self, state: BalancerState, kl: float) -> BalancerState:
        _check_kl(kl)
        e, e1, e2 = kl - self.target, state.prev_error, state.prev_prev_error
        delta = self.kp * (e - e1) + self.ki * e + self.kd * (e - 2 * e1 + e2)
        beta, bound = _clip(state.beta + delta, self.beta_min, self.beta_max)
        return BalancerState(beta, e, e1, state.steps + 1, bound)


Controller = FixedController | AdaptiveController | PIDController
