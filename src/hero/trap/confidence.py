"""Where `hero trap` measures confidence (`--confidence`): the kinds, the marginal answer distribution over k sampled
CoTs (pure), and the score_fn wrapper that draws the k samples through any `hero trap` scorer.

* ``conditional`` (default): the answer distribution at the answer position after the model's own CoT (CoT
  models), or of the first token (answer models) — the scorer's p_yes / p_no / entropies as they are.
* ``marginal``: for CoT models, k CoTs are sampled per question at the run's temperature T and each sampled CoT's
  answer is read; the confidence is the distribution of those k answers (`marginal_from_answers`). For answer-only
  models it equals ``conditional`` — their answer token's distribution already is the distribution of the answer —
  so they are scored as conditional and their rows say so.
* ``semantic``: the same k sampled CoTs, reduced as for marginal (p_yes / p_no / answer), plus the discrete
  semantic entropy of the k CoTs clustered by NLI bidirectional entailment (hero.trap.semantic; `--nli-model`).

Sample j (0 ≤ j < k) of question q is requested from the scorer as id ``"<q>#<j>"``: the k samples of a batch go
in one scorer call (question-major: q#0 … q#k−1, then the next question), and their seeds, derived from the ids
(hero.seeding.derive_seed), differ from sample to sample and repeat on a rerun.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

CONFIDENCE_KINDS = ("conditional", "marginal", "semantic")
NOT_BUILT: tuple[str, ...] = ()
SAMPLED = ("marginal", "semantic")  # the kinds that sample k CoTs per question
SEMANTIC_CLUSTERING = ("the k sampled CoTs (whole text, answer sentence included) clustered by greedy "
                       "bidirectional NLI entailment (argmax label = entailment); entropy_semantic = "
                       "−Σ_c (n_c/k) ln(n_c/k) over the clusters, in nats (≤ ln k)")
TIE_RULE = "ties go to the answer of the earliest sample among the tied answers (sample 0 first)"


def marginal_from_answers(answers: Sequence[str | None]) -> dict:
    """The marginal answer distribution of k sampled answers ("yes" / "no"; None or "" = unparseable).

    p_yes = #yes / #parseable and p_no = #no / #parseable (exact shares, no smoothing; unparseable answers count as
    neither); entropy_binary = H(p_yes) in nats (hero.mathutil.binary_entropy); entropy_full = entropy of the
    shares of all k samples over {yes, no, unparseable}; answer = the majority of the parseable answers (TIE_RULE).
    All k unparseable → answer "", parse_status "unparseable", p_yes = p_no = 0, entropy_binary = ln 2 (no evidence
    either way: never in a confident bin), entropy_full = 0 (every sample gave the same non-answer).
    Returns {answer, parse_status, p_yes, p_no, entropy_binary, entropy_full, counts: {yes, no, unparseable}}.
    """
    import torch  # lazily: `hero trap`'s options load this module before any model

    from hero import mathutil

    if not answers:
        raise ValueError("marginal_from_answers needs at least one sampled answer")
    bad = [a for a in answers if a not in ("yes", "no", "", None)]
    if bad:
        raise ValueError(f"sampled answers must be 'yes', 'no', '' or None, got {bad[0]!r}")
    n_yes, n_no = answers.count("yes"), answers.count("no")
    counts = {"yes": n_yes, "no": n_no, "unparseable": len(answers) - n_yes - n_no}
    h_full = mathutil.count_entropy(list(counts.values()))
    if n_yes + n_no == 0:
        return {"answer": "", "parse_status": "unparseable", "p_yes": 0.0, "p_no": 0.0,
                "entropy_binary": math.log(2), "entropy_full": h_full, "counts": counts}
    p_yes = n_yes / (n_yes + n_no)
    h_bin = float(mathutil.binary_entropy(torch.tensor(p_yes, dtype=torch.float64)))
    return {"answer": majority(answers), "parse_status": "ok", "p_yes": p_yes, "p_no": n_no / (n_yes + n_no),
            "entropy_binary": h_bin, "entropy_full": h_full, "counts": counts}


def majority(answers: Sequence[str | None]) -> str:
    """The most frequent of "yes" / "no" among `answers`; a tie goes to the tied answer that came first (TIE_RULE);
    "" when none is parseable. ['no', 'yes'] → 'no'; [None, 'yes', 'no', 'no'] → 'no'."""
    n_yes, n_no = answers.count("yes"), answers.count("no")
    if n_yes != n_no:
        return "yes" if n_yes > n_no else "no"
    return next((a for a in answers if a in ("yes", "no")), "")


def sample_id(qid, j: int) -> str:
    """The scorer id of sample j of question `qid`: '<qid>#<j>'."""
    return f"{qid}#{j}"


def expand(batch: Sequence[dict], k: int) -> list[dict]:
    """Each question k times, question-major, with ids '<id>#0' … '<id>#<k−1>' (everything else unchanged)."""
    return [{**q, "id": sample_id(q["id"], j)} for q in batch for j in range(k)]


def combine(batch: Sequence[dict], results: Sequence[dict], k: int) -> list[dict]:
    """The k results per question (in `expand` order) → one scorer result per question, in batch order: the
    marginal distribution (`marginal_from_answers`), the k answers (null = unparseable), and as reasoning the CoT
    of the earliest sample that gave the reported answer (sample 0's when none did)."""
    out = []
    for i, q in enumerate(batch):
        group = results[i * k:(i + 1) * k]  # (k,) this question's samples
        answers = [r["answer"] or None for r in group]
        m = marginal_from_answers(answers)
        shown = next((r for r in group if r["answer"] and r["answer"] == m["answer"]), group[0])
        out.append({"id": q["id"], "answer": m["answer"], "p_yes": m["p_yes"], "p_no": m["p_no"],
                    "entropy_binary": m["entropy_binary"], "entropy_full": m["entropy_full"],
                    "reasoning": shown.get("reasoning"), "parse_status": m["parse_status"],
                    "confidence": "marginal", "answers": answers})
    return out


def answer_only(score_fn) -> bool:
    """Whether the scorer reads the answer from the first generated token (settings mode 'answer')."""
    return (getattr(score_fn, "settings", None) or {}).get("mode") == "answer"


def confidence_scorer(score_fn: Callable, kind: str, k: int, check: Callable) -> Callable:
    """`score_fn` measuring confidence `kind`: itself for 'conditional' and for answer-only scorers; for
    'marginal' a wrapper that scores k samples per question in one call (`expand`), checks them with
    `check(batch, results, spec, T)` (the runner's contract check) and returns `combine`'s results."""
    if kind == "semantic":
        raise ValueError("confidence 'semantic' needs the NLI judge: use hero.trap.semantic.semantic_scorer")
    if kind not in CONFIDENCE_KINDS:
        raise ValueError(f"unknown confidence kind {kind!r}; use one of {', '.join(CONFIDENCE_KINDS)}")
    if kind == "conditional" or answer_only(score_fn):
        return score_fn
    return sampled_scorer(score_fn, k, check, lambda batch, results: combine(batch, results, k))


def sampled_scorer(score_fn: Callable, k: int, check: Callable, reduce: Callable) -> Callable:
    """A score_fn that scores k samples per question in one call (`expand`), checks them with
    `check(batch, results, spec, T)` and returns `reduce(batch, results)` (one result per question)."""
    def sampled_fn(batch: list[dict], degrade: str, temperature: float) -> list[dict]:
        wide = expand(batch, k)
        results = score_fn(wide, degrade, temperature)
        check(wide, results, degrade, temperature)
        return reduce(batch, results)

    sampled_fn.settings = getattr(score_fn, "settings", None)
    return sampled_fn


def identity(kind: str, k: int, nli: dict | None = None) -> dict:
    """The run-identity record of a confidence setting (manifest.json "confidence"): {"kind"} for conditional,
    {"kind", "samples"} for marginal, {"kind", "samples", **nli} for semantic (nli = the NLI model's
    {"nli_model": path, "nli_fingerprint": ...}). Manifests written before --confidence existed read as
    conditional."""
    if kind == "conditional":
        return {"kind": kind}
    return {"kind": kind, "samples": int(k), **(dict(nli or {}) if kind == "semantic" else {})}


def check_setting(kind: str, k: int, nli_model: str, entropy: str | None) -> None:
    """Validate --confidence / --confidence-samples / --nli-model / --entropy together; ValueError saying how to
    fix."""
    if kind not in CONFIDENCE_KINDS:
        built = "is not built yet" if kind in NOT_BUILT else "is unknown"
        raise ValueError(f"--confidence {kind!r} {built}; use {', '.join(CONFIDENCE_KINDS)}")
    if k < 2:
        raise ValueError(f"--confidence-samples {k}: {'semantic' if kind == 'semantic' else 'marginal'} confidence "
                         "needs ≥ 2 sampled CoTs per question (default 8)")
    if kind == "semantic" and not str(nli_model or "").strip():
        raise ValueError("--confidence semantic needs --nli-model DIR: an NLI classifier folder (Hugging Face "
                         "sequence classification with 'entailment' / 'contradiction' labels, e.g. one trained by "
                         "`hero train nli`)")
    if kind != "semantic" and str(nli_model or "").strip():
        raise ValueError("--nli-model is only read by --confidence semantic: add --confidence semantic or drop "
                         "--nli-model")
    if entropy == "semantic" and kind != "semantic":
        raise ValueError("--entropy semantic needs --confidence semantic (only its rows have entropy_semantic); use "
                         "--entropy binary or full")


def summary_record(kind: str, k: int, rows: Sequence[dict]) -> dict:
    """summary.json "confidence": the kind asked for, k (null for conditional), how many rows each kind measured
    (rows without the field are conditional), the tie rule and (semantic) the clustering rule in words and, when
    marginal or semantic was asked of an answer-only model, why its rows are conditional."""
    measured: dict[str, int] = {}
    for r in rows:
        c = r.get("confidence", "conditional")
        measured[c] = measured.get(c, 0) + 1
    sampled = kind in SAMPLED
    rec = {"kind": kind, "samples": int(k) if sampled else None, "measured": measured,
           "tie_rule": TIE_RULE if sampled else None, "note": None,
           "clustering": SEMANTIC_CLUSTERING if kind == "semantic" else None}
    if sampled and measured.get("conditional"):
        rec["note"] = ("answer-only model: its first answer token's distribution already is the marginal answer "
                       "distribution, so marginal = conditional (no CoTs sampled)")
        if kind == "semantic":
            rec["note"] += ("; its samples would be the answers themselves, so semantic = marginal: "
                            "entropy_semantic = entropy_binary (meanings yes / no), semantic_clusters null")
    return rec
