"""HeroGRPOTrainer on a tiny text LM (CPU): identity with GRPOTrainer, weights, gate, β balancer, checkpoints."""

import json
import math
import warnings

import pytest
import torch

from hero.rl import core
from hero.rl.balancer import AdaptiveController, BalancerState
from hero.rl.hero_config import HeroConfig
from hero.rl.testing import tiny_trainer, yes_no_dataset

OFF = dict(weight_mode="none", gate=False, balancer="fixed")


def generation_batch(n_prompts=2, G=8, seed=0):
    ds = yes_no_dataset(n_prompts, seed)
    return [ds[i] for i in range(n_prompts) for _ in range(G)]


def prepared(trainer, seed=1):
    trainer.model.train()  # HERO acts in training mode only (as Trainer.train() sets it)
    torch.manual_seed(seed)
    return trainer._prepare_inputs(generation_batch())


def loss_and_grads(trainer, inputs):
    trainer.model.zero_grad()
    trainer.current_gradient_accumulation_steps = trainer.args.gradient_accumulation_steps  # set by Trainer's loop
    loss = trainer.compute_loss(trainer.model, inputs)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in trainer.model.parameters() if p.grad is not None]


def test_identity_with_grpo_when_all_mechanisms_off(tmp_path):
    plain = tiny_trainer(tmp_path / "g", hero=False)
    hero = tiny_trainer(tmp_path / "h", **OFF)  # log_entropy stays on: its no-grad pass must change nothing
    a, b = prepared(plain), prepared(hero)
    assert torch.equal(a["completion_ids"], b["completion_ids"])  # the same sampled batch
    assert torch.equal(a["advantages"], b["advantages"])
    la, ga = loss_and_grads(plain, a)
    lb, gb = loss_and_grads(hero, b)
    assert abs(la.item() - lb.item()) <= 1e-6
    assert len(ga) == len(gb) > 0
    assert max((x - y).abs().max().item() for x, y in zip(ga, gb)) <= 1e-6


def reference_answer_entropy(trainer, inputs):
    """Binary yes/no entropy at the last answer token from the full logits of a plain forward (no TRL head)."""
    ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
    attn = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
    C = inputs["completion_ids"].size(1)
    with torch.no_grad():
        logits = trainer.model(input_ids=ids, attention_mask=attn).logits[:, -C - 1 : -1] / trainer.temperature
    tok = trainer.processing_class
    yes, no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")
    pos = core.answer_positions(inputs["completion_ids"], inputs["completion_mask"], torch.tensor([yes, no]))
    at = logits[torch.arange(ids.size(0)), pos.clamp(min=0)]
    h = core.binary_entropy_from_logits(at[:, yes], at[:, no])
    return torch.where(pos >= 0, h, torch.full_like(h, math.nan))


@pytest.mark.parametrize("from_loss_forward", [True, False])
def test_neg_exp_weight_scales_advantages_by_answer_entropy(tmp_path, from_loss_forward):
    plain = tiny_trainer(tmp_path / "g", hero=False)
    hero = tiny_trainer(tmp_path / "h", weight_mode="neg_exp", gate=False, balancer="fixed",
                        entropy_from_loss_forward=from_loss_forward)
    assert hero._hero_entropy_plan() == ("loss" if from_loss_forward else "pass")
    a, b = prepared(plain), prepared(hero)
    assert torch.equal(a["completion_ids"], b["completion_ids"])
    h = reference_answer_entropy(hero, b)
    assert (~torch.isnan(h)).any()
    expected = a["advantages"] * core.neg_exp_weights(h, a["advantages"], 2.0, 0.2, 3.0)
    assert not torch.allclose(expected, a["advantages"])
    lb, gb = loss_and_grads(hero, b)  # plan "loss" weighs inside this forward, before TRL reads the advantages
    assert torch.allclose(b["advantages"], expected, atol=1e-5)
    la, ga = loss_and_grads(plain, {**a, "advantages": expected})  # GRPO fed the weighted advantages
    assert abs(la.item() - lb.item()) <= 1e-5
    assert max((x - y).abs().max().item() for x, y in zip(ga, gb)) <= 1e-5


def test_mean_entropy_source_softmax_weight(tmp_path):
    plain = tiny_trainer(tmp_path / "g", **OFF)
    hero = tiny_trainer(tmp_path / "h", weight_mode="softmax", entropy_source="mean", gate=False, balancer="fixed",
                        shuffle_dataset=False)
    plain.model.train(), hero.model.train()
    torch.manual_seed(1)
    a = plain._generate_and_score_completions(generation_batch())  # unshuffled: groups contiguous
    torch.manual_seed(1)
    b = hero._generate_and_score_completions(generation_batch())
    ids = torch.cat([b["prompt_ids"], b["completion_ids"]], 1)
    attn = torch.cat([b["prompt_mask"], b["completion_mask"]], 1)
    C = b["completion_ids"].size(1)
    with torch.no_grad():
        logp = torch.log_softmax(hero.model(input_ids=ids, attention_mask=attn).logits[:, -C - 1 : -1], -1)
    tok_ent = -(logp.exp() * logp).sum(-1)
    h = core.mean_token_entropy(tok_ent, b["completion_mask"])
    w = core.softmax_weights(h, 8, 1.0)
    assert torch.allclose(b["advantages"], a["advantages"] * w, atol=1e-5)


def half_constant_reward(prompts, completions, answer, **kwargs):
    """Prompts about circles: reward 1 for every completion (zero variance); others: 1, 0, 1, 0, ..."""
    return [1.0 if "circle" in p else float(i % 2 == 0) for i, p in enumerate(prompts)]


def test_gate_drops_zero_variance_rows_and_renormalises(tmp_path):
    ds = yes_no_dataset(2, 0)
    prompts = [ds[0]["prompt"].replace(ds[0]["prompt"].split()[4], "circle"),
               ds[1]["prompt"].replace(ds[1]["prompt"].split()[4], "square")]
    batch = [{"prompt": p, "answer": "yes"} for p in prompts for _ in range(8)]
    plain = tiny_trainer(tmp_path / "g", hero=False, reward=half_constant_reward)
    hero = tiny_trainer(tmp_path / "h", reward=half_constant_reward, weight_mode="none", gate=True, balancer="fixed")
    plain.model.train(), hero.model.train()
    torch.manual_seed(1)
    a = plain._prepare_inputs(batch)
    torch.manual_seed(1)
    b = hero._prepare_inputs(batch)
    assert b["completion_ids"].size(0) == 8  # the circle group is gone, not padded: one rank
    assert b["num_items_in_batch"].item() == b["completion_mask"].sum().item()
    assert hero._metrics["train"]["hero/gated_frac"] == [0.5]
    # GRPO's loss over the kept rows only, with the DAPO normaliser recomputed, equals HERO's
    from hero.rl.batch import select_rows

    kept = torch.tensor([i for i in range(16) if "square" in plain.processing_class.decode(a["prompt_ids"][i])])
    sub = select_rows(a, kept)
    sub["num_items_in_batch"] = sub["completion_mask"].sum()
    la, _ = loss_and_grads(plain, sub)
    lb, _ = loss_and_grads(hero, b)
    assert abs(la.item() - lb.item()) <= 1e-6


def constant_reward(prompts, completions, **kwargs):
    return [1.0] * len(prompts)


def test_all_groups_gated_skips_the_update(tmp_path):
    hero = tiny_trainer(tmp_path, reward=constant_reward, max_steps=1)
    before = [p.detach().clone() for p in hero.model.parameters()]
    with pytest.warns(RuntimeWarning, match="update skipped"):
        hero.train()
    assert all(torch.equal(x, y) for x, y in zip(before, hero.model.parameters()))
    log = hero.state.log_history[0]
    assert log["hero/skipped_update"] == 1.0 and log["hero/gated_frac"] == 1.0
    assert log["hero/beta"] == 0.04 and math.isfinite(log["loss"])


def test_trains_and_restores_beta_from_checkpoint(tmp_path):
    hero = tiny_trainer(tmp_path / "a", max_steps=2, save_strategy="steps", save_steps=2)
    hero.train()
    saved = json.loads((tmp_path / "a/out/checkpoint-2/hero_balancer.json").read_text())
    assert saved["state"]["steps"] == 2 and saved["state"]["beta"] == pytest.approx(hero.beta)
    assert saved["state"]["beta"] != 0.04  # the adaptive balancer moved it
    resumed = tiny_trainer(tmp_path / "a", max_steps=3)
    resumed.train(resume_from_checkpoint=str(tmp_path / "a/out/checkpoint-2"))
    # restored state (2 steps, saved β) + one step on the logged KL of step 3
    kl3 = resumed.state.log_history[-2]["hero/kl"]
    expected = AdaptiveController().step(BalancerState.from_dict(saved["state"]), kl3)
    assert resumed.hero_state.steps == 3 and resumed.beta == pytest.approx(expected.beta, abs=1e-12)


def test_beta_at_bound_warns_once(tmp_path):
    # β_0 = .04, KL ≈ 0 → β · .98 = .0392 < β_min = .0399 → clipped at the bound on every step
    hero = tiny_trainer(tmp_path, max_steps=3, beta_min=0.0399)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hero.train()
    bound = [w for w in caught if "reached beta_min" in str(w.message)]
    assert len(bound) == 1
    assert hero.beta == 0.0399 and hero.hero_state.steps == 3


@pytest.mark.parametrize(
    "fields, match",
    [
        (dict(num_generations=1, gate=True), "num_generations >= 2"),
        (dict(beta=0.0, balancer="adaptive"), "reference model"),
        (dict(beta=0.0, balancer="pid"), "reference model"),
        (dict(weight_mode="exp"), "weight_mode"),
        (dict(gate_budget=1.5), "gate_budget"),
        (dict(beta_min=0.0), "beta_min"),
        (dict(neg_exp_w_max=0.5), "neg_exp_w_max"),
    ],
)
def test_config_refuses_bad_values(tmp_path, fields, match):
    base = dict(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False)
    with pytest.raises(ValueError, match=match):
        HeroConfig(**{**base, **fields})


def test_config_defaults_and_plain_grpo_ablation(tmp_path):
    c = HeroConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False)
    assert (c.num_generations, c.loss_type, c.epsilon, c.epsilon_high, c.beta) == (8, "dapo", 0.2, 0.28, 0.04)
    assert (c.weight_mode, c.gate, c.balancer, c.gate_delta) == ("neg_exp", True, "adaptive", 1e-6)
    HeroConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False, beta=0.0,
               balancer="fixed", gate=False, weight_mode="none", log_entropy=False)


def test_entropy_taken_from_trls_old_logps_pass_when_it_runs(tmp_path):
    # steps_per_generation = 2 > gradient_accumulation_steps = 1: TRL runs its no-grad old-logps pass; HERO must
    # read the entropy there (no extra pass) and weigh exactly as from a plain forward
    cfg = dict(per_device_train_batch_size=8, steps_per_generation=2, gate=False, balancer="fixed")
    plain = tiny_trainer(tmp_path / "g", weight_mode="none", log_entropy=False, **cfg)
    hero = tiny_trainer(tmp_path / "h", weight_mode="neg_exp", **cfg)
    assert hero._trl_runs_old_logps_pass() and hero._hero_entropy_plan() == "capture"
    calls = []
    hero._hero_extra_pass = lambda batch: calls.append(1)  # must not run
    plain.model.train(), hero.model.train()
    torch.manual_seed(1)
    a = plain._generate_and_score_completions(generation_batch())
    torch.manual_seed(1)
    b = hero._generate_and_score_completions(generation_batch())
    assert calls == []  # fed by the captured TRL pass
    assert "old_per_token_logps" in b
    h = reference_answer_entropy(hero, b)
    assert torch.allclose(b["advantages"], a["advantages"] * core.neg_exp_weights(h, a["advantages"]), atol=1e-5)


def test_gate_pads_to_a_multiple_of_steps_per_generation(tmp_path):
    # 3 prompts × 8, one zero-variance group kept out → 16 rows; steps_per_generation 3 → padded to 18
    prompts = ["is there a red circle in the image ?", "is there a red square in the image ?",
               "is there a blue star in the image ?"]
    batch = [{"prompt": p, "answer": "yes"} for p in prompts for _ in range(8)]
    hero = tiny_trainer(tmp_path, reward=half_constant_reward, per_device_train_batch_size=8, steps_per_generation=3,
                        weight_mode="none", balancer="fixed")
    hero.model.train()
    out = hero._generate_and_score_completions(batch)
    assert out["completion_ids"].size(0) == 18
    pad = out["completion_mask"].sum(1) == 0
    assert pad[16:].all() and (out["advantages"][16:] == 0).all()
    assert out["num_items_in_batch"].item() == out["completion_mask"].sum().item()
    assert not out["hero_skip"].item()


@pytest.mark.slow
def test_two_processes_uneven_gate(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).with_name("rl_ddp_run.py")
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [str(torchrun), "--standalone", "--nproc_per_node", "2", str(script), str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    if proc.returncode != 0 and "address already in use" in proc.stderr.lower():  # a port clash on a shared host
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads((tmp_path / "ddp_result.json").read_text())
    (b0, s0), (b1, s1) = result["betas"]
    assert b0 == b1 and s0 == s1 == 4
    assert any(0 < g < 1 for g in result["gated"])
    assert any(c0 != c1 for c0, c1 in result["counts"]), result["counts"]  # ranks kept different row counts


def test_gated_rows_skip_trls_no_grad_passes(tmp_path, monkeypatch):
    from trl import GRPOTrainer

    prompts = ["is there a red circle in the image ?", "is there a red square in the image ?"]
    batch = [{"prompt": p, "answer": "yes"} for p in prompts for _ in range(8)]
    cfg = dict(reward=half_constant_reward, per_device_train_batch_size=8, steps_per_generation=2)
    plain = tiny_trainer(tmp_path / "g", hero=False, **cfg)
    hero = tiny_trainer(tmp_path / "h", weight_mode="neg_exp", balancer="fixed", **cfg)
    assert hero._hero_entropy_plan() == "capture" and hero._hero_early_gate_ok()
    plain.model.train(), hero.model.train()
    torch.manual_seed(1)
    a = plain._generate_and_score_completions(batch)
    seen = []
    original = GRPOTrainer._get_per_token_logps_and_entropies

    def spy(self, model, input_ids, *args, **kwargs):
        seen.append((torch.is_grad_enabled(), model is self.model, input_ids.size(0)))
        return original(self, model, input_ids, *args, **kwargs)

    monkeypatch.setattr(GRPOTrainer, "_get_per_token_logps_and_entropies", spy)
    torch.manual_seed(1)
    b = hero._generate_and_score_completions(batch)
    # TRL's old-logps (policy) and reference passes each ran on the 8 rows of the kept group only
    assert seen == [(False, True, 8), (False, False, 8)]
    assert b["completion_ids"].size(0) == 8 and torch.equal(b["completion_ids"], a["completion_ids"][8:])
    for key in ("old_per_token_logps", "ref_per_token_logps"):
        assert torch.allclose(b[key], a[key][8:], atol=1e-6), key
    h = reference_answer_entropy(hero, b)  # entropy captured from the kept-rows old-logps pass
    adv = a["advantages"][8:]
    assert torch.allclose(b["advantages"], adv * core.neg_exp_weights(h, adv), atol=1e-5)


def test_nan_reward_is_an_error_naming_function_and_sample(tmp_path):
    def broken_reward(prompts, completions, **kwargs):
        return [0.0] * 3 + [math.nan] + [1.0] * (len(prompts) - 4)

    hero = tiny_trainer(tmp_path, reward=broken_reward)
    hero.model.train()
    with pytest.raises(ValueError, match=r"'broken_reward' returned nan for sample 3 \(prompt 'is there a"):
        hero._generate_and_score_completions(generation_batch())
