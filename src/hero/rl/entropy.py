"""Per-completion entropy H_i: the sources by name (`SOURCES`, `HeroConfig.entropy_source` names one) and what they
read from TRL's log-prob pass.

TRL 1.16 patches the policy's forward so that `model(..., labels=..., fused_lm_head=True)` returns per-token
log-probs and entropies without materialising the (B, L, V) logits. The mean token entropy comes straight from
that. The binary answer entropy needs the logits of the K answer tokens ("yes", " yes", "no", ...): a forward hook
on the backbone projects its last hidden state on those K rows of the LM head only — (B, C, K), cheap.

A source is `f(x: SourceInputs) -> H (B,)` registered with `needs`: "answer_logits" (the probe above),
"token_entropies" (TRL's per-token entropies) or "answers" (only the sampled tokens: no forward; computed over the
whole, ungated generation batch, `x.gather` collecting every process's rows); `answer_tokens` / `marker` say
whether it reads `answer_words` / `answer_marker`. NaN = unknown (neutral weight 1).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from hero.registry import Registry
from hero.rl import core

SOURCES = Registry("entropy source")
NEEDS = ("answer_logits", "token_entropies", "answers")


def resolve_answer_tokens(tokenizer, words: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids (K,) spelling the positive and negative answer words, and a bool (K,) marking the positive ones.

    Variants tried per word: "w", " w", "W", " W"; a variant counts if it encodes to exactly one known token.
    """
    ids: list[int] = []
    positive: list[bool] = []
    unk = getattr(tokenizer, "unk_token_id", None)
    for is_pos, word in zip((True, False), words):
        found = []
        for variant in dict.fromkeys((word, " " + word, word.capitalize(), " " + word.capitalize())):
            enc = tokenizer.encode(variant, add_special_tokens=False)
            if len(enc) == 1 and enc[0] != unk and enc[0] not in ids + found:
                found.append(enc[0])
        if not found:
            raise ValueError(
                f"entropy_source='answer' / 'group' needs the answer word {word!r} to be a single token, but the "
                f"tokenizer splits it into {tokenizer.tokenize(word)!r}. Set answer_words to words that are single "
                "tokens, or use entropy_source='mean' / 'span'."
            )
        ids += found
        positive += [is_pos] * len(found)
    return torch.tensor(ids), torch.tensor(positive)


def _language_model(model):
    """The Hugging Face model whose forward TRL patched (PEFT and wrappers unwrapped)."""
    model = getattr(model, "module", model)
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model


@contextlib.contextmanager
def answer_logit_probe(model, answer_ids: torch.Tensor, logits_to_keep: int, temperature: float) -> Iterator[list]:
    """While active, each forward of `model`'s backbone appends the answer-token logits (b, C, K) to the yielded list.

    Position j of the C = `logits_to_keep` completion tokens is predicted by hidden state L − C − 1 + j, as in TRL's
    fused head; logits are scaled like TRL's (logit scale, soft-capping, ÷ sampling temperature). Detached: usable
    inside the gradient forward too.
    """
    lm = _language_model(model)
    text_config = lm.config.get_text_config()
    scale = getattr(text_config, "logit_scale", None) or 1.0
    softcap = getattr(text_config, "final_logit_softcapping", None)
    head = lm.get_output_embeddings()
    chunks: list[torch.Tensor] = []

    def hook(_module, _args, output):
        hidden = output.last_hidden_state if hasattr(output, "last_hidden_state") else output[0]  # (b, L, D)
        hidden = hidden[:, -logits_to_keep - 1 : -1].detach()  # (b, C, D); weights never carry gradient
        ids = answer_ids.to(head.weight.device)
        bias = None if head.bias is None else head.bias.detach()[ids]
        logits = F.linear(hidden.to(head.weight.dtype), head.weight.detach()[ids], bias).float() * scale  # (b, C, K)
        if softcap is not None:
            logits = torch.tanh(logits / softcap) * softcap
        chunks.append(logits / temperature)

    handle = lm.base_model.register_forward_hook(hook)
    try:
        yield chunks
    finally:
        handle.remove()


def resolve_marker_tokens(tokenizer, marker: str) -> list[torch.Tensor]:
    """The token sequences (each (M,)) that spell the answer marker: "m", " m", and their lower-case forms, each
    encoded without special tokens; sequences holding the unknown token are left out."""
    unk = getattr(tokenizer, "unk_token_id", None)
    seqs: list[list[int]] = []
    for variant in dict.fromkeys((marker, " " + marker, marker.lower(), " " + marker.lower())):
        enc = tokenizer.encode(variant, add_special_tokens=False)
        if enc and unk not in enc and enc not in seqs:
            seqs.append(enc)
    if not seqs:
        raise ValueError(f"entropy_source='span': the tokenizer cannot spell answer_marker={marker!r} (every form "
                         "encodes to nothing or to the unknown token). Set answer_marker to the text that ends the "
                         "CoT before the answer (e.g. 'Answer:'), or use entropy_source='mean'.")
    return [torch.tensor(s) for s in seqs]


@dataclass
class SourceInputs:
    """What a source reads about B completions (the rows of one process)."""

    completion_ids: torch.Tensor  # (B, C)
    mask: torch.Tensor  # (B, C) loss mask
    token_entropies: torch.Tensor | None = None  # (B, C), needs="token_entropies"
    answer_logits: torch.Tensor | None = None  # (B, C, K), needs="answer_logits"
    answer_ids: torch.Tensor | None = None  # (K,) answer-word tokens (answer_tokens=True)
    is_positive: torch.Tensor | None = None  # (K,) bool
    markers: list[torch.Tensor] | None = None  # token sequences of the answer marker (marker=True)
    num_generations: int = 1
    gather: Callable[[torch.Tensor], torch.Tensor] = lambda t: t  # every process's rows, in rank order
    local: slice | None = None  # this process's rows within the gathered ones (None: all)


def register_source(name: str, *, needs: str, answer_tokens: bool = False, marker: bool = False,
                    replace: bool = False):
    """Decorator: register an entropy source `f(x: SourceInputs) -> H (B,)` (see the module docstring)."""
    if needs not in NEEDS:
        raise ValueError(f"entropy source {name!r}: needs={needs!r} must be one of {NEEDS}")
    return SOURCES.register(name, replace=replace, needs=needs, answer_tokens=bool(answer_tokens),
                            marker=bool(marker))


def source_entropy(name: str, x: SourceInputs) -> torch.Tensor:
    """H (B,) of the source `name`."""
    return SOURCES.get(name)(x)


@register_source("answer", needs="answer_logits", answer_tokens=True)
def answer_source(x: SourceInputs) -> torch.Tensor:
    """Binary entropy of p(yes) / (p(yes) + p(no)) at the completion's last answer token (NaN where none)."""
    positions = core.answer_positions(x.completion_ids, x.mask, x.answer_ids)  # (B,)
    return core.answer_entropy(x.answer_logits, positions, x.is_positive.to(x.answer_logits.device))  # (B,)


@register_source("mean", needs="token_entropies")
def mean_source(x: SourceInputs) -> torch.Tensor:
    """Mean token entropy over the whole completion."""
    return core.mean_token_entropy(x.token_entropies.float(), x.mask)  # (B,)


@register_source("span", needs="token_entropies", marker=True)
def span_source(x: SourceInputs) -> torch.Tensor:
    """Mean token entropy over the CoT's perception span: the completion tokens before the LAST answer marker
    (any of its token spellings); NaN without a marker or with the marker first."""
    starts = torch.stack([core.marker_starts(x.completion_ids, x.mask, m) for m in x.markers]).max(dim=0).values
    return core.span_mean_entropy(x.token_entropies.float(), x.mask, starts)  # (B,)


@register_source("group", needs="answers", answer_tokens=True)
def group_source(x: SourceInputs) -> torch.Tensor:
    """The marginal answer entropy of the prompt's G rollouts (the binary entropy of the group's yes share, each
    answer read from the last answer token), the same for every answered row of a group; NaN if unanswered."""
    labels = core.answer_labels(x.completion_ids, x.mask, x.answer_ids, x.is_positive)  # (B,)
    every = x.gather(labels)  # (N,)
    h = core.group_answer_entropy(every, x.num_generations)  # (N,)
    return h[x.local if x.local is not None else slice(None)].to(x.completion_ids.device)  # (B,)
