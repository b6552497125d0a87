"""Configuration of `hero demo`."""

from __future__ import annotations

from dataclasses import dataclass, field

from hero.io import check_out_folder

METHODS = ("grpo", "hero", "dpo")
ABLATIONS = {  # name → overrides of the HERO config (each switches one mechanism off or empties it)
    "hero_no_weight": {"weight_mode": "none"},
    "hero_no_gate": {"gate": False},
    "hero_no_balancer": {"balancer": "fixed"},
    "hero_entropy_shuffle": {"entropy_shuffle": True},  # the weight keeps its distribution, loses its sample
    "hero_constant_weight": {"weight_mode": "constant"},  # constant_weight = HERO's mean weight (FROM_LEADER)
    "hero_fixed_final_beta": {"balancer": "fixed"},  # beta = HERO's final β (FROM_LEADER)
}
FROM_LEADER = {"hero_constant_weight": {"constant_weight": ("log", "hero/weight_mean")},
               "hero_fixed_final_beta": {"beta": ("result", "beta")}}
"""Ablation settings read from HERO's own run (the step leader): field → ("log", key): the mean of that logged value
over its steps, or ("result", key): that key of its summary. A constant weight of HERO's mean scale asks whether the
weight is more than a larger step; β fixed at HERO's end value asks whether the schedule matters, not just the end."""
STEP_LEADER = "hero"
"""Matched optimizer steps: this RL stage trains on its time budget; GRPO and the HERO ablations then run exactly its
step count (DPO stays time-budgeted: its steps are over preference pairs, not comparable)."""
FOLLOWER_CAP = 2.0
"""A step-matched run's time cap, as a multiple of the RL budget share: it stops a stalled run (steps then unmatched,
which results.json's `matched_steps` says)."""


@dataclass
class DemoConfig:
    """`hero demo`: the paper's experiment in miniature on the embedded world."""

    out: str = "runs/demo"
    """Run folder; each stage caches its outputs in <out>/<stage>/ and a rerun resumes after the last finished one."""
    budget_min: float = 15.0
    """Total wall-clock budget in minutes; training budgets are fixed shares of it (shared by all RL methods)."""
    quick: bool = False
    """Plumbing check in ≈ 3 minutes: small world, seconds of training, few questions (not the science)."""
    seed: int = 0
    """Seed of the world, the initialisation and every training run."""
    seeds: int = 1
    """Number of world/training seeds (seed, seed + 1, ...; the paper mode): every method is trained on each, in
    <out>/seed_<s>/, and HERO's paired comparisons are pooled over them. 1 = the single run in <out> itself."""
    ablations: bool = False
    """Also train and evaluate HERO without the weight, without the gate, without the balancer, with shuffled
    entropies, with a constant weight (HERO's mean) and with β fixed at HERO's final β (demo.config.ABLATIONS)."""
    force: list[str] = field(default_factory=list)
    """Stages to redo even if cached (or 'all')."""
    progress: bool = True
    """Progress bars inside stages."""
    threads: int = 1
    """torch CPU threads. 1 by default: these models are too small to gain from a second thread, and two threads
    spinning on a busy 2-core machine made RL steps 10–30× slower in our measurements."""

    def __post_init__(self) -> None:
        if self.budget_min <= 0:
            raise ValueError(f"--budget-min {self.budget_min}: must be > 0 minutes")
        if self.seeds < 1:
            raise ValueError(f"--seeds {self.seeds}: must be ≥ 1 (1 = one run in --out; N = N seeds, "
                             "each in --out/seed_<s>)")
        if self.threads < 1:
            raise ValueError(f"--threads {self.threads}: must be ≥ 1")
        check_out_folder(self.out)

    # Shares of the budget: SFT-CoT 24 %, SFT-answer 8 %, each RL method 9 %; the rest is evaluation.
    @property
    def minutes(self) -> dict[str, float]:
        b = 2.0 if self.quick else self.budget_min
        return {"sft_cot": 0.24 * b, "sft_answer": 0.08 * b, "rl": 0.09 * b}

    @property
    def world_sizes(self) -> dict[str, int]:
        if self.quick:
            return {"train_images": 200, "val_images": 60, "test_images": 60}
        return {"train_images": 2000, "val_images": 300, "test_images": 300}

    max_new_tokens: int = 48
    """Longest generation (the world's longest chain-of-thought is ≈ 35 tokens); bounds a babbling model's cost."""

    @property
    def trap_questions(self) -> int:
        """Questions of the test adversarial POPE split used by `hero trap` (× 3 σ)."""
        return 30 if self.quick else 600

    @property
    def eval_limit(self) -> int:
        """Items per benchmark (per POPE split) of `hero eval world`."""
        return 12 if self.quick else 150
