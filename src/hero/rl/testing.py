"""A tiny text-only causal LM, word-level tokenizer and yes/no prompt set, for the RL tests and benchmarks.

Everything is built from configs (no downloads) and is deterministic for a given seed.
"""

from __future__ import annotations

WORDS = (
    "is there a an red green blue yellow purple circle square triangle star in the image ? answer : yes no . "
    "i see and so it"
).split()
SPECIAL = ["<pad>", "<unk>", "<eos>"]


def tiny_tokenizer():
    """Word-level `PreTrainedTokenizerFast` over WORDS: left padding, <pad>/<eos>, a space-joining decoder."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(SPECIAL + list(dict.fromkeys(WORDS)))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>", padding_side="left"
    )


def tiny_causal_lm(tokenizer, path, seed: int = 0, hidden: int = 32, layers: int = 2):
    """A LlamaForCausalLM with `hidden` width and `layers` layers, initialised with `seed`, saved to `path` (with the
    tokenizer) and reloaded from there — TRL builds the reference model from `config._name_or_path`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = None
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return LlamaForCausalLM.from_pretrained(path)


def yes_no_dataset(n: int = 16, seed: int = 0):
    """`datasets.Dataset` of n plain-text prompts "is there a <colour> <shape> in the image ?" with a yes/no answer."""
    import random

    from datasets import Dataset

    rng = random.Random(seed)
    colours, shapes = ["red", "green", "blue", "yellow", "purple"], ["circle", "square", "triangle", "star"]
    rows = []
    for _ in range(n):
        c, s = rng.choice(colours), rng.choice(shapes)
        rows.append({"prompt": f"is there a {c} {s} in the image ?", "answer": rng.choice(["yes", "no"])})
    return Dataset.from_list(rows)


def exact_reward(prompts, completions, answer, **kwargs):
    """1.0 when the reference answer word appears in the completion, else 0.0 (a test reward, not the verifier)."""
    return [1.0 if a in str(c).split() else 0.0 for c, a in zip(completions, answer)]


def tiny_trainer(tmp_path, hero: bool = True, reward=exact_reward, dataset=None, seed: int = 0, **config):
    """A (Hero)GRPOTrainer on the tiny LM, CPU-safe settings; `config` overrides the config fields."""
    from pathlib import Path

    from trl import GRPOConfig, GRPOTrainer

    from hero.rl.hero_config import HeroConfig
    from hero.rl.trainer import HeroGRPOTrainer

    tmp_path = Path(tmp_path)
    tok = tiny_tokenizer()
    model = tiny_causal_lm(tok, tmp_path / "model", seed=seed)
    base = dict(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=16, num_generations=8,
        max_completion_length=8, max_steps=2, bf16=False, gradient_checkpointing=False, use_cpu=True,
        report_to=[], logging_steps=1, learning_rate=1e-3, save_strategy="no", seed=seed, beta=0.04,
        epsilon=0.2, epsilon_high=0.28, loss_type="dapo", disable_tqdm=True,
    )
    base.update(config)
    cls, cfg_cls = (HeroGRPOTrainer, HeroConfig) if hero else (GRPOTrainer, GRPOConfig)
    return cls(model=model, reward_funcs=reward, args=cfg_cls(**base),
               train_dataset=dataset if dataset is not None else yes_no_dataset(32, seed), processing_class=tok)
