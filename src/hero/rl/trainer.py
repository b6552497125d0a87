"""`HeroGRPOTrainer`: TRL 1.16's GRPOTrainer with HERO's entropy-aware weight, variance gate and KL balancer.

The framework code only moves data in and out of `hero.rl.core` / `hero.rl.balancer`. Flow per generation batch:
1. `_generate` (TRL samples) → HERO scores the completions right away (`_calculate_rewards`, returned again to
   TRL's own call) and decides the gate, so TRL's no-grad passes (old log-probs, reference) run on kept rows only.
2. Entropy H_i under the sampling policy, no gradient ("plan"): captured from TRL's old-logps pass when TRL runs
   it; else read, detached, from the gradient forward (same parameters as sampling; per-sample weights); else one
   extra no-grad pass over the kept rows (softmax weights, which need whole groups).
3. Advantages × w_i; gated rows dropped, every rank padded to the same row count with fully masked rows, DAPO's
   `num_items_in_batch` recomputed; a batch with nothing kept anywhere skips the update.
4. `training_step`: β updated once per optimizer step from TRL's cross-rank-reduced KL; saved in checkpoints.
TRL internals used (pinned by `tests/test_rl_trl_contract.py`): `_generate`, `_calculate_rewards`,
`_generate_and_score_completions` (its output dict), `_get_per_token_logps_and_entropies`, `_compute_loss` (reads
the advantages after its forward), `compute_loss`, `training_step`, `_save_checkpoint`,
`_load_optimizer_and_scheduler`, and the attributes `beta`, `num_generations`, `reward_weights`, `temperature`,
`_metrics`, `_tokenizer`, `use_vllm`, `rollout_func`, `tools`, `environment_factories`.
Works for text models and VLMs alike: pixel tensors ride along in the batch dict as TRL passes them.
"""

from __future__ import annotations

import json
import os
import warnings

import torch
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from trl import GRPOTrainer
from trl.models.utils import disable_gradient_checkpointing

from hero.io import write_json_atomic
from hero.rewards.checks import guard_reward_funcs
from hero.rl import batch as rows
from hero.rl import core, weights
from hero.rl.balancer import AdaptiveController, BalancerState, FixedController, PIDController
from hero.rl.hero_config import HeroConfig
from hero.rl.entropy import (SOURCES, SourceInputs, answer_logit_probe, resolve_answer_tokens, resolve_marker_tokens,
                              source_entropy)

BALANCER_FILE = "hero_balancer.json"
_FORWARD_KEYS = ("pixel_values", "image_grid_thw", "num_images", "pixel_attention_mask", "spatial_shapes",
                 "num_tiles", "image_sizes", "token_type_ids", "mm_token_type_ids", "image_position_ids")


def make_controller(args: HeroConfig):
    """The β controller named by `args.balancer`."""
    if args.balancer == "adaptive":
        return AdaptiveController(args.kl_target, args.adaptive_gain, args.adaptive_error_clip, args.beta_min,
                                  args.beta_max)
    if args.balancer == "pid":
        return PIDController(args.kl_target, args.pid_kp, args.pid_ki, args.pid_kd, args.beta_min, args.beta_max)
    return FixedController()


class HeroGRPOTrainer(GRPOTrainer):
    """GRPOTrainer whose advantages are entropy-weighted, whose zero-variance groups are dropped before the policy
    forward/backward, and whose β follows a KL balancer. Takes the same arguments as GRPOTrainer, with a HeroConfig.

    Where to look: the weight forms are a registry, `hero.rl.weights` (`@register_weight("name", whole_groups=...,
    params={config field: keyword})`; `HeroConfig.weight_mode` names one), and `_hero_weigh` is the one method
    that applies the weight to the advantages. The gate is `_hero_keep`, the balancer `_hero_end_of_step`."""

    def __init__(self, model, reward_funcs=None, *args, **kwargs):
        # a NaN/inf (or out-of-declared-range) reward is an error naming the function and the sample
        super().__init__(model, guard_reward_funcs(reward_funcs), *args, **kwargs)
        if not isinstance(self.args, HeroConfig):
            raise TypeError(f"HeroGRPOTrainer needs args=HeroConfig(...), got {type(self.args).__name__}")
        a = self.args
        if a.gate_reward is not None and a.gate_reward not in self.reward_func_names:
            raise ValueError(f"gate_reward={a.gate_reward!r} is not one of this run's reward functions "
                             f"{list(self.reward_func_names)} (their logged names, rewards/<name>/mean)")
        self.hero_controller = make_controller(a)
        self.hero_state = BalancerState(beta=float(self.beta))
        self._hero_answer_ids = self._hero_is_positive = self._hero_markers = None
        source = SOURCES.meta(a.entropy_source)
        if self._hero_needs_entropy() and source["answer_tokens"]:
            self._hero_answer_ids, self._hero_is_positive = resolve_answer_tokens(self._tokenizer, a.answer_words)
        if self._hero_needs_entropy() and source["marker"]:
            self._hero_markers = resolve_marker_tokens(self._tokenizer, a.answer_marker)
        self._hero_shuffles = 0  # entropy_shuffle: calls so far (part of the permutation's seed)
        self._hero_rewards = None  # (N_global,) the gate's rewards of the batch (core.gate_rewards)
        self._hero_capture = None  # dict while TRL's old-logps pass may be captured
        self._hero_loss_inputs = None  # the micro-batch whose gradient forward is running (plan "loss")
        self._hero_early_inputs = None  # generation-batch rows while rewards may be computed right after sampling
        self._hero_early_rewards = None  # (N, F) rewards computed early, returned to TRL's own call
        self._hero_keep_local = None  # (B,) gate decision known before TRL's no-grad passes
        self._hero_kl_window: list[float] = []
        self._hero_window_trained = False
        self._hero_warned: set[str] = set()

    # ------------------------------------------------------------------ rewards and entropies (no gradient)
    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        if self._hero_early_rewards is not None:  # TRL's own call: already computed right after sampling
            per_func, self._hero_early_rewards = self._hero_early_rewards, None
            return per_func
        per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)  # (N, F)
        self._hero_rewards = core.gate_rewards(per_func, self.reward_weights, list(self.reward_func_names),
                                               self.args.gate_reward)  # (N,) what the gate reads
        return per_func

    def _hero_early_gate_ok(self) -> bool:
        """Rewards can be computed before TRL's no-grad passes (and gated rows skip them) unless a rollout function,
        tools, environments or vLLM importance sampling make the rows depend on more than the sampled text."""
        return (self.args.gate and self.rollout_func is None and not self.tools
                and self.environment_factories is None and not self.use_vllm)

    def _generate(self, prompts):
        result = super()._generate(prompts)
        inputs, self._hero_early_inputs = self._hero_early_inputs, None
        if inputs is not None:  # score now, so TRL's old-logps and reference passes can skip the gated rows
            self._hero_early_rewards = self._calculate_rewards(inputs, prompts, result[3], result[1])
            self._hero_keep_local = self._hero_keep(len(prompts))[0]
        return result

    def _hero_keep(self, local_rows: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Gate decision from the gathered rewards: (local keep (B,), keep per group (n_groups,)). With
        hard_negatives the all-wrong groups stay in too."""
        a, G, rewards = self.args, self.num_generations, self._hero_rewards  # rewards (N,)
        keep_groups = (core.group_keep_mask(rewards, G, a.gate_delta, a.gate_budget) if a.gate
                       else torch.ones(rewards.numel() // G, dtype=torch.bool, device=rewards.device))
        if a.hard_negatives:
            keep_groups = keep_groups | core.hard_negative_groups(rewards, G, a.hard_negative_threshold)
        return keep_groups.repeat_interleave(G)[self._hero_local(local_rows)], keep_groups

    def _hero_local(self, local_rows: int) -> slice:
        """This process's rows within the gathered generation batch."""
        start = self.accelerator.process_index * local_rows
        return slice(start, start + local_rows)

    def _trl_runs_old_logps_pass(self) -> bool:
        """TRL's condition (1.16) for its no-grad policy pass in `_generate_and_score_completions`."""
        generate_every = self.args.steps_per_generation * self.num_iterations
        return self.args.gradient_accumulation_steps % generate_every != 0 or (
            self.use_vllm and self.vllm_importance_sampling_correction
        )

    def _hero_entropy_plan(self) -> str:
        """Where H comes from: "capture" (TRL's own no-grad pass), "loss" (the gradient forward, detached), "pass"
        (one extra no-grad pass over the kept rows), "answers" (the sampled tokens alone, no forward) or "none"."""
        a = self.args
        if not self._hero_needs_entropy():
            return "none"
        if SOURCES.meta(a.entropy_source)["needs"] == "answers":
            return "answers"
        if self._trl_runs_old_logps_pass():
            return "capture"
        return "loss" if not weights.whole_groups(a.weight_mode) and a.entropy_from_loss_forward else "pass"

    def _hero_needs_entropy(self) -> bool:
        return weights.needs_entropy(self.args.weight_mode) or self.args.log_entropy

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, *args, **kwargs):
        keep, grad = self._hero_keep_local, torch.is_grad_enabled()
        if keep is not None and not grad and not bool(keep.all()):  # TRL's old-logps / reference pass
            self._hero_keep_local = None
            try:
                fn = lambda *a, **k: self._get_per_token_logps_and_entropies(model, *a, **k)  # noqa: E731
                return rows.kept_rows_only(fn, keep, input_ids, attention_mask, logits_to_keep, kwargs, _FORWARD_KEYS)
            finally:
                self._hero_keep_local = keep
        capture, loss_inputs = self._hero_capture, self._hero_loss_inputs
        if not ((capture is not None and model is self.model and not grad) or (loss_inputs is not None and grad)):
            return super()._get_per_token_logps_and_entropies(model, input_ids, attention_mask, logits_to_keep,
                                                              *args, **kwargs)
        self._hero_capture = self._hero_loss_inputs = None  # one pass each: TRL's old-logps pass / the loss forward
        want_entropy = kwargs.pop("compute_entropy", False)
        logps, ent, aux, answer = self._hero_forward(model, input_ids, attention_mask, logits_to_keep, *args,
                                                     **kwargs)
        if loss_inputs is not None:  # gradient forward: weigh this micro-batch before TRL reads its advantages
            h = self._hero_row_entropy(loss_inputs, ent.detach(), answer)
            loss_inputs["advantages"] = self._hero_weigh(loss_inputs["hero_raw_advantages"], h,
                                                         loss_inputs["hero_real"])
        else:
            capture.update(token_entropies=ent, answer_logits=answer)
        return logps, (ent if want_entropy else None), aux

    def _hero_forward(self, model, input_ids, attention_mask, logits_to_keep, *args, **kwargs):
        """TRL's log-prob pass with the entropies HERO needs: token entropies (B, C) and/or answer logits (B, C, K)."""
        answer = None
        if SOURCES.meta(self.args.entropy_source)["needs"] == "answer_logits":
            with answer_logit_probe(model, self._hero_answer_ids, logits_to_keep, self.temperature) as chunks:
                logps, ent, aux = super()._get_per_token_logps_and_entropies(
                    model, input_ids, attention_mask, logits_to_keep, *args, compute_entropy=True, **kwargs)
            answer = torch.cat(chunks, dim=0)  # (B, C, K)
        else:
            logps, ent, aux = super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, *args, compute_entropy=True, **kwargs)
        return logps, ent, aux, answer

    def _hero_row_entropy(self, batch: dict, token_entropies, answer_logits) -> torch.Tensor:
        """H (B,) of `batch`'s rows from the configured source (`hero.rl.entropy.SOURCES`)."""
        B = batch["completion_ids"].size(0)
        x = SourceInputs(batch["completion_ids"], rows.loss_mask(batch), token_entropies, answer_logits,
                         self._hero_answer_ids, self._hero_is_positive, self._hero_markers, self.num_generations,
                         self.accelerator.gather, self._hero_local(B))
        return source_entropy(self.args.entropy_source, x)  # (B,)

    def _hero_extra_pass(self, batch: dict) -> torch.Tensor:
        """H (B,) from one extra no-grad policy pass over `batch`."""
        ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], dim=1)  # (B, P+C)
        attn = torch.cat([batch["prompt_mask"], batch["completion_mask"]], dim=1)  # (B, P+C)
        extra = {k: batch.get(k) for k in _FORWARD_KEYS}
        with torch.no_grad(), disable_gradient_checkpointing(self.model, self.args.gradient_checkpointing_kwargs):
            _, ent, _, answer = self._hero_forward(self.model, ids, attn, batch["completion_ids"].size(1),
                                                   batch_size=self.args.per_device_train_batch_size, **extra)
        return self._hero_row_entropy(batch, ent, answer)

    # ------------------------------------------------------------------ the generation batch
    def _generate_and_score_completions(self, inputs):
        if not self.model.training:  # evaluation: plain GRPO
            return super()._generate_and_score_completions(inputs)
        plan = self._hero_entropy_plan()
        capture = self._hero_capture = {} if plan == "capture" else None
        self._hero_early_inputs = inputs if self._hero_early_gate_ok() else None
        try:
            out = super()._generate_and_score_completions(inputs)
        finally:
            early = self._hero_keep_local is not None
            self._hero_capture = self._hero_early_inputs = self._hero_early_rewards = self._hero_keep_local = None
        B = out["advantages"].size(0)
        keep, keep_groups = self._hero_keep(B)
        keep = keep.to(out["advantages"].device)  # (B,)
        self._metrics["train"]["hero/gated_frac"].append(1.0 - keep_groups.float().mean().item())
        if self.args.hard_negatives:
            out["advantages"] = self._hero_hard_negatives(out["advantages"])
        if plan != "loss":  # "none" too: a weight without entropy (constant) still applies
            entropy = self._hero_batch_entropy(plan, out, keep, capture, early)  # (B,)
            out["advantages"] = self._hero_weigh(out["advantages"], entropy, keep, measured=plan != "none")
        out = self._hero_drop(out, keep) if self.args.gate else {**out, "hero_real": torch.ones_like(keep)}
        if plan == "loss":  # weighed per micro-batch in the gradient forward
            out["hero_raw_advantages"] = out["advantages"]
        return out

    def _hero_batch_entropy(self, plan: str, out: dict, keep: torch.Tensor, capture, early: bool) -> torch.Tensor:
        """H (B,) of the generation batch before the drop, for the plans "capture", "pass" and "answers"; NaN on
        gated rows where it was not measured (everywhere for "none")."""
        if plan == "answers":  # from the sampled tokens of whole groups: every row, no forward
            return self._hero_row_entropy(out, None, None)
        entropy = torch.full((keep.numel(),), float("nan"), device=keep.device)  # (B,)
        kept = keep.nonzero().squeeze(1)
        if plan == "none":
            return entropy
        if capture and early:  # TRL's old-logps pass ran over the kept rows only: free
            entropy[keep] = self._hero_row_entropy(rows.select_rows(out, kept), capture["token_entropies"],
                                                   capture["answer_logits"])
        elif capture:  # ... over every row
            entropy = self._hero_row_entropy(out, capture["token_entropies"], capture["answer_logits"])
        elif keep.any():  # one extra no-grad pass over the kept rows only
            entropy[keep] = self._hero_extra_pass(rows.select_rows(out, kept))
        return entropy

    def _hero_hard_negatives(self, adv: torch.Tensor) -> torch.Tensor:
        """Advantages (B,) with −hard_negative_advantage on the scorable rows of all-wrong groups
        (`core.hard_negative_rows`); logs hero/hard_negative_frac, the share of groups that were all wrong."""
        a, G, rewards = self.args, self.num_generations, self._hero_rewards  # rewards (N,)
        groups = core.hard_negative_groups(rewards, G, a.hard_negative_threshold)  # (n_groups,)
        self._metrics["train"]["hero/hard_negative_frac"].append(groups.float().mean().item())
        hard = core.hard_negative_rows(rewards, G, a.hard_negative_threshold)[self._hero_local(adv.size(0))]  # (B,)
        return torch.where(hard.to(adv.device), torch.full_like(adv, -a.hard_negative_advantage), adv)

    def _compute_loss(self, model, inputs):
        self._hero_loss_inputs = inputs if "hero_raw_advantages" in inputs and self.model.training else None
        try:
            return super()._compute_loss(model, inputs)
        finally:
            self._hero_loss_inputs = None

    def _hero_weigh(self, adv: torch.Tensor, entropy: torch.Tensor, real: torch.Tensor,
                    measured: bool = True) -> torch.Tensor:
        """Advantages (B,) × the entropy-aware weight, for the rows `real` (B,) (others: padding / gated). Logs
        hero/weight_mean, hero/entropy_{wrong,right} (A < 0 / A > 0) and hero/entropy_missing_frac (no answer token:
        neutral weight) over the real rows of all ranks (the entropy ones only when `measured`). The ONE place the
        weight is applied: the form is looked up by `weight_mode` in `hero.rl.weights.WEIGHTS`. Forms registered
        with whole_groups=True (softmax) get whole groups in order, i.e. the unshuffled generation batch
        (`_hero_entropy_plan` never picks "loss" for them)."""
        a, G = self.args, self.num_generations
        A, H = self.accelerator.gather(adv), self.accelerator.gather(entropy)  # (N,), (N,)
        kept = self.accelerator.gather(real.to(adv.device))  # (N,)
        H_w = H
        if a.entropy_shuffle:  # ablation: the same entropies, permuted among the real rows (same on every rank)
            H_w = core.shuffled_among(H, kept, seed=a.seed * 1_000_003 + self._hero_shuffles)  # (N,)
            self._hero_shuffles += 1
        w = weights.compute_weights(a.weight_mode, H_w, A, G, a)  # (N,) or None (advantages unchanged)
        m = self._metrics["train"]
        # A metric is appended only when its rows exist: the logged value is the mean over the steps that had them
        # (a NaN for "no wrong sample this step" would turn the whole logging window's mean into NaN).
        if w is not None and kept.any():
            m["hero/weight_mean"].append(w[kept].mean().item())
        if measured:  # no entropy measured (plan "none"): no entropy metrics
            m["hero/entropy_missing_frac"].append(torch.isnan(H[kept]).float().mean().item() if kept.any() else 0.0)
            for name, sel in (("hero/entropy_wrong", kept & (A < 0)), ("hero/entropy_right", kept & (A > 0))):
                if sel.any() and not torch.isnan(H[sel]).all():
                    m[name].append(torch.nanmean(H[sel]).item())
        if w is None:
            return adv
        return adv * w[self._hero_local(adv.size(0))].to(adv.dtype)

    def _hero_drop(self, out: dict, keep: torch.Tensor) -> dict:
        """Keep the gated-in rows, pad every rank to the same row count with fully masked rows, recompute the
        DAPO normaliser; flag the batch `hero_skip` when no rank kept anything (no forward, no update)."""
        counts = self.accelerator.gather(keep.sum().reshape(1)).tolist()  # one count per rank
        target = rows.target_rows(counts, self.args.steps_per_generation)
        index, is_pad = rows.padded_selection(keep, target)
        new = rows.mask_padding(rows.select_rows(out, index), is_pad)
        new["num_items_in_batch"] = self.accelerator.gather(rows.loss_tokens(new).reshape(1)).sum()
        new["hero_real"] = ~is_pad
        new["hero_skip"] = torch.tensor(sum(counts) == 0)
        return new

    # ------------------------------------------------------------------ loss, β, checkpoints
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if bool(inputs.get("hero_skip", False)):  # every group of the batch gated, on every rank
            return torch.zeros((), device=self.accelerator.device, requires_grad=True)
        self._hero_window_trained = True
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def training_step(self, model, inputs, num_items_in_batch):
        before = len(self._metrics["train"].get("kl", ()))
        loss = super().training_step(model, inputs, num_items_in_batch)
        self._hero_kl_window += self._metrics["train"].get("kl", [])[before:]
        if self.accelerator.sync_gradients:  # optimizer-step boundary
            self._hero_end_of_step()
        return loss

    def _hero_end_of_step(self) -> None:
        """Once per optimizer step: log a skipped update, move β from the window's KL (identical on every rank)."""
        m = self._metrics["train"]
        m["hero/skipped_update"].append(0.0 if self._hero_window_trained else 1.0)
        if not self._hero_window_trained:
            warnings.warn("HERO: every group of this batch was gated (zero reward variance): update skipped, β kept",
                          RuntimeWarning, stacklevel=2)
        if self._hero_kl_window:
            kl = sum(self._hero_kl_window) / len(self._hero_kl_window)
            self.hero_state = self.hero_controller.step(self.hero_state, kl)
            self.beta = self.hero_state.beta
            m["hero/kl"].append(kl)
            self._hero_warn_bound()
        m["hero/beta"].append(float(self.beta))
        self._hero_kl_window, self._hero_window_trained = [], False

    def _hero_warn_bound(self) -> None:
        bound = self.hero_state.at_bound
        if bound and bound not in self._hero_warned:
            self._hero_warned.add(bound)
            value = self.args.beta_min if bound == "min" else self.args.beta_max
            fix = "raise kl_target or lower beta_min" if bound == "min" else "lower kl_target or raise beta_max"
            warnings.warn(f"HERO: β reached beta_{bound}={value} at step {self.state.global_step}; the KL balancer "
                          f"is saturated ({fix}). Warned once.", RuntimeWarning, stacklevel=2)

    def _save_checkpoint(self, model, trial):
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = os.path.join(self._get_output_dir(trial=trial), f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}")
            write_json_atomic(os.path.join(folder, BALANCER_FILE),
                              {"balancer": self.args.balancer, "state": self.hero_state.to_dict(),
                               "warned": sorted(self._hero_warned)})

    def _load_optimizer_and_scheduler(self, checkpoint):
        super()._load_optimizer_and_scheduler(checkpoint)
        if checkpoint is None:
            return
        path = os.path.join(checkpoint, BALANCER_FILE)
        if not os.path.exists(path):
            warnings.warn(f"HERO: {path} not found; resuming with β = {self.beta} from the config", RuntimeWarning)
            return
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        self.hero_state = BalancerState.from_dict(saved["state"])
        self._hero_warned = set(saved.get("warned", []))
        self.beta = self.hero_state.beta
