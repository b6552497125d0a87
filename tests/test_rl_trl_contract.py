"""Fails loudly when the TRL internals HeroGRPOTrainer relies on change (pyproject pins trl==1.16.*).

If this fails after a TRL upgrade, re-read trl/trainer/grpo_trainer.py and adapt hero/rl/trainer.py before
relaxing anything here.
"""

import inspect

import pytest
import torch
import trl
from trl import GRPOTrainer
from trl.trainer import utils as trl_utils

from hero.rl.testing import tiny_trainer, yes_no_dataset
from hero.rl.trainer import _FORWARD_KEYS


def params(fn):
    return list(inspect.signature(fn).parameters)


def test_trl_version_is_the_pinned_one():
    assert trl.__version__.startswith("1.16."), f"HERO is written against TRL 1.16, found {trl.__version__}"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("_calculate_rewards", ["self", "inputs", "prompts", "completions", "completion_ids_list"]),
        ("_generate_and_score_completions", ["self", "inputs"]),
        ("_generate", ["self", "prompts"]),
        ("_prepare_inputs", ["self", "generation_batch"]),
        ("compute_loss", ["self", "model", "inputs", "return_outputs", "num_items_in_batch"]),
        ("_compute_loss", ["self", "model", "inputs"]),
        ("training_step", ["self", "model", "inputs", "num_items_in_batch"]),
        ("_save_checkpoint", ["self", "model", "trial"]),
        ("_load_optimizer_and_scheduler", ["self", "checkpoint"]),
    ],
)
def test_method_signatures(name, expected):
    assert params(getattr(GRPOTrainer, name)) == expected


def test_logps_pass_signature_and_forward_keys():
    p = params(GRPOTrainer._get_per_token_logps_and_entropies)
    assert p[:7] == ["self", "model", "input_ids", "attention_mask", "logits_to_keep", "batch_size", "compute_entropy"]
    assert set(_FORWARD_KEYS) <= set(p), set(_FORWARD_KEYS) - set(p)


def src(obj):
    return inspect.getsource(obj)


def test_source_facts_the_trainer_relies_on():
    gen = src(GRPOTrainer._generate_and_score_completions)
    # the condition under which TRL runs its no-grad old-logps pass (copied in _trl_runs_old_logps_pass)
    assert "self.args.gradient_accumulation_steps % generate_every != 0" in gen
    assert "self.use_vllm and self.vllm_importance_sampling_correction" in gen
    # the old-logps pass comes before the reference pass, both before rewards
    assert gen.index("old_per_token_logps, _, _ = self._get_per_token_logps_and_entropies(") < gen.index(
        "ref_per_token_logps, _, _ = self._get_per_token_logps_and_entropies(") < gen.index("self._calculate_rewards(")
    assert "self.model,\n" in gen[gen.index("old_per_token_logps, _, _ ="):][:200]
    assert "if self.beta != 0.0:" in gen
    # early gate: rewards computed inside _generate from (inputs, prompts, completions, completion_ids) are what
    # TRL's own call would compute — same objects, same order
    assert gen.index(") = self._generate(prompts)") < gen.index("old_per_token_logps, _, _ =")
    assert "self._calculate_rewards(inputs, prompts, completions, completion_ids_list)" in gen
    assert ("return prompt_ids, completion_ids, tool_mask, completions, logprobs, extra_fields, images, tool_images"
            in src(GRPOTrainer._generate))
    loss = src(GRPOTrainer._compute_loss)
    assert 'advantages = inputs["advantages"]' in loss and "advantages.unsqueeze(1)" in loss
    # plan "loss": HERO weighs inside the gradient forward, so TRL must read the advantages only after it
    assert loss.index("self._get_per_token_logps_and_entropies(") < loss.index('advantages = inputs["advantages"]')
    assert "compute_entropy=True" in loss
    assert 'inputs["num_items_in_batch"]' in loss
    assert 'self._metrics[mode]["kl"].append(global_masked_mean(per_token_kl))' in loss
    prep = src(GRPOTrainer._prepare_inputs)
    for call in ("split_pixel_values_by_grid(", "shuffle_sequence_dict(", "split_tensor_dict(",
                 "unsplit_pixel_values_by_grid("):
        assert call in prep
    logps = src(GRPOTrainer._get_per_token_logps_and_entropies)
    assert "fused_lm_head=True" in logps and "outputs.entropy" in logps
    fused = src(trl_utils.add_fused_lm_head)  # the backbone hook of hero.rl.entropy sits on `base_model`
    assert 'backbone_attr = "base_model"' in fused and "last_hidden_state[:, :-1]" in fused
    assert "temperature" in fused
    split = src(trl_utils.split_tensor_dict) + src(trl_utils.shuffle_sequence_dict)
    assert "ndim == 0" in split  # 0-dim tensors (num_items_in_batch, hero_skip) pass through unchanged


def test_runtime_outputs_and_attributes(tmp_path):
    t = tiny_trainer(tmp_path, hero=False)
    for attr in ("beta", "num_generations", "reward_weights", "temperature", "_tokenizer", "use_vllm",
                 "vllm_importance_sampling_correction", "num_iterations", "_metrics", "ref_model", "rollout_func",
                 "tools", "environment_factories"):
        assert hasattr(t, attr), attr
    assert t.ref_model is not None  # built because beta != 0 at construction
    t.model.train()
    ds = yes_no_dataset(2)
    batch = [ds[i] for i in range(2) for _ in range(8)]
    captured = {}
    original = t._calculate_rewards

    def spy(*args):
        captured["r"] = original(*args)
        return captured["r"]

    t._calculate_rewards = spy
    out = t._generate_and_score_completions(batch)
    assert captured["r"].shape == (16, 1)  # (N, n_reward_funcs), gathered
    for key in ("prompt_ids", "prompt_mask", "completion_ids", "completion_mask", "advantages",
                "num_items_in_batch", "ref_per_token_logps"):
        assert key in out, key
    assert out["advantages"].shape == (16,) and out["num_items_in_batch"].ndim == 0
    t.current_gradient_accumulation_steps = 1
    t.compute_loss(t.model, out)
    assert len(t._metrics["train"]["kl"]) == 1
