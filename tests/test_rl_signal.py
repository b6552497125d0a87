"""HERO's signal options on the tiny text LM (CPU): hard negatives, the group / span entropy sources, the
entropy-shuffle and constant-weight ablations, GRPO with the same gate, and the run statistics of rl_summary.json."""

import torch

from hero.rl import core
from hero.rl.entropy import SourceInputs, resolve_marker_tokens, source_entropy
from hero.rl.hero_config import GRPO_MECHANISMS_OFF
from hero.rl.run_parts import rl_stats
from hero.rl.testing import tiny_tokenizer, tiny_trainer, yes_no_dataset

PROMPTS = ["is there a red circle in the image ?", "is there a red square in the image ?"]


def circle_wrong_reward(prompts, completions, **kwargs):
    """Circle prompts: 0 for every completion (an all-wrong group); others: 1, 0, 1, 0, ..."""
    return [0.0 if "circle" in p else float(i % 2 == 0) for i, p in enumerate(prompts)]


def batch(prompts=PROMPTS, G=8):
    return [{"prompt": p, "answer": "yes"} for p in prompts for _ in range(G)]


def generation_batch(n_prompts=2, G=8, seed=0):
    ds = yes_no_dataset(n_prompts, seed)
    return [ds[i] for i in range(n_prompts) for _ in range(G)]


def scored(trainer, rows, seed=1):
    trainer.model.train()
    torch.manual_seed(seed)
    return trainer._generate_and_score_completions(rows)


def full_logits(trainer, out):
    ids = torch.cat([out["prompt_ids"], out["completion_ids"]], 1)
    attn = torch.cat([out["prompt_mask"], out["completion_mask"]], 1)
    C = out["completion_ids"].size(1)
    with torch.no_grad():
        return trainer.model(input_ids=ids, attention_mask=attn).logits[:, -C - 1 : -1] / trainer.temperature


def test_hard_negatives_keep_all_wrong_groups_with_advantage_minus_a(tmp_path):
    cfg = dict(reward=circle_wrong_reward, balancer="fixed", shuffle_dataset=False)
    plain = tiny_trainer(tmp_path / "g", hero=False, reward=circle_wrong_reward)
    gated = tiny_trainer(tmp_path / "a", weight_mode="none", **cfg)
    hard = tiny_trainer(tmp_path / "b", weight_mode="none", hard_negatives=True, hard_negative_advantage=0.5, **cfg)
    a, g, b = scored(plain, batch()), scored(gated, batch()), scored(hard, batch())
    assert g["completion_ids"].size(0) == 8  # without the option the all-wrong circle group is gated away
    assert gated._metrics["train"]["hero/gated_frac"] == [0.5]
    assert b["completion_ids"].size(0) == 16 and torch.equal(b["completion_ids"], a["completion_ids"])
    # circle rows: −a = −.5 instead of GRPO's 0; the square group keeps GRPO's advantages
    assert torch.equal(b["advantages"][:8], torch.full((8,), -0.5))
    assert torch.allclose(b["advantages"][8:], a["advantages"][8:])
    m = hard._metrics["train"]
    assert m["hero/gated_frac"] == [0.0] and m["hero/hard_negative_frac"] == [0.5]


def test_hard_negatives_times_neg_exp_weight_cost_confident_errors_most(tmp_path):
    hero = tiny_trainer(tmp_path, reward=circle_wrong_reward, weight_mode="neg_exp", balancer="fixed",
                        hard_negatives=True, entropy_from_loss_forward=False)
    b = scored(hero, batch())
    tok = hero.processing_class
    yes, no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")
    logits = full_logits(hero, b)
    pos = core.answer_positions(b["completion_ids"], b["completion_mask"], torch.tensor([yes, no]))
    at = logits[torch.arange(16), pos.clamp(min=0)]
    h = torch.where(pos >= 0, core.binary_entropy_from_logits(at[:, yes], at[:, no]), torch.tensor(float("nan")))
    adv = torch.full((8,), -1.0)  # the circle group: −a with a = 1, then × w(H)
    assert (core.neg_exp_weights(h[:8], adv) > 1).any()  # some confident wrong answers cost more than −1
    assert torch.allclose(b["advantages"][:8], adv * core.neg_exp_weights(h[:8], adv), atol=1e-5)


def test_grpo_with_the_gate_drops_exactly_heros_groups(tmp_path):
    plain = tiny_trainer(tmp_path / "g", hero=False, reward=circle_wrong_reward)
    control = tiny_trainer(tmp_path / "c", reward=circle_wrong_reward, gate=True, **GRPO_MECHANISMS_OFF)
    hero = tiny_trainer(tmp_path / "h", reward=circle_wrong_reward, weight_mode="neg_exp", balancer="fixed")
    a, c, h = scored(plain, batch()), scored(control, batch()), scored(hero, batch())
    assert torch.equal(c["completion_ids"], h["completion_ids"])  # the same groups kept (the square one)
    assert torch.equal(c["completion_ids"], a["completion_ids"][8:])
    assert torch.equal(c["advantages"], a["advantages"][8:])  # GRPO's advantages: no entropy weight
    assert control._hero_entropy_plan() == "none"
    assert control._metrics["train"]["hero/gated_frac"] == [0.5]
    assert "hero/entropy_missing_frac" not in control._metrics["train"]  # nothing measured


def test_group_entropy_source_weights_by_the_rollouts_agreement(tmp_path):
    plain = tiny_trainer(tmp_path / "g", hero=False)
    hero = tiny_trainer(tmp_path / "h", weight_mode="neg_exp", entropy_source="group", gate=False, balancer="fixed")
    assert hero._hero_entropy_plan() == "answers"  # no forward: the sampled answers only
    a, b = scored(plain, generation_batch()), scored(hero, generation_batch())
    tok = hero.processing_class
    ids, is_pos = torch.tensor([tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")]), torch.tensor(
        [True, False])
    labels = core.answer_labels(b["completion_ids"], b["completion_mask"], ids, is_pos)
    h = core.group_answer_entropy(labels, 8)
    assert not torch.allclose(core.neg_exp_weights(h, a["advantages"]), torch.ones(16))  # not vacuous
    assert torch.allclose(b["advantages"], a["advantages"] * core.neg_exp_weights(h, a["advantages"]), atol=1e-6)


def test_span_source_reads_token_entropies_before_the_marker(tmp_path):
    tok = tiny_tokenizer()
    answer, colon = tok.convert_tokens_to_ids("answer"), tok.convert_tokens_to_ids(":")
    # "Answer:" has no token in the lower-case vocabulary; its lower-case form "answer" ":" does
    assert [m.tolist() for m in resolve_marker_tokens(tok, "Answer:")] == [[answer, colon]]
    ids = torch.tensor([[3, 4, answer, colon, 5], [3, answer, colon, 4, 4]])
    ent = torch.tensor([[1.0, 2.0, 9.0, 9.0, 9.0], [4.0, 9.0, 9.0, 9.0, 9.0]])
    x = SourceInputs(ids, torch.ones(2, 5), token_entropies=ent, markers=resolve_marker_tokens(tok, "Answer:"))
    # row 0: before index 2 → (1 + 2)/2 = 1.5; row 1: before index 1 → 4
    assert source_entropy("span", x).tolist() == [1.5, 4.0]


def test_span_source_in_the_trainer(tmp_path):
    plain = tiny_trainer(tmp_path / "g", hero=False)
    hero = tiny_trainer(tmp_path / "h", weight_mode="neg_exp", entropy_source="span", answer_marker="so",
                        neg_exp_tau=5.0, gate=False, balancer="fixed", entropy_from_loss_forward=False)
    a, b = scored(plain, generation_batch()), scored(hero, generation_batch())
    logp = torch.log_softmax(full_logits(hero, b), -1)
    tok_ent = -(logp.exp() * logp).sum(-1)
    so = torch.tensor([hero.processing_class.convert_tokens_to_ids("so")])
    h = core.span_mean_entropy(tok_ent, b["completion_mask"], core.marker_starts(b["completion_ids"],
                                                                                b["completion_mask"], so))
    assert (~torch.isnan(h)).any()  # some completions hold the marker after a non-empty span
    w = core.neg_exp_weights(h, a["advantages"], tau=5.0)  # τ = 5: a random model's span entropy is ≈ 3 nats
    assert not torch.allclose(w, torch.ones(16))
    assert torch.allclose(b["advantages"], a["advantages"] * w, atol=1e-5)


def test_entropy_shuffle_and_constant_weight_ablations(tmp_path):
    plain = tiny_trainer(tmp_path / "g", hero=False)
    shuffled = tiny_trainer(tmp_path / "s", weight_mode="neg_exp", entropy_source="group", entropy_shuffle=True,
                            gate=False, balancer="fixed", seed=0)
    const = tiny_trainer(tmp_path / "c", weight_mode="constant", constant_weight=2.0, gate=False, balancer="fixed",
                         log_entropy=False)
    a, s, c = scored(plain, generation_batch()), scored(shuffled, generation_batch()), scored(const,
                                                                                                generation_batch())
    tok = shuffled.processing_class
    ids = torch.tensor([tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")])
    h = core.group_answer_entropy(core.answer_labels(s["completion_ids"], s["completion_mask"], ids,
                                                     torch.tensor([True, False])), 8)
    h_shuffled = core.shuffled_among(h, torch.ones(16, dtype=torch.bool), seed=0)  # seed·1000003 + call 0
    adv = a["advantages"]
    assert not torch.allclose(core.neg_exp_weights(h_shuffled, adv), core.neg_exp_weights(h, adv))
    assert torch.allclose(s["advantages"], adv * core.neg_exp_weights(h_shuffled, adv), atol=1e-6)
    assert const._hero_entropy_plan() == "none" and torch.allclose(c["advantages"], 2.0 * adv)


def test_rl_stats_from_the_log_history():
    logs = [{"kl": 0.02, "hero/gated_frac": 0.5, "hero/hard_negative_frac": 0.25, "step": 1},
            {"kl": 0.04, "hero/gated_frac": 0.0, "hero/hard_negative_frac": 0.0, "step": 2},
            {"train_runtime": 3.0, "step": 2}]
    # gated (.5 + 0)/2 = .25; KL last .04, mean (.02 + .04)/2 = .03; hard (.25 + 0)/2 = .125
    stats = rl_stats(logs)
    assert stats["gated_share"] == 0.25 and stats["kl_final"] == 0.04 and abs(stats["kl_mean"] - 0.03) < 1e-12
    assert stats["hard_negative_share"] == 0.125
    # TRL's own GRPO (no hero/ keys, β = 0: no kl): nothing dropped, no KL, no hard negatives
    assert rl_stats([{"loss": 1.0}]) == {"gated_share": 0.0, "kl_final": None, "kl_mean": None,
                                         "hard_negative_share": None}


def test_config_refuses_bad_signal_options(tmp_path):
    import pytest

    from hero.rl.hero_config import HeroConfig

    base = dict(output_dir=str(tmp_path), per_device_train_batch_size=8, use_cpu=True, bf16=False)
    for fields, match in ((dict(constant_weight=0.0), "constant_weight"),
                          (dict(hard_negative_advantage=-1.0), r"advantage −a \(e.g. 1.0\)"),
                          (dict(hard_negative_threshold=float("nan")), "finite"),
                          (dict(answer_marker=" "), "answer_marker")):
        with pytest.raises(ValueError, match=match):
            HeroConfig(**base, **fields)
    c = HeroConfig(**base)
    assert (c.hard_negatives, c.entropy_shuffle, c.constant_weight, c.answer_marker) == (False, False, 1.0, "Answer:")


def test_group_source_on_two_processes_reads_every_rank_rows():
    """Rank 1 of 2 holds the second half of a G = 4 group: its H comes from the whole gathered group."""
    yes, no = 7, 8
    rank0 = torch.tensor([[7], [7]])  # yes, yes
    rank1 = torch.tensor([[7], [8]])  # yes, no → the group: 3 yes, 1 no
    x = SourceInputs(rank1, torch.ones(2, 1), answer_ids=torch.tensor([yes, no]),
                     is_positive=torch.tensor([True, False]), num_generations=4,
                     gather=lambda labels: torch.cat([torch.tensor([1, 1]), labels]), local=slice(2, 4))
    # shares (.75, .25): H = −.75 ln .75 − .25 ln .25 = .215762 + .346574 = .562335 on both rows of rank 1
    assert torch.allclose(source_entropy("group", x), torch.full((2,), 0.562335), atol=1e-6)
    assert rank0.shape == rank1.shape  # every rank holds the same row count before the gate (gather needs it)


def spread_reward(prompts, completions, **kwargs):
    """A continuous reward: 0.01 · row index (every group has reward variance; an NLI-like second reward)."""
    return [0.01 * i for i in range(len(prompts))]


def test_gate_reward_gates_on_one_reward_while_advantages_use_the_sum(tmp_path):
    import pytest

    cfg = dict(reward=[circle_wrong_reward, spread_reward], weight_mode="none", balancer="fixed",
               shuffle_dataset=False)
    summed = tiny_trainer(tmp_path / "s", **cfg)
    scored(summed, batch())
    assert summed._metrics["train"]["hero/gated_frac"] == [0.0]  # the continuous sum: no zero-variance group
    own = tiny_trainer(tmp_path / "o", gate_reward="circle_wrong_reward", **cfg)
    out = scored(own, batch())
    assert own._metrics["train"]["hero/gated_frac"] == [0.5] and out["completion_ids"].size(0) == 8
    hard = tiny_trainer(tmp_path / "h", gate_reward="circle_wrong_reward", hard_negatives=True, **cfg)
    out = scored(hard, batch())
    assert hard._metrics["train"]["hero/hard_negative_frac"] == [0.5]  # the all-wrong circle group, by its own reward
    assert torch.equal(out["advantages"][:8], torch.full((8,), -1.0))
    with pytest.raises(ValueError, match="gate_reward='yes_no' is not one of this run's reward functions"):
        tiny_trainer(tmp_path / "x", gate_reward="yes_no", **cfg)
