"""`hero trap --confidence semantic`: discrete semantic entropy of k sampled CoTs, clustered by NLI entailment
(Kuhn et al. 2023, "Semantic Uncertainty"; Farquhar et al. 2024, Nature, "discrete semantic entropy").

Per question, k CoTs are sampled exactly as for ``marginal`` (hero.trap.confidence: `expand` → one scorer call →
`combine`), so the row keeps the marginal answer distribution (p_yes, p_no, answer, entropy_binary / _full,
answers: accuracy stays comparable) and adds

* ``entropy_semantic`` — H = −Σ_c (n_c / k) ln(n_c / k) over the meaning clusters c of the k samples (nats;
  0 ≤ H ≤ ln k). `hero trap --entropy semantic` (the default of a semantic run) bins by it;
* ``semantic_clusters`` — the number of clusters (1 … k);
* ``semantic_cluster_ids`` — each sample's cluster (aligned with ``answers``; clusters numbered in order of
  their first sample).

What is clustered (`sample_text`): each sample's whole generated text — its reasoning with the final
"Answer: yes/no" sentence in it (the scorer's ``reasoning``), so two CoTs share a meaning only when their
reasoning and answer entail each other; the question is not prepended. A sample without text reads as
"Answer: <answer>" ("" when unparseable too).

Clustering (`cluster_by_entailment`, ENTAILMENT_RULE): greedy in sample order — sample i joins the first existing
cluster whose representative r (the cluster's first sample) it entails and is entailed by, else opens a new
cluster. "a entails b" = the NLI model's most probable label for (premise a, hypothesis b) is entailment (the
argmax rule, Farquhar et al.'s strict bidirectional variant); identical texts entail each other without asking
the model. The pairs of a batch go to the NLI model in one call (`entail(premises, hypotheses) -> bools`, built
by the CLI from hero.rewards.nli.NLIReward).

Answer-only models: their samples would be the answers themselves ("yes" / "no"), so semantic = marginal =
conditional: nothing is sampled, the rows say ``"confidence": "conditional"``, ``entropy_semantic`` is the
entropy of their yes/no answer distribution (= ``entropy_binary``) and ``semantic_clusters`` is null.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from hero.trap.confidence import answer_only, combine, sampled_scorer

EntailFn = Callable[[list[str], list[str]], Sequence[bool]]
ROW_FIELDS = ("entropy_semantic", "semantic_clusters", "semantic_cluster_ids")
ENTAILMENT_RULE = ("greedy bidirectional entailment in sample order: a sample joins the first cluster whose first "
                   "sample it entails and is entailed by (entails = the NLI model's argmax label is entailment; "
                   "identical texts entail each other), else opens a new one")


# -- pure core --------------------------------------------------------------------------------------------------
def cluster_by_entailment(entails: Sequence[Sequence[bool]]) -> list[int]:
    """Cluster ids of k samples from their (k, k) entailment matrix, entails[a][b] = "sample a entails sample b"
    (the diagonal is not read): greedy in sample order, sample i joins the first cluster whose representative r
    (its first sample) satisfies entails[i][r] and entails[r][i], else opens the next cluster id.
    E.g. 0↔1 and 0↔3 mutual, 2 alone → [0, 0, 1, 0]."""
    reps: list[int] = []
    labels = []
    for i in range(len(entails)):
        c = next((c for c, r in enumerate(reps) if entails[i][r] and entails[r][i]), None)
        if c is None:
            reps.append(i)
            c = len(reps) - 1
        labels.append(c)
    return labels


def semantic_entropy(labels: Sequence[int]) -> float:
    """Discrete semantic entropy (nats) of k cluster ids: −Σ_c (n_c / k) ln(n_c / k).
    [0, 0, 1, 0] → −(3/4 ln 3/4 + 1/4 ln 1/4) = 0.2157616 + 0.3465736 = 0.5623351."""
    if not labels:
        raise ValueError("semantic_entropy needs at least one sample")
    from hero import mathutil  # lazily: torch is not loaded before a model is

    return mathutil.count_entropy(list(Counter(labels).values()))


def entailed(probs, ent: int) -> list[bool]:
    """The argmax rule: row n entails when its most probable label is `ent`. probs (N, n_labels) → N bools.
    [[0.5, 0.3, 0.2], [0.4, 0.1, 0.5]], ent 0 → [True, False]."""
    p = np.asarray(probs, dtype=float)  # (N, L)
    return [bool(v) for v in p.argmax(-1) == ent] if p.size else []


def judged_pairs(texts: Sequence[str]) -> list[tuple[int, int]]:
    """The ordered pairs (a, b), a ≠ b, whose entailment the NLI model is asked for: those of different texts
    (identical texts entail each other). ['x', 'y', 'x'] → [(0, 1), (1, 0), (1, 2), (2, 1)]."""
    return [(a, b) for a in range(len(texts)) for b in range(len(texts)) if a != b and texts[a] != texts[b]]


def entailment_matrix(texts: Sequence[str], pairs: Sequence[tuple[int, int]], verdicts: Sequence[bool]
                      ) -> list[list[bool]]:
    """(k, k) entails[a][b]: True for identical texts (the diagonal included), else the verdict of pair (a, b)
    (pairs not judged: False)."""
    m = [[texts[a] == texts[b] for b in range(len(texts))] for a in range(len(texts))]
    for (a, b), v in zip(pairs, verdicts, strict=True):
        m[a][b] = bool(v)
    return m


def sample_text(result: dict) -> str:
    """What is clustered of one sampled result: its generated text (``reasoning``, the answer sentence in it),
    else "Answer: <answer>", else ""."""
    text = result.get("reasoning")
    if isinstance(text, str) and text.strip():
        return text.strip()
    return f"Answer: {result['answer']}" if result.get("answer") else ""


# -- the sampled scorer -----------------------------------------------------------------------------------------
def combine_semantic(batch: Sequence[dict], results: Sequence[dict], k: int, entail: EntailFn) -> list[dict]:
    """`combine`'s marginal results (k samples per question, `expand` order) with the semantic fields (ROW_FIELDS)
    added and confidence "semantic"; every question's pairs go to `entail` in one call."""
    out = combine(batch, results, k)
    texts = [[sample_text(r) for r in results[i * k:(i + 1) * k]] for i in range(len(batch))]  # (B, k)
    pairs = [judged_pairs(t) for t in texts]
    premises = [t[a] for t, ps in zip(texts, pairs) for a, _ in ps]
    hypotheses = [t[b] for t, ps in zip(texts, pairs) for _, b in ps]
    verdicts = list(entail(premises, hypotheses)) if premises else []
    if len(verdicts) != len(premises):
        raise ValueError(f"the NLI judge returned {len(verdicts)} verdicts for {len(premises)} pairs")
    pos = 0
    for row, t, ps in zip(out, texts, pairs):
        labels = cluster_by_entailment(entailment_matrix(t, ps, verdicts[pos:pos + len(ps)]))
        pos += len(ps)
        row.update(confidence="semantic", entropy_semantic=semantic_entropy(labels),
                   semantic_clusters=max(labels) + 1, semantic_cluster_ids=labels)
    return out


def answer_semantic(score_fn: Callable) -> Callable:
    """An answer-only scorer under --confidence semantic: its own (conditional) results, each with
    entropy_semantic = entropy_binary (its answers' meanings are yes / no) and semantic_clusters null."""
    def fn(batch: list[dict], degrade: str, temperature: float) -> list[dict]:
        return [{**r, "entropy_semantic": r.get("entropy_binary"), "semantic_clusters": None}
                if isinstance(r, dict) else r for r in score_fn(batch, degrade, temperature)]

    fn.settings = getattr(score_fn, "settings", None)
    return fn


def semantic_scorer(score_fn: Callable, k: int, check: Callable, entail: EntailFn | None) -> Callable:
    """`score_fn` measuring semantic entropy: k samples per question in one call (checked by `check`, the runner's
    contract check) reduced by `combine_semantic`; answer-only scorers → `answer_semantic` (no judge needed)."""
    if answer_only(score_fn):
        return answer_semantic(score_fn)
    if entail is None:
        raise ValueError("--confidence semantic needs an NLI judge (entail): pass --nli-model DIR")
    return sampled_scorer(score_fn, k, check, lambda batch, results: combine_semantic(batch, results, k, entail))
