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
    "hero_no_hard_negatives": {"hard_negatives": False},  # all-wrong groups gated away again (advantage 0)
}
REWARDS = ("yes_no", "nli", "yes_no+nli")
"""Rewards the demo can train GRPO / HERO with (hero.rewards.registry names); 'nli' in it adds the `nli` stage."""
GATE_REWARD = "yes_no_exact"
"""The reward function (logged name of `yes_no`) the gate and hard negatives read when the reward has a yes_no
part: a summed yes_no+nli reward is continuous, so its zero-variance gate would drop only identical completions
and no threshold would separate all-wrong groups; the advantages still use the summed reward."""
METHOD_SETTINGS = {"hero": {"hard_negatives": True}, "grpo": {"gate": True}}
"""The fair controls (demo protocol): HERO with the paper's hard negatives (all-wrong groups kept with advantage
−1 × its confidence weight), GRPO with the same zero-variance gate (DAPO dynamic sampling) but no hard negatives —
the issue asks for "the same zero-variance filter"; hard negatives are part of HERO's treatment. The ablations
start from HERO's settings; DPO takes none (its pairs come from the exact verifier)."""
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
    reward: str = "yes_no+nli"
    """RL reward of GRPO, HERO and the ablations: 'yes_no' (exact verifier), 'nli' (NLI claims
    reward of the chain of thought against the image's ground-truth caption, with the NLI model the `nli` stage
    trains on the world), or their sum. DPO's pairs always come from the exact verifier."""
    caption_frac: float = 0.1
    """Share of SFT examples (CoT and answer-only) that are captions ("Describe this image."), so the generative
    evaluations (AMBER generative, CHAIR) ask a prompt the models were trained on; 0 = questions only."""
    world_preset: str = "trap"
    """Named world settings (hero.world.presets): 'trap' = a strong co-occurrence prior (p = 0.95, 14 of 15
    categories paired), calibrated for `grain` noise on validation seeds (benchmarks/trap_world.md); 'default' =
    WorldConfig's defaults with i.i.d. noise (the demo's world until session 20); 'small_faint' = the first, failed
    trap preset."""
    noise_op: str | None = None
    """The σ op of the σ = 0 / 30 / 50 levels every trap run and RL run uses (hero.degrade): 'noise' (i.i.d.
    Gaussian per pixel) or 'grain' (the same per-pixel σ, spatially correlated); None = the one the world preset
    is calibrated with (hero.world.presets.preset_noise: 'grain' for 'trap', else 'noise')."""
    entropy_source: str = "group"
    """HERO's per-sample entropy (and its ablations'), a hero.rl.entropy source: 'group' (the yes/no agreement of
    the G rollouts: the marginal answer entropy), 'answer' (the answer's entropy after the sample's own CoT, ≈ 0),
    'span' (mean token entropy of the CoT before 'Answer:'), 'mean' (of the whole completion). 'group' was chosen
    on validation seeds 101 / 102 by a rule fixed beforehand (benchmarks/demo_results.md)."""
    dpo_lr: float = 1e-5
    """DPO's learning rate (constant). With β below, chosen on validation seeds 101 / 102 from {1e-4, 1e-5} ×
    {0.1, 0.5} (benchmarks/demo_results.md): 1e-4 / 0.1 (the RL runs' lr, TRL's β) overfits its ≈ 220 pairs."""
    dpo_beta: float = 0.5
    """DPO's β (see dpo_lr)."""
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
        from hero.rl.entropy import SOURCES
        from hero.world.presets import preset_fields

        preset_fields(self.world_preset)  # an unknown name fails here, naming the presets
        if self.noise_op is not None:
            from hero.degrade import sigma_ops

            if self.noise_op not in sigma_ops():
                raise ValueError(f"--noise-op {self.noise_op!r}: {self.noise_op!r} is not a noise op with a σ level; "
                                 f"use one of {', '.join(sigma_ops())}")

        if self.entropy_source not in SOURCES:
            raise ValueError(f"--entropy-source {self.entropy_source!r}: use one of {', '.join(SOURCES.names())}")
        if not (self.dpo_lr > 0 and self.dpo_beta > 0):
            raise ValueError(f"--dpo-lr {self.dpo_lr} / --dpo-beta {self.dpo_beta}: both must be > 0")
        if self.reward not in REWARDS:
            raise ValueError(f"--reward {self.reward!r}: use one of {', '.join(REWARDS)}")
        if not 0.0 <= self.caption_frac < 0.5:
            raise ValueError(f"--caption-frac {self.caption_frac}: must be in [0, 0.5) (SFT pairs a caption with a "
                             "question on one scene)")
        check_out_folder(self.out)

    RECORDED = ("seed", "seeds", "budget_min", "quick", "ablations", "reward", "entropy_source", "dpo_lr", "dpo_beta",
                "caption_frac", "world_preset")
    ADD_STAGES_ONLY = ("seeds", "ablations")
    """Recorded settings that only add stages (so they are not part of a folder's identity)."""

    def recorded(self) -> dict:
        """results.json's `config`: the settings that decide the numbers (RECORDED, plus noise_op as resolved)."""
        return {**{k: getattr(self, k) for k in self.RECORDED}, "noise_op": self.sigma_op}

    def identity(self) -> dict:
        """The settings every cached stage of one seed's folder depends on (recorded() without ADD_STAGES_ONLY;
        `hero.demo.stages.claim_folder` refuses to resume with others)."""
        return self.identity_of(self.recorded())

    @classmethod
    def identity_of(cls, config: dict) -> dict:
        """identity() of a recorded `config` — also of an older results.json's, from before demo_config.json (the
        world preset None then meant 'default', and the σ op was always noise)."""
        d = {k: v for k, v in config.items() if k not in cls.ADD_STAGES_ONLY}
        return {**d, "world_preset": d.get("world_preset") or "default", "noise_op": d.get("noise_op") or "noise"}

    @property
    def sigma_op(self) -> str:
        """noise_op, or the world preset's σ op when it is None."""
        from hero.world.presets import preset_noise

        return self.noise_op or preset_noise(self.world_preset)

    SIGMAS = (0.0, 30.0, 50.0)

    @property
    def level_specs(self) -> list[str]:
        """The degradation specs of σ = 0 / 30 / 50 under sigma_op: ['none', 'grain:30', 'grain:50'] by default."""
        return sigma_specs(self.sigma_op, self.SIGMAS)

    @property
    def uses_nli(self) -> bool:
        """The reward has an NLI part, so the demo trains the world's NLI model first (stage `nli`)."""
        return "nli" in self.reward.split("+")

    # Shares of the budget: SFT-CoT 24 %, SFT-answer 8 %, each RL method 9 %, the NLI model's cap 6 %; the rest is
    # evaluation.
    @property
    def minutes(self) -> dict[str, float]:
        b = 2.0 if self.quick else self.budget_min
        return {"sft_cot": 0.24 * b, "sft_answer": 0.08 * b, "rl": 0.09 * b, "nli": 0.06 * b}

    @property
    def nli_steps(self) -> int:
        """Optimizer steps of the NLI model (its learning-rate schedule spans them; minutes['nli'] caps the time):
        `hero train nli`'s default 800. Measured on the default world (seed 0, one busy core): 300 steps ≈ 10 s,
        held-out accuracy 0.70 (3 classes); 800 steps ≈ 30–40 s, 0.997 — a reward needs the working model."""
        return 40 if self.quick else 800

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


def sigma_specs(op: str, sigmas) -> list[str]:
    """The specs of σ op `op` at each σ: sigma_specs('grain', [0, 50]) = ['none', 'grain:50']."""
    from hero.degrade import level_spec

    return [level_spec(op, s) for s in sigmas]


def recorded_specs(config: dict, sigmas) -> list[str]:
    """The specs a finished demo's σ levels were run with, from its results.json `config` (a demo from before
    `noise_op` was recorded used i.i.d. noise): for scripts that add trap runs to a finished demo."""
    return sigma_specs(config.get("noise_op") or "noise", sigmas)
