"""Per-completion entropy from a no-grad policy pass through TRL's fused LM head.

TRL 1.16 patches the policy's forward so that `model(..., labels=..., fused_lm_head=True)` returns per-token
log-probs and entropies without materialising the (B, L, V) logits. The mean token entropy comes straight from
that. The binary answer entropy needs the logits of the K answer tokens ("yes", " yes", "no", ...): a forward hook
on the backbone projects its last hidden state on those K rows of the LM head only — (B, C, K), cheap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F

from hero.rl import core


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
                f"entropy_source='answer' needs the answer word {word!r} to be a single token, but the tokenizer "
                f"splits it into {tokenizer.tokenize(word)!r}. Set answer_words to words that are single tokens, or "
                "use entropy_source='mean'."
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


def row_entropy(
    source: str,
    completion_ids: torch.Tensor,
    mask: torch.Tensor,
    token_entropies: torch.Tensor | None,
    answer_logits: torch.Tensor | None,
    answer_ids: torch.Tensor | None,
    is_positive: torch.Tensor | None,
) -> torch.Tensor:
    """H (B,) per completion: "mean" → mean token entropy over mask (B, C); "answer" → binary entropy at the last
    answer token (NaN where there is none)."""
    if source == "mean":
        return core.mean_token_entropy(token_entropies.float(), mask)  # (B,)
    positions = core.answer_positions(completion_ids, mask, answer_ids)  # (B,)
    return core.answer_entropy(answer_logits, positions, is_positive.to(answer_logits.device))  # (B,)
