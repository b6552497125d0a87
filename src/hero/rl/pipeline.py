"""`run_rl`: train a VLM on the world with HERO, plain GRPO or DPO (`hero train hero|grpo|dpo`).

    run_rl("hero", "runs/sft_cot", "runs/world", "runs/hero", budget_min=1.5)
    run_rl("hero", sft, world, out, weight_mode="none")   # ablation: no entropy weight (gate=False, balancer="fixed")

Writes to `out`: the trained model + processor (loadable by `hero.model.load.load_vlm` and `hero.scoring`; the start
model's `hero_style` kept, the run recorded as `hero_rl` in its config), `checkpoints/checkpoint-N/` (with HERO's
β state and the budget clock, `hero.budget`), `tensorboard/`, `log_history.json` (the trainer's log history, rewritten at every log),
`rl_config.json` (the resolved settings) and `rl_summary.json` (the returned summary). Under `torchrun` every rank
runs the same call; only the main process writes files.
"""

from __future__ import annotations

from hero.rl.run_parts import (Plan, load_start_model, lora_config, make_callbacks, preflight, quiet, resume_point,
                               rl_stats, run_identity, save_final, summarize, write_config)
from hero.rl.settings import RLRunConfig, resolve


def run_rl(method: str, model_dir, world_dir, out_dir, *, reward_funcs=None, callbacks=None, **overrides) -> dict:
    """Train with `method` ('grpo' | 'hero' | 'dpo') from `model_dir` on the world at `world_dir` into `out_dir`
    (or, with world_dir None, on the rows of `data=FILE, images=DIR`).

    `overrides`: any RLRunConfig field (budget_min, max_steps, seed, sigmas, lora, resume, ...) or any field of the
    method's trainer config (HeroConfig / GRPOConfig / DPOConfig: learning_rate, beta, weight_mode, gate,
    balancer, ...). `reward_funcs` (grpo/hero): TRL reward functions replacing the configured `reward`;
    `callbacks`: extra transformers TrainerCallbacks.
    Returns {"method", "steps" (optimizer steps), "seconds", "out", "model", "log_history", "tensorboard",
    "checkpoints", "resumed_from", "prompts", "beta" (the final β), "processes"} + for grpo / hero {"gated_share",
    "kl_final", "kl_mean", "hard_negative_share"} (`run_parts.rl_stats`) or for dpo {"pairs", "prompts_sampled",
    "sampling_seconds"}; the same dict is written to OUT/rl_summary.json."""
    given = [k for k in ("model", "world", "out") if k in overrides]
    if given:
        raise ValueError(f"run_rl: {given} are the positional arguments model_dir, world_dir, out_dir; "
                         "do not pass them again as keywords")
    settings = {k: (v, f"run_rl({k}=...)") for k, v in overrides.items()}
    run_kw, trainer_kw = resolve(method, settings)
    run = RLRunConfig(method=method, model=str(model_dir), world=str(world_dir or ""), out=str(out_dir), **run_kw)
    return run_resolved(run, trainer_kw, reward_funcs=reward_funcs, callbacks=callbacks)


def run_resolved(run: RLRunConfig, trainer_kw: dict, reward_funcs=None, callbacks=None) -> dict:
    """`run_rl` after settings are resolved (the CLI enters here). Every input check (`preflight`) and the folder's
    identity check (`hero.runid`) run before a model loads; then the run trains in its locked folder."""
    import torch

    from hero.runid import training_folder

    if run.method == "dpo":
        trainer_kw = {"remove_unused_columns": False, **trainer_kw}
    plan = preflight(run, trainer_kw)
    if run.threads:
        torch.set_num_threads(run.threads)
    torch.set_flush_denormal(True)  # tiny weights drift into denormals and slow CPU math 10× (as in SFT)
    with training_folder(run.out, run_identity(run, plan.args), tool=f"hero train {run.method}"):
        plan.resume_from, plan.used_s = resume_point(run)
        if run.method == "dpo":
            from hero.rl.dpo import run_dpo

            return run_dpo(run, plan, callbacks)
        return run_grpo(run, plan, reward_funcs, callbacks)


# ---------------------------------------------------------------------------------------------------- GRPO / HERO
def make_rewards(run: RLRunConfig) -> list:
    """The reward functions named by `run.reward` (`hero.rewards.registry`: yes_no, nli, module:function, '+')."""
    from hero.rewards.registry import reward_functions

    return reward_functions(run.reward, nli_model=run.nli_model)


def run_grpo(run: RLRunConfig, plan: Plan, reward_funcs=None, extra_callbacks=None) -> dict:
    """GRPO ('grpo': TRL's GRPOTrainer; HeroGRPOTrainer with HERO's weight and balancer off when the gate or hard
    negatives are asked, `trainer_args`) or HERO ('hero': HeroGRPOTrainer) on the world's prompts. Both guard their
    rewards alike (`guard_reward_funcs`): a NaN/inf or out-of-range reward is an error, never a silent signal."""
    from trl import GRPOTrainer

    from hero.rewards.checks import guard_reward_funcs
    from hero.rl.hero_config import HeroConfig
    from hero.rl.trainer import HeroGRPOTrainer
    from hero.rl.world_data import rl_dataset

    model, processor, _ = load_start_model(run)
    callbacks, clock = make_callbacks(run, plan.used_s, plan.tensorboard, extra_callbacks)
    cls = HeroGRPOTrainer if isinstance(plan.args, HeroConfig) else GRPOTrainer
    trainer = cls(model=model, reward_funcs=guard_reward_funcs(reward_funcs or make_rewards(run)), args=plan.args,
                  train_dataset=rl_dataset(plan.rows, run.seed), processing_class=processor, callbacks=callbacks,
                  peft_config=lora_config(run))
    quiet(trainer, run)
    write_config(run, plan.args)
    trainer.train(resume_from_checkpoint=str(plan.resume_from) if plan.resume_from else None)
    summary = summarize(run, trainer, clock, plan.resume_from, len(plan.rows), **rl_stats(trainer.state.log_history))
    save_final(trainer, processor, run, summary)
    return summary
