"""Pure scoring math: yes/no probability mass, entropies, answer parsing and the CoT answer position.

Conventions (nats throughout):
- p_yes / p_no: softmax probability at the answer position summed over every vocabulary entry that spells
  "yes" / "no" up to case and a leading word-boundary marker ("yes", "Yes", "YES", "▁Yes", "Ġyes", " yes"):
  real VLM vocabularies hold several such variants and a model may put its mass on any of them.
- entropy_binary: entropy of the renormalised pair (q, 1 − q) with q = p_yes / (p_yes + p_no).
- entropy_full: entropy of the full next-token distribution at the answer position.
All four are read from softmax(logits / T) at the answer position (`answer_distribution`); T = 1 is the model's
own distribution, T ≤ 0 (greedy decoding) reads it at T = 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping

import torch

from hero import mathutil

WORD_BOUNDARY_MARKERS = ("▁", "Ġ", " ", "Ċ")
ANSWER_MARKER = "Answer:"
_ANSWER_RE = re.compile(r"answer\s*:", re.IGNORECASE)


def normalise_token(token: str) -> str:
    """'▁Yes' → 'yes', 'Ġno' → 'no', ' YES' → 'yes': strip boundary markers and whitespace, lower-case."""
    t = token
    while t and t[0] in WORD_BOUNDARY_MARKERS:
        t = t[1:]
    return t.strip().lower()


def answer_token_ids(vocab: Mapping[str, int], word: str) -> list[int]:
    """Ids of every vocabulary token that normalises to `word` ("yes" → ids of yes, Yes, ▁Yes, ...), sorted."""
    return sorted(i for t, i in vocab.items() if normalise_token(t) == word)


ANSWER_VARIANTS = ("{w}", "{W}", " {w}", " {W}", "{U}", " {U}")
"""Spellings of an answer word whose first token is an answer token ({w} 'yes', {W} 'Yes', {U} 'YES')."""


def resolve_answer_tokens(tok, vocab: Mapping[str, int] | None = None) -> tuple[list[int], list[int]]:
    """(yes ids, no ids) for a tokenizer: every vocabulary token that normalises to the word (`answer_token_ids`)
    plus the first token of each spelling in ANSWER_VARIANTS as the tokenizer encodes it (a BPE may spell " yes"
    as one token that is not a plain vocabulary entry, e.g. 'Ġyes'); a leading bare boundary token ('Ġ', '▁') is
    passed over to the first token with text; unknown / special tokens are left out.
    ValueError when either set is empty or a token is in both (yes and no would not be distinguishable)."""
    vocab = tok.get_vocab() if vocab is None else vocab
    skip = set(getattr(tok, "all_special_ids", []) or [])
    token_of = {i: t for t, i in vocab.items()}
    found = {}
    for word in ("yes", "no"):
        ids = set(answer_token_ids(vocab, word))
        for v in ANSWER_VARIANTS:
            pieces = tok(v.format(w=word, W=word.capitalize(), U=word.upper()), add_special_tokens=False)["input_ids"]
            first = next((i for i in pieces if normalise_token(token_of.get(i, ""))), None)  # skip a bare 'Ġ'
            if first is not None and first not in skip:
                ids.add(first)
        found[word] = sorted(ids)
    both = set(found["yes"]) & set(found["no"])
    if not found["yes"] or not found["no"] or both:
        raise ValueError(f"the tokenizer has no distinct single first token for 'yes' and 'no' (yes ids "
                         f"{found['yes']}, no ids {found['no']}, shared {sorted(both)}); scoring needs both")
    return found["yes"], found["no"]


def yes_no_mass(log_probs: torch.Tensor, yes_ids: list[int], no_ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, V) log-probabilities → p_yes (B,), p_no (B,): summed probability of each variant set."""
    if not yes_ids or not no_ids:
        raise ValueError("the vocabulary has no 'yes' or no 'no' token (any case, with or without a word-boundary "
                         "marker); scoring needs both")
    probs = log_probs.exp()  # (B, V)
    return probs[:, yes_ids].sum(-1), probs[:, no_ids].sum(-1)


def binary_entropy(p_yes: torch.Tensor, p_no: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of (q, 1 − q), q = p_yes / (p_yes + p_no); 0·log 0 = 0; no yes/no mass at all (VCD's cut-off
    can remove both) → q = 0.5, H = ln 2 (no evidence either way). Shapes (B,) → (B,)."""
    total = p_yes + p_no  # (B,)
    q = torch.where(total > 0, p_yes / total.clamp_min(torch.finfo(p_yes.dtype).tiny), torch.full_like(total, 0.5))
    return mathutil.binary_entropy(q)


def full_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of softmax(logits) over the last dim: −Σ p log p, tokens at −inf (VCD's cut-off) adding 0.
    (B, V) → (B,)."""
    log_p = torch.log_softmax(logits.float(), dim=-1)  # (B, V)
    return -torch.where(torch.isfinite(log_p), log_p.exp() * log_p, torch.zeros_like(log_p)).sum(-1)


def answer_distribution(logits: torch.Tensor, yes_ids: list[int], no_ids: list[int], temperature: float = 1.0):
    """p_yes, p_no, entropy_binary, entropy_full (each (B,)) of softmax(logits / T) at the answer position, (B, V).
    T ≤ 0 (greedy) → T = 1. Logits [2, 0] with yes = 0, no = 1 at T = 2 → softmax([1, 0]): p_yes = e/(e+1)."""
    t = float(temperature) if temperature and temperature > 0 else 1.0
    scaled = logits.float() / t if t != 1.0 else logits.float()  # (B, V); T = 1 is bit-identical to no scaling
    p_yes, p_no = yes_no_mass(torch.log_softmax(scaled, dim=-1), yes_ids, no_ids)  # (B,), (B,)
    return p_yes, p_no, binary_entropy(p_yes, p_no), full_entropy(scaled)


def parse_answer(text: str | None) -> str:
    """'yes' / 'no' from the first word of an answer text ("Yes.", " no", "YES!"); '' when it is neither."""
    if not text:
        return ""
    m = re.match(r"\s*([A-Za-z]+)", text)
    word = m.group(1).lower() if m else ""
    return word if word in ("yes", "no") else ""


def answer_after_marker(text: str) -> tuple[int | None, str]:
    """(character offset just after the LAST 'Answer:' (any case), parsed word after it) or (None, '')."""
    matches = list(_ANSWER_RE.finditer(text))
    if not matches:
        return None, ""
    end = matches[-1].end()
    return end, parse_answer(text[end:])


def answer_token_position(token_ids: list[int], decode: Callable[[list[int]], str], char_end: int) -> int | None:
    """Smallest k such that decode(token_ids[:k]) reaches `char_end` characters of decode(token_ids), i.e. the
    number of generated tokens that completes the 'Answer:' marker; token k (0-based) is the answer token.
    Binary search: O(log n) decodes. None if even the whole sequence is shorter (should not happen)."""
    lo, hi = 1, len(token_ids)
    if hi == 0 or len(decode(token_ids).rstrip()) < char_end:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if len(decode(token_ids[:mid]).rstrip()) >= char_end:
            hi = mid
        else:
            lo = mid + 1
    return lo


def accuracy(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """Fraction correct; an unparseable prediction ('') counts as wrong."""
    pairs = list(zip(predicted, gold, strict=True))
    return sum(p == g for p, g in pairs) / len(pairs) if pairs else math.nan
