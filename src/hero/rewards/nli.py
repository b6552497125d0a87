"""NLI reward: each claim of a completion is scored by an NLI classifier against the reference premise;
r = mean over claims of p(entailment) − p(contradiction), in [−1, 1].

Claims are the sentences of the completion (split on . ! ? ; and newlines) minus the final "Answer: ..." marker.
A completion with no claim scores 0 and is counted (`no_claims`, logged as `nli_no_claim_frac`).
"""

from __future__ import annotations

import re

import torch

from hero.rewards.checks import completion_text

_SENTENCE_END = re.compile(r"[.!?;\n]+")
_ANSWER_MARKER = re.compile(r"^\s*(so\s+)?(the\s+)?answer\b", re.IGNORECASE)


def split_claims(text: str) -> list[str]:
    """Sentences of `text` that carry a claim: stripped, non-empty, not the final answer marker."""
    parts = (p.strip() for p in _SENTENCE_END.split(text))
    return [p for p in parts if p and re.search(r"\w", p) and not _ANSWER_MARKER.match(p)]


def label_indices(id2label: dict) -> tuple[int, int]:
    """(entailment index, contradiction index) from a classifier's id2label; ValueError listing it otherwise."""
    ent = [int(i) for i, name in id2label.items() if str(name).lower().startswith("entail")]
    con = [int(i) for i, name in id2label.items() if str(name).lower().startswith("contradict")]
    if len(ent) != 1 or len(con) != 1:
        raise ValueError(
            f"cannot map the NLI model's labels to entailment/contradiction: id2label = {dict(id2label)}. Use an NLI "
            "classifier whose config names one label 'entailment' and one 'contradiction' (set config.id2label)."
        )
    return ent[0], con[0]


def claim_scores(probs: torch.Tensor, ent: int, con: int) -> torch.Tensor:
    """p(entail) − p(contradict) per claim: probs (K, n_labels) → (K,)."""
    return probs[:, ent] - probs[:, con]


def mean_per_completion(scores: torch.Tensor, owner: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean of claim scores (K,) per completion given owner (K,) indices in [0, n) → (n,) means (0 where a completion
    has no claim) and (n,) claim counts."""
    total = torch.zeros(n, dtype=scores.dtype).index_add_(0, owner, scores)  # (n,)
    count = torch.zeros(n, dtype=scores.dtype).index_add_(0, owner, torch.ones_like(scores))  # (n,)
    return torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total)), count


class NLIReward:
    """TRL reward function scoring completions with an `AutoModelForSequenceClassification` NLI model."""

    low, high = -1.0, 1.0

    def __init__(self, model, tokenizer, premise_column: str = "reference", batch_size: int = 64,
                 max_length: int = 256):
        self.ent, self.con = label_indices(model.config.id2label)
        self.model, self.tokenizer = model.eval(), tokenizer
        self.premise_column, self.batch_size, self.max_length = premise_column, batch_size, max_length
        self.no_claims = 0
        self.__name__ = "nli"

    @classmethod
    def from_pretrained(cls, path: str, **kwargs) -> "NLIReward":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from hero.model.load import load_error

        try:
            model, tok = AutoModelForSequenceClassification.from_pretrained(path), AutoTokenizer.from_pretrained(path)
        except Exception as e:  # noqa: BLE001 - transformers / safetensors raise many types for a bad folder
            raise load_error(path, e, "NLI model") from None
        return cls(model, tok, **kwargs)

    @torch.no_grad()
    def probabilities(self, premises: list[str], claims: list[str]) -> torch.Tensor:
        """Softmax over the NLI labels for each (premise, claim) pair → (K, n_labels)."""
        out = []
        device = next(self.model.parameters()).device
        for s in range(0, len(claims), self.batch_size):
            enc = self.tokenizer(premises[s : s + self.batch_size], claims[s : s + self.batch_size], padding=True,
                                 truncation=True, max_length=self.max_length, return_tensors="pt").to(device)
            out.append(torch.softmax(self.model(**enc).logits.float(), dim=-1).cpu())
        return torch.cat(out) if out else torch.zeros(0, len(self.model.config.id2label))

    def __call__(self, prompts, completions, log_metric=None, **kwargs):
        if self.premise_column not in kwargs:
            raise ValueError(f"NLIReward needs the dataset column {self.premise_column!r} (the reference premise)")
        premises, claims, owner = [], [], []
        for i, (completion, premise) in enumerate(zip(completions, kwargs[self.premise_column], strict=True)):
            for claim in split_claims(completion_text(completion)):
                premises.append(str(premise))
                claims.append(claim)
                owner.append(i)
        scores = claim_scores(self.probabilities(premises, claims), self.ent, self.con)  # (K,)
        means, count = mean_per_completion(scores, torch.tensor(owner, dtype=torch.long), len(completions))
        missing = int((count == 0).sum())
        self.no_claims += missing
        if log_metric is not None and len(completions):
            log_metric("nli_no_claim_frac", missing / len(completions))
        return means.tolist()
