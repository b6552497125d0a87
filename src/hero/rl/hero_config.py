"""`HeroConfig`: TRL's `GRPOConfig` plus the three HERO mechanisms, each switchable alone.

Ablations: `weight_mode="none"` (no entropy weight), `gate=False` (no variance gate), `balancer="fixed"` (constant
β). All three off is plain GRPO with TRL's loss (the identity test checks it to 1e-6). Further ablations:
`entropy_shuffle` (H permuted among the rows), `weight_mode="constant"`; `hard_negatives` penalises all-wrong groups.
`GRPO_CONTROLS` are the fields `hero train grpo` accepts too, so a GRPO control gates exactly like HERO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from trl import GRPOConfig

from hero.rl import entropy, weights

BALANCERS = ("adaptive", "pid", "fixed")
GRPO_CONTROLS = ("gate", "gate_delta", "gate_budget", "hard_negatives", "hard_negative_advantage",
                 "hard_negative_threshold", "gate_reward")
"""HeroConfig fields `hero train grpo` accepts too (a fair control: the same groups dropped, the same all-wrong
groups penalised). Given any of them, grpo runs HeroGRPOTrainer with `GRPO_MECHANISMS_OFF`."""
GRPO_MECHANISMS_OFF = {"weight_mode": "none", "balancer": "fixed", "log_entropy": False}
"""HERO's weight and balancer off, no entropy measured: HeroGRPOTrainer is then TRL's GRPO (+ the controls)."""


@dataclass
class HeroConfig(GRPOConfig):
    """GRPOConfig + HERO. Defaults are the paper's: G = 8, DAPO loss with ε_low 0.2 / ε_high 0.28, β_0 = 0.04."""

    # --- GRPO defaults HERO changes --------------------------------------------------------------------------------
    beta: float = field(default=0.04, metadata={"help": "Initial KL weight β_0 (the balancer moves it)."})
    """Initial KL weight β_0. Must be > 0 unless `balancer="fixed"`: TRL creates the reference model only when
    β ≠ 0 at construction."""
    epsilon_high: float | None = field(default=0.28, metadata={"help": "Upper clip ε_high of the DAPO surrogate."})
    """Upper clipping bound ε_high of TRL's clipped surrogate (DAPO's clip-higher; ε_low is `epsilon` = 0.2)."""

    # --- entropy-aware weight ------------------------------------------------------------------------------------
    weight_mode: str = field(default="neg_exp", metadata={"help": "a weight of hero.rl.weights: none | softmax | "
                                                                  "neg_exp | one you registered"})
    """How each completion's advantage is weighted by its entropy, by name in the registry `hero.rl.weights.WEIGHTS`:
    "neg_exp" amplifies confident errors only, "softmax" weighs confident completions more in both directions,
    "none" leaves advantages unchanged; `@register_weight` adds a form."""
    entropy_source: str = field(default="answer", metadata={"help": "a source of hero.rl.entropy: answer | mean | "
                                                                     "span | group"})
    """Which entropy H_i feeds the weight, by name in the registry `hero.rl.entropy.SOURCES`: "answer" = binary
    entropy of yes vs no at the last answer token of the completion (yes/no tasks); "mean" = mean token entropy over
    the completion (open-ended tasks); "span" = mean token entropy over the CoT's perception span, the completion
    tokens before the last `answer_marker`; "group" = the marginal answer entropy of the prompt's G rollouts (binary
    entropy of the group's yes share, each answer read from the last answer token: 0 when all G agree, ln 2 at a
    4–4 split of 8), the same for every answered row of a group (so the softmax weight is 1 within a group).
    No answer token / no marker → H unknown → weight 1. `@register_source` adds a source."""
    answer_words: list[str] = field(default_factory=lambda: ["yes", "no"], metadata={"help": "positive, negative"})
    """The two answer words for entropy_source="answer" (positive first). Each must be one token in the tokenizer,
    alone or after a space; capitalised variants are included when they are single tokens too."""
    answer_marker: str = field(default="Answer:", metadata={"help": "text ending the CoT before the answer (span)"})
    """For entropy_source="span": the text that ends the perception span (the world's CoT ends "... Answer: yes.");
    matched as tokens, alone or after a space, as written or lower-case."""
    entropy_shuffle: bool = field(default=False, metadata={"help": "ablation: permute H among the rows"})
    """Ablation: the per-row entropies are permuted (seeded by `seed` and a call counter) among the real rows weighed
    together (the generation batch; the micro-batch when H is read from the gradient forward) before the weight is
    computed, so the weight keeps its distribution but loses its link to the sample. Logged entropies stay true."""
    constant_weight: float = field(default=1.0, metadata={"help": "w of weight_mode=constant"})
    """The weight of every row under weight_mode="constant" (ablation: a weight with no entropy in it)."""
    softmax_tau: float = field(default=1.0, metadata={"help": "τ of the softmax weight"})
    """Temperature τ of the softmax weight w_i = G · exp(−H_i/τ) / Σ_j exp(−H_j/τ)."""
    neg_exp_lambda: float = field(default=2.0, metadata={"help": "λ of the neg_exp weight"})
    """λ of the neg_exp weight w_i = min(w_max, 1 + λ · exp(−H_i/τ)) for A_i < 0."""
    neg_exp_tau: float = field(default=0.2, metadata={"help": "τ of the neg_exp weight"})
    """τ of the neg_exp weight (in nats: at H = τ the extra cost has decayed to λ/e)."""
    neg_exp_w_max: float = field(default=3.0, metadata={"help": "cap w_max of the neg_exp weight"})
    """Cap w_max of the neg_exp weight (≥ 1)."""
    entropy_from_loss_forward: bool = field(default=True, metadata={"help": "read H from the gradient forward"})
    """Where TRL runs no no-grad policy pass (generation and optimizer steps aligned, num_iterations = 1) the
    parameters at the loss forward are still the sampling ones, so the per-sample weights (neg_exp, none) read H,
    detached, from that forward at no cost. False forces one extra no-grad pass instead (softmax always needs it:
    its weights are normalised over a whole group, which micro-batches split)."""
    log_entropy: bool = field(default=True, metadata={"help": "measure entropy even when weight_mode=none"})
    """Measure the entropies even with weight_mode="none", for the hero/entropy_right and hero/entropy_wrong metrics
    (free when read from a pass TRL runs anyway). Set False for a plain GRPO baseline."""

    # --- variance gate -------------------------------------------------------------------------------------------
    gate: bool = field(default=True, metadata={"help": "drop groups whose reward std <= gate_delta"})
    """Keep a prompt group only if the std of its rewards exceeds `gate_delta`; dropped rows cost no policy
    forward or backward. `hero train grpo` takes it too (off by default there: DAPO's dynamic-sampling filter)."""
    gate_delta: float = field(default=1e-6, metadata={"help": "reward-std threshold δ of the gate"})
    """Threshold δ on the group reward std (1e-6 drops exactly the all-right and all-wrong binary groups)."""
    gate_budget: float | None = field(default=None, metadata={"help": "keep only the top ρ of groups by reward std"})
    """Budget mode: keep at most ceil(ρ · n_groups) groups, those with the largest reward std (None = off)."""

    gate_reward: str | None = field(default=None, metadata={"help": "reward function the gate reads (None: sum)"})
    """The reward function (by its logged name, e.g. 'yes_no_exact' for the yes_no reward, 'nli') whose own rewards
    the gate and hard negatives read; None = the summed reward. With a summed yes_no+nli reward the sum is
    continuous, so a zero-variance gate on it drops only identical completions and no threshold separates
    all-wrong groups; 'yes_no_exact' gates on answer correctness while the advantages still use the sum."""
    hard_negatives: bool = field(default=False, metadata={"help": "penalise all-wrong groups instead of gating"})
    """Hard negatives: a group whose every scorable reward is ≤ `hard_negative_threshold` (all wrong) keeps its
    rows through the gate (and budget mode) and each scorable row gets advantage −`hard_negative_advantage` instead
    of GRPO's 0; the entropy weight then multiplies it, so a confident wrong answer costs most."""
    hard_negative_advantage: float = field(default=1.0, metadata={"help": "a: advantage −a of hard-negative rows"})
    """a > 0: the advantage −a given to each row of an all-wrong group under `hard_negatives`."""
    hard_negative_threshold: float = field(default=0.0, metadata={"help": "all wrong: max group reward <= this"})
    """A group is all wrong when its largest scorable reward is ≤ this (0 for the 0/1 yes_no reward)."""

    # --- KL balancer ---------------------------------------------------------------------------------------------
    balancer: str = field(default="adaptive", metadata={"help": "adaptive | pid | fixed"})
    """Controller of β, updated once per optimizer step from the KL reduced across processes."""
    kl_target: float = field(default=0.05, metadata={"help": "KL* in nats/token"})
    """Target KL* (nats per token, TRL's k3 estimator) of the adaptive and PID balancers."""
    adaptive_gain: float = field(default=0.1, metadata={"help": "K of the adaptive balancer"})
    """Gain K of the adaptive balancer: β ← β · (1 + K · e), e = clip((KL − KL*)/KL*, ±adaptive_error_clip)."""
    adaptive_error_clip: float = field(default=0.2, metadata={"help": "clip of the adaptive error"})
    """Clip of the proportional error of the adaptive balancer."""
    pid_kp: float = field(default=1.0, metadata={"help": "PID proportional gain"})
    """Proportional gain of the PID balancer (β per nat/token of KL error)."""
    pid_ki: float = field(default=0.1, metadata={"help": "PID integral gain"})
    """Integral gain of the PID balancer (β per nat/token per step)."""
    pid_kd: float = field(default=0.0, metadata={"help": "PID derivative gain"})
    """Derivative gain of the PID balancer."""
    beta_min: float = field(default=1e-4, metadata={"help": "floor of β (> 0)"})
    """Floor of β for the adaptive and PID balancers; > 0 so the reference model keeps being used."""
    beta_max: float = field(default=1.0, metadata={"help": "ceiling of β"})
    """Ceiling of β for the adaptive and PID balancers."""

    def __post_init__(self):
        self._validate_hero()
        super().__post_init__()

    def _validate_hero(self) -> None:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValueError(f"HeroConfig: {msg}")

        need(self.weight_mode in weights.WEIGHTS,
             f"weight_mode={self.weight_mode!r} is not a registered entropy weight; registered: "
             f"{', '.join(weights.WEIGHTS.names())} (add one with hero.rl.weights.register_weight)")
        missing = [f for f in weights.config_fields(self.weight_mode) if not hasattr(self, f)]
        need(not missing, f"weight_mode={self.weight_mode!r} reads {missing}, which are not HeroConfig fields; fix "
             "the params= of its register_weight (HeroConfig field -> keyword of the function)")
        need(self.entropy_source in entropy.SOURCES,
             f"entropy_source={self.entropy_source!r} is not a registered entropy source; registered: "
             f"{', '.join(entropy.SOURCES.names())} (add one with hero.rl.entropy.register_source)")
        need(self.balancer in BALANCERS, f"balancer={self.balancer!r} is not one of {BALANCERS}")
        need(bool(self.answer_marker.strip()), "answer_marker must be non-empty text (e.g. 'Answer:')")
        need(self.constant_weight > 0, f"constant_weight={self.constant_weight} must be > 0 (1.0 = no weight)")
        need(self.hard_negative_advantage > 0, f"hard_negative_advantage={self.hard_negative_advantage} must be > "
             "0: all-wrong rows get advantage −a (e.g. 1.0)")
        need(math.isfinite(self.hard_negative_threshold), "hard_negative_threshold must be a finite reward value")
        need(
            not self.gate or (self.num_generations or 0) >= 2,
            f"gate=True with num_generations={self.num_generations}: a group of one completion has no reward "
            "variance, so every group would be dropped. Set num_generations >= 2 (HERO uses 8) or gate=False.",
        )
        need(self.gate_reward is None or bool(str(self.gate_reward).strip()),
             "gate_reward must be a reward function's name (e.g. 'yes_no_exact') or None (the summed reward)")
        need(self.gate_delta >= 0, f"gate_delta={self.gate_delta} must be >= 0")
        need(
            self.gate_budget is None or 0 < self.gate_budget <= 1,
            f"gate_budget={self.gate_budget} must be in (0, 1] (e.g. 0.6), or None to turn budget mode off",
        )
        need(self.softmax_tau > 0 and self.neg_exp_tau > 0, "softmax_tau and neg_exp_tau must be > 0")
        need(self.neg_exp_lambda >= 0, f"neg_exp_lambda={self.neg_exp_lambda} must be >= 0")
        need(self.neg_exp_w_max >= 1, f"neg_exp_w_max={self.neg_exp_w_max} must be >= 1 (a weight below 1 would "
             "make a confident error cost less than an unsure one)")
        need(len(self.answer_words) == 2 and all(self.answer_words),
             f"answer_words={self.answer_words!r} must be two non-empty words, positive first (e.g. ['yes', 'no'])")
        if self.balancer == "fixed":
            need(self.beta >= 0, f"beta={self.beta} must be >= 0")
            return
        need(
            self.beta > 0,
            f"balancer={self.balancer!r} with beta={self.beta}: TRL only creates the reference model when beta != 0 "
            "at construction, so a balancer could never turn the KL term on. Start with beta > 0 (HERO uses 0.04), "
            "or use balancer='fixed'.",
        )
        need(0 < self.beta_min <= self.beta <= self.beta_max,
             f"need 0 < beta_min ({self.beta_min}) <= beta ({self.beta}) <= beta_max ({self.beta_max})")
        need(self.kl_target > 0, f"kl_target={self.kl_target} must be > 0 (nats/token)")
        need(self.adaptive_gain > 0 and self.adaptive_error_clip > 0, "adaptive_gain and adaptive_error_clip must be > 0")
