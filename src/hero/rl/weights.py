"""The entropy-aware weight forms, by name: `HeroConfig.weight_mode` names one, `HeroGRPOTrainer._hero_weigh`
applies it (the one place advantages are multiplied by a weight).

A weight form is `f(entropy (N,), advantages (N,), num_generations, **params) -> w (N,)`, or None for "leave the
advantages unchanged". Rows are the gathered generation batch, the G completions of a prompt contiguous; a NaN
entropy means unknown (the form must give such a row the neutral weight 1). Register one with

    @register_weight("my_form", whole_groups=False, params={"neg_exp_tau": "tau"})
    def my_form(entropy, advantages, num_generations, tau): ...

`params` maps HeroConfig fields to the function's keywords (the values are read from the config at each call).
`whole_groups=True` says w_i depends on the other completions of its group (softmax): the trainer then computes
the entropies over whole generation batches, never per micro-batch. `needs_entropy=False` (only "none") lets the
trainer skip measuring entropies unless `log_entropy` asks for them.
"""

from __future__ import annotations

import torch

from hero.registry import Registry
from hero.rl import core

WEIGHTS = Registry("entropy weight")


def register_weight(name: str, *, whole_groups: bool, params: dict[str, str] | None = None,
                    needs_entropy: bool = True, replace: bool = False):
    """Decorator: register a weight form under `name` (see the module docstring)."""
    return WEIGHTS.register(name, replace=replace, whole_groups=bool(whole_groups), params=dict(params or {}),
                            needs_entropy=bool(needs_entropy))


def whole_groups(name: str) -> bool:
    """Whether the form `name` normalises over whole groups (so micro-batches cannot compute it)."""
    return WEIGHTS.meta(name)["whole_groups"]


def needs_entropy(name: str) -> bool:
    return WEIGHTS.meta(name)["needs_entropy"]


def config_fields(name: str) -> list[str]:
    """The HeroConfig fields the form `name` reads."""
    return list(WEIGHTS.meta(name)["params"])


def compute_weights(name: str, entropy: torch.Tensor, advantages: torch.Tensor, num_generations: int,
                    config) -> torch.Tensor | None:
    """w (N,) of the form `name` with its parameters read from `config`; None when the form leaves A unchanged."""
    kw = {keyword: getattr(config, field) for field, keyword in WEIGHTS.meta(name)["params"].items()}
    return WEIGHTS.get(name)(entropy, advantages, num_generations, **kw)


@register_weight("none", whole_groups=False, needs_entropy=False)
def no_weight(entropy, advantages, num_generations):
    """Advantages unchanged (the ablation without the entropy weight)."""
    return None


@register_weight("softmax", whole_groups=True, params={"softmax_tau": "tau"})
def softmax(entropy, advantages, num_generations, tau):
    """w_i = G_k · exp(−H_i/τ) / Σ_j exp(−H_j/τ) within each group: confident completions weigh more, both
    ways."""
    return core.softmax_weights(entropy, num_generations, tau)  # (N,)


@register_weight("neg_exp", whole_groups=False,
                 params={"neg_exp_lambda": "lam", "neg_exp_tau": "tau", "neg_exp_w_max": "w_max"})
def neg_exp(entropy, advantages, num_generations, lam, tau, w_max):
    """w_i = min(w_max, 1 + λ · exp(−H_i/τ)) for A_i < 0, else 1: only confident errors are amplified."""
    return core.neg_exp_weights(entropy, advantages, lam, tau, w_max)  # (N,)


@register_weight("constant", whole_groups=False, needs_entropy=False, params={"constant_weight": "c"})
def constant(entropy, advantages, num_generations, c):
    """w_i = c for every row (ablation: a weight with no entropy in it; c = 1 leaves the advantages unchanged)."""
    return torch.full_like(advantages, float(c))  # (N,)
