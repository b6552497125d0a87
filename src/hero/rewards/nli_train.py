"""`hero train nli`: a tiny NLI cross-encoder for the world, trained from scratch on (scene description, claim)
pairs (`hero.rewards.nli_data`), saved so that `AutoTokenizer` / `AutoModelForSequenceClassification
.from_pretrained(OUT)` load it with no custom code and `hero.rewards.nli.NLIReward.from_pretrained(OUT)` uses it.

Model: `BertForSequenceClassification` from a config (2 layers, width 64, init std 0.1), `id2label` =
{0: entailment, 1: neutral, 2: contradiction}. Tokenizer: a word-level `PreTrainedTokenizerFast` over the world's
words in which each category name is one token ("red circle" → `red_circle`, done by the normalizer, so raw text
works); lower-casing; a pair is `[CLS] premise [SEP] claim [SEP]` with token_type_ids 0/1; right padding; words
outside the world are `[UNK]`.

Training adds a training-only auxiliary loss: a linear probe on layer 1 predicts, for each claim token, whether the
same token occurs in the premise (`occurrence_targets`); the probe is thrown away, the saved model is the plain
classifier. Without it (and without category tokens and the wider init) a from-scratch model stalls for well over
1,000 steps at the template solution (≈ 67 %, contradictions never found): see benchmarks/nli_experiments.md.

Training is a plain PyTorch loop rather than transformers' Trainer: the pairs are drawn on the fly from an endless
class-balanced stream, the run is a step count capped by a wall-clock budget, and a 1–2 minute run needs no
checkpoints, resume, gradient accumulation or distributed setup — Trainer would add its dataset/collator plumbing
and per-step callbacks around ~50 ms steps without using any of what it offers, and the auxiliary loss would
need a custom `compute_loss`. The loop is seeded (weights and pair stream): same seed and step count, same model.
The learning-rate schedule (linear warm-up, cosine decay) runs over `max_steps`; the budget only stops a run early
on a slow machine (`stopped_by` says which).

Train pairs come from the world's train split (fresh claims every round), held-out pairs from its test split with
their own seed, exactly balanced (`heldout_per_label` pairs of each class per scene). `heldout_unseen_accuracy`
counts only held-out pairs whose exact (premise, claim) text never occurred in training.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from pathlib import Path

import torch

from hero.rewards.nli_config import NLI_NOT_IDENTITY, NLITrainConfig
from hero.rewards.nli_data import LABELS, annotation_scenes, heldout_pairs, nli_words, pair_stream

SUMMARY_FILE = "nli_train.json"
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
"""Special tokens, ids 0–3 in this order."""
TOKEN_RE = r"[A-Za-z0-9_]+|[^A-Za-z0-9_\s]"
"""Pre-tokenizer split: runs of letters/digits/underscores (joined phrases stay whole), single punctuation marks."""
HELDOUT_SEED_OFFSET = 7919
"""Held-out claims are drawn with seed + this offset (their scenes are the test split's anyway)."""


# -- pure parts ---------------------------------------------------------------------------------------------------
def lr_factor(step: int, total: int, warmup: int) -> float:
    """Multiplier of the peak LR at 0-based `step`: linear warm-up to 1 over `warmup` steps, then cosine to 0 at
    `total`. step 0, warmup 10 → 0.1; warmup 0, step 50 of 100 → 0.5·(1 + cos(π/2)) = 0.5."""
    warm = min(1.0, (step + 1) / warmup) if warmup else 1.0
    frac = min(1.0, max(0, step - warmup) / max(1, total - warmup))
    return warm * 0.5 * (1.0 + math.cos(math.pi * frac))


def confusion(pred: torch.Tensor, gold: torch.Tensor, n: int) -> torch.Tensor:
    """(n, n) counts, row = gold class, column = predicted class, from (K,) integer tensors."""
    return torch.bincount(gold * n + pred, minlength=n * n).reshape(n, n)


def occurrence_targets(input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor,
                       n_special: int = len(SPECIALS)) -> tuple[torch.Tensor, torch.Tensor]:
    """Targets of the occurrence loss: for every claim token (segment 1, not padding or a special id < n_special),
    whether the same token id also occurs in the premise (segment 0). Inputs (B, T) → (claim mask, occurs) (B, T).
    With category names as single tokens this is exactly "the claimed object is in the description"."""
    content = attention_mask.bool() & (input_ids >= n_special)  # (B, T)
    premise, claim = content & (token_type_ids == 0), content & (token_type_ids == 1)  # (B, T)
    same = input_ids[:, :, None] == input_ids[:, None, :]  # (B, T, T)
    return claim, (same & premise[:, None, :]).any(-1)


def accuracy_report(cm: torch.Tensor, names) -> dict:
    """Accuracy, per-class recall and the confusion matrix from `confusion` (plain Python numbers); 0.0 for an
    empty class or an empty matrix."""
    m = cm.tolist()
    total = sum(map(sum, m))
    per = {name: (m[i][i] / sum(m[i]) if sum(m[i]) else 0.0) for i, name in enumerate(names)}
    correct = sum(m[i][i] for i in range(len(m)))
    return {"accuracy": correct / total if total else 0.0, "per_class": per, "confusion": m, "n": total}


# -- model and tokenizer ------------------------------------------------------------------------------------------
def build_nli_tokenizer(words, phrases=(), max_length: int = 256):
    """Word-level `PreTrainedTokenizerFast` for sentence pairs over SPECIALS + `words` + `phrases`; input is
    lower-cased, whitespace runs become one space, and each phrase ("red circle") becomes one token ("red_circle")."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    joined = {p.lower(): p.lower().replace(" ", "_") for p in phrases}
    vocab: dict[str, int] = {}
    for w in list(SPECIALS) + [w.lower() for w in words] + list(joined.values()):
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Replace(Regex(r"\s+"), " ")]
                                          + [normalizers.Replace(p, j) for p, j in joined.items()])
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(TOKEN_RE), behavior="isolated")])
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.Sequence([decoders.WordPiece(prefix="##", cleanup=False), decoders.Replace("_", " ")])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIALS])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
        padding_side="right", model_max_length=max_length,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"])


def build_nli_model(tokenizer, hidden: int = 64, layers: int = 2, init_std: float = 0.1, seed: int = 0):
    """A freshly initialised `BertForSequenceClassification` with the NLI labels (seeded)."""
    from transformers import BertConfig, BertForSequenceClassification

    cfg = BertConfig(vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
                     num_attention_heads=hidden // 16, intermediate_size=4 * hidden,
                     max_position_embeddings=tokenizer.model_max_length, type_vocab_size=2,
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=init_std,
                     num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                     label2id={name: i for i, name in enumerate(LABELS)}, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    return BertForSequenceClassification(cfg)


# -- running ------------------------------------------------------------------------------------------------------
def _encode(tokenizer, pairs):
    enc = tokenizer([p for p, _, _ in pairs], [c for _, c, _ in pairs], padding=True, return_tensors="pt")
    return enc, torch.tensor([y for _, _, y in pairs])  # (B, T) each, (B,)


@torch.no_grad()
def predict(model, tokenizer, pairs, batch_size: int = 256) -> torch.Tensor:
    """Predicted class ids (K,) for (premise, claim, label) pairs."""
    model.eval()
    out = [model(**_encode(tokenizer, pairs[s : s + batch_size])[0]).logits.argmax(-1)
           for s in range(0, len(pairs), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def _load_splits(world: str):
    from hero.io import InputError
    from hero.world import load_annotations, load_world

    wcfg, _ = load_world(world)
    train, test = (annotation_scenes(load_annotations(world, s)) for s in ("train", "test"))
    if not train or not test:
        raise InputError(f"{world}: the NLI model needs scenes in the train and test splits (found {len(train)} and "
                         f"{len(test)}); rebuild the world with train_images and test_images > 0")
    return wcfg, train, test


def _step_loss(model, probe, enc, labels, aux_weight: float) -> torch.Tensor:
    """Cross-entropy on the labels + aux_weight × BCE of a linear probe on layer 1's claim tokens predicting
    `occurrence_targets` (the probe is discarded after training; the saved model is a plain classifier)."""
    out = model(**enc, labels=labels, output_hidden_states=aux_weight > 0)
    if not aux_weight:
        return out.loss
    claim, occurs = occurrence_targets(enc["input_ids"], enc["token_type_ids"], enc["attention_mask"])  # (B, T)
    logits = probe(out.hidden_states[1]).squeeze(-1)  # (B, T)
    aux = torch.nn.functional.binary_cross_entropy_with_logits(logits[claim], occurs[claim].float())
    return out.loss + aux_weight * aux


def _train_loop(cfg: NLITrainConfig, model, tokenizer, stream, seen: set, tick) -> dict:
    probe = torch.nn.Linear(model.config.hidden_size, 1)
    opt = torch.optim.AdamW(list(model.parameters()) + list(probe.parameters()), lr=cfg.lr, weight_decay=0.01)
    t0, step, losses, stopped_by = time.perf_counter(), 0, [], "max_steps"
    model.train()
    while step < cfg.max_steps:
        if time.perf_counter() - t0 > 60.0 * cfg.budget_min:
            stopped_by = "budget"
            break
        for g in opt.param_groups:
            g["lr"] = cfg.lr * lr_factor(step, cfg.max_steps, cfg.warmup_steps)
        batch = [next(stream) for _ in range(cfg.batch_size)]
        seen.update((p, c) for p, c, _ in batch)
        enc, labels = _encode(tokenizer, batch)
        loss = _step_loss(model, probe, enc, labels, cfg.aux_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        tick(step, losses[-1])
    tail = losses[-50:]
    return {"steps": step, "stopped_by": stopped_by, "train_seconds": round(time.perf_counter() - t0, 2),
            "final_loss": round(sum(tail) / len(tail), 5) if tail else None}


def _with_progress(enabled: bool, total: int, fn):
    if not enabled:
        return fn(lambda step, loss: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("training NLI"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("nli", total=total, loss="-")
        return fn(lambda step, loss: bar.update(task, completed=step, loss=f"{loss:.3f}") if step % 10 == 0 else None)


def run_nli(cfg: NLITrainConfig) -> dict:
    """Check the world and the folder's identity (hero.runid) before building anything, then train, evaluate on
    held-out pairs, save model + tokenizer + summary to cfg.out; returns the summary."""
    from hero.runid import identity, training_folder

    splits = _load_splits(cfg.world)
    config = {k: v for k, v in asdict(cfg).items() if k not in NLI_NOT_IDENTITY}
    with training_folder(cfg.out, identity("nli", None, cfg.world, Path(cfg.world) / "world.json", config),
                         tool="hero train nli"):
        return _train_and_save(cfg, *splits)


def _train_and_save(cfg: NLITrainConfig, wcfg, train_scenes, test_scenes) -> dict:
    from hero.io import write_json_atomic

    t_start = time.perf_counter()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    world = wcfg.categories
    tokenizer = build_nli_tokenizer(nli_words(wcfg.colours, wcfg.shapes), world)
    model = build_nli_model(tokenizer, cfg.hidden, cfg.layers, cfg.init_std, cfg.seed)
    stream, seen = pair_stream(train_scenes, world, cfg.seed), set()
    trained = _with_progress(cfg.progress, cfg.max_steps,
                             lambda tick: _train_loop(cfg, model, tokenizer, stream, seen, tick))
    held = heldout_pairs(test_scenes, world, cfg.seed + HELDOUT_SEED_OFFSET, cfg.heldout_per_label)
    pred, gold = predict(model, tokenizer, held), torch.tensor([y for _, _, y in held])
    report = accuracy_report(confusion(pred, gold, len(LABELS)), LABELS)
    unseen = torch.tensor([(p, c) not in seen for p, c, _ in held], dtype=torch.bool)
    unseen_report = accuracy_report(confusion(pred[unseen], gold[unseen], len(LABELS)), LABELS)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    summary = {**trained, "heldout_accuracy": report["accuracy"], "heldout": report,
               "heldout_unseen_accuracy": unseen_report["accuracy"], "heldout_unseen_n": unseen_report["n"],
               "train_scenes": len(train_scenes), "heldout_scenes": len(test_scenes),
               "parameters": sum(p.numel() for p in model.parameters()),
               "seconds": round(time.perf_counter() - t_start, 2), "out": str(out), "config": asdict(cfg)}
    write_json_atomic(out / SUMMARY_FILE, summary)
    return summary


def train_nli(world_dir, out_dir, budget_min: float = 2.0, seed: int = 0, **kwargs) -> dict:
    """Train the world's NLI cross-encoder into `out_dir`; the summary has `heldout_accuracy` (see NLITrainConfig
    for the other keyword settings)."""
    return run_nli(NLITrainConfig(world=str(world_dir), out=str(out_dir), budget_min=budget_min, seed=seed, **kwargs))
