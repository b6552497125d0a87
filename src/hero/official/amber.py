"""AMBER scoring, identical to the official ``inference.py`` (junyangwang0410/AMBER) except for its NLP tools.

Spec: ``../shared/benchmarks/specs/amber.md``. Counters start from ``metrics.txt`` (every ``*_num`` = 0.001) and
are incremented item by item in response order, exactly as the official loop does, so the printed numbers
carry its ε's: 2/3 prints as 66.6 (2/3.001), 1/1 as 99.9, 0/0 as 0.0. Every printed value is
``round(x * 100, 1)``; F1 is computed from the *rounded* P and R with ε = 0.0001 (0.001 for Existence).

Discriminative answers are compared to ``"Yes"``/``"No"`` exactly (no strip, no lower-casing). The generative
part (CHAIR, Cover, Hal, Cog) needs noun extraction and word similarity: see `hero.official.amber_nlp` for the
offline stand-ins and every deviation they bring. ``AMBER_score = (100 - CHAIR + F1) / 2`` (the paper's score,
not printed by ``inference.py``) uses the printed CHAIR and overall discriminative F1.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass

EVAL_TYPES = ("a", "g", "d", "de", "da", "dr")
# annotation type -> counter prefix (anything else falls in the official `else` branch = Relation)
TYPE_PREFIX = {
    "discriminative-attribute-state": "as",
    "discriminative-attribute-number": "an",
    "discriminative-attribute-action": "aa",
    "discriminative-hallucination": "ha",
}
RELATION_PREFIX = "asso"


@dataclass
class AmberData:
    """The official data files, parsed. `annotations[k - 1]` is the entry for response id k."""

    annotations: list[dict]
    association: dict[str, list[str]]
    global_safe_words: list[str]
    metrics_init: dict[str, float]

    @property
    def hallucination_words(self) -> set[str]:
        """Keys and values of relation.json (the official list; a set gives the same membership test)."""
        words = set(self.association)
        for values in self.association.values():
            words.update(values)
        return words


def parse_metrics_txt(text: str, where: str = "metrics.txt") -> dict[str, float]:
    """Counter initial values: lines ``name=value``; lines without exactly one '=' are skipped (as officially).

    The official code ``eval``s the value; this reads Python literals only (``ast.literal_eval``).
    """
    out: dict[str, float] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        parts = line.strip().split("=")
        if len(parts) != 2:
            continue
        try:
            out[parts[0].strip()] = ast.literal_eval(parts[1].strip())
        except (ValueError, SyntaxError):
            raise ValueError(f"{where}:{lineno}: value {parts[1].strip()!r} is not a number") from None
    return out


def parse_safe_words(text: str) -> list[str]:
    """One word per line (the official ``line.split('\\n')[0]``: no strip)."""
    return [line.split("\n")[0] for line in text.splitlines(keepends=True)]


# ---------------------------------------------------------------- discriminative counters


def add_discriminative(counters: dict, kind: str, truth, response) -> bool:
    """Update the official counters for one discriminative item; returns whether it was answered correctly."""
    p = TYPE_PREFIX.get(kind, RELATION_PREFIX)
    correct = False
    counters["qa_correct_num"] += 1
    counters[f"{p}_qa_correct_num"] += 1
    if truth == "yes":
        if response == "Yes":
            correct = True
            counters["qa_correct_score"] += 1
            counters[f"{p}_qa_correct_score"] += 1
    else:
        counters["qa_no_num"] += 1
        counters[f"{p}_qa_no_num"] += 1
        if response == "No":
            correct = True
            for key in ("qa_correct_score", "qa_no_score", f"{p}_qa_correct_score", f"{p}_qa_no_score"):
                counters[key] += 1
    if response == "No":
        counters["qa_ans_no_num"] += 1
        counters[f"{p}_qa_ans_no_num"] += 1
        if truth == "no":
            counters["qa_ans_no_score"] += 1
            counters[f"{p}_qa_ans_no_score"] += 1
    return correct


# ---------------------------------------------------------------- generative item


def _slot(j: int, n_assoc: int, sources: list[int]) -> int:
    """Coverage slot marked by a match at position j of [association words..., annotated words...]."""
    return sources[j] if j < n_assoc else j - n_assoc


def _expand(words: Sequence[str], association: dict[str, list[str]]) -> tuple[list[str], list[int]]:
    """(association words of every word followed by the words, source index of each association word)."""
    expanded, sources = [], []
    for idx, word in enumerate(words):
        if word not in association:
            raise ValueError(f"annotation word {word!r} is not a key of relation.json")
        expanded += association[word]
        sources += [idx] * len(association[word])
    return expanded + list(words), sources


def _first(words: list[str], pred: Callable[[str], bool]) -> int | None:
    return next((j for j, w in enumerate(words) if pred(w)), None)


def generative_item(nouns: Sequence[str], truth: Sequence[str], hallu: Sequence[str],
                    association: dict[str, list[str]], global_safe_words: Sequence[str],
                    similar: Callable[[str, str], bool]) -> tuple[list[int], list[int], list[int]]:
    """(hallucination flag per noun, truth coverage per truth word, hallu coverage per hallu word).

    `nouns` are already filtered to the hallucination vocabulary. Per noun: a global safe word is skipped;
    an exact truth match covers the first matching truth slot and ends; an exact hallu match covers the first
    matching hallu slot, then (not instead) the first hallu word with similar() covers its slot; the first truth
    word with similar() covers its slot and ends; otherwise the noun is a hallucination (flag 1).
    """
    safe_words, safe_src = _expand(truth, association)
    ha_words, ha_src = _expand(hallu, association)
    n_safe_assoc, n_ha_assoc = len(safe_src), len(ha_src)
    safe_cover, ha_cover = [0] * len(truth), [0] * len(hallu)
    flags = [0] * len(nouns)
    for idx, noun in enumerate(nouns):
        if noun in global_safe_words:
            continue
        j = _first(safe_words, lambda w: w == noun)
        if j is not None:
            safe_cover[_slot(j, n_safe_assoc, safe_src)] = 1
            continue
        j = _first(ha_words, lambda w: w == noun)
        if j is not None:
            ha_cover[_slot(j, n_ha_assoc, ha_src)] = 1
        j = _first(ha_words, lambda w: similar(noun, w))
        if j is not None:
            ha_cover[_slot(j, n_ha_assoc, ha_src)] = 1
        j = _first(safe_words, lambda w: similar(noun, w))
        if j is not None:
            safe_cover[_slot(j, n_safe_assoc, safe_src)] = 1
            continue
        flags[idx] = 1
    return flags, safe_cover, ha_cover


def add_generative(counters: dict, flags: list[int], safe_cover: list[int], ha_cover: list[int]) -> None:
    """Update the official generative counters for one response."""
    counters["chair_score"] += sum(flags)
    counters["chair_num"] += len(flags)
    counters["safe_cover_score"] += sum(safe_cover)
    counters["safe_cover_num"] += len(safe_cover)
    counters["hallu_cover_score"] += sum(ha_cover)
    counters["hallu_cover_num"] += len(ha_cover)
    if sum(flags) == 0:
        counters["non_hallu_score"] += 1
    counters["non_hallu_num"] += 1


# ---------------------------------------------------------------- printed numbers


def pct(score: float, num: float) -> float:
    """``round(score / num * 100, 1)`` — e.g. pct(2, 3.001) = 66.6."""
    return round(score / num * 100, 1)


def f1_from_rounded(precision: float, recall: float, eps: float = 0.0001) -> float:
    """The official F1 from already rounded percentages: round(2pr / (p + r + eps) * 100, 1), p = P/100."""
    p, r = precision / 100, recall / 100
    return round(2 * p * r / (p + r + eps) * 100, 1)


def _group(c: dict, prefixes: Sequence[str], eps: float) -> dict:
    def total(suffix: str) -> float:
        out = c[f"{prefixes[0]}{suffix}"]
        for p in prefixes[1:]:
            out = out + c[f"{p}{suffix}"]
        return out

    acc = round(total("qa_correct_score") / total("qa_correct_num") * 100, 1)
    precision = round(total("qa_ans_no_score") / total("qa_ans_no_num") * 100, 1)
    recall = round(total("qa_no_score") / total("qa_no_num") * 100, 1)
    return {"Accuracy": acc, "Precision": precision, "Recall": recall,
            "F1": f1_from_rounded(precision, recall, eps)}


def summarize(counters: dict, eval_type: str = "a") -> dict:
    """The numbers `inference.py` prints for `eval_type`, under its printed names (+ AMBER_score)."""
    if eval_type not in EVAL_TYPES:
        raise ValueError(f"unknown evaluation type {eval_type!r}; choose one of {EVAL_TYPES}")
    dims = {k: eval_type == "a" or eval_type == k or (eval_type == "d" and k != "g")
            for k in ("g", "de", "da", "dr")}
    out: dict = {}
    c = counters
    if dims["g"]:
        out["CHAIR"] = pct(c["chair_score"], c["chair_num"])
        out["Cover"] = pct(c["safe_cover_score"], c["safe_cover_num"])
        out["Hal"] = round(100 - c["non_hallu_score"] / c["non_hallu_num"] * 100, 1)
        out["Cog"] = pct(c["hallu_cover_score"], c["hallu_cover_num"])
    if dims["de"] and dims["da"] and dims["dr"]:
        out.update(_group(c, ("",), 0.0001))
    if dims["de"]:
        out["Existence"] = _group(c, ("ha_",), 0.001)
    if dims["da"]:
        out["Attribute"] = _group(c, ("as_", "an_", "aa_"), 0.0001)
        out["State"] = _group(c, ("as_",), 0.0001)
        out["Number"] = _group(c, ("an_",), 0.0001)
        out["Action"] = _group(c, ("aa_",), 0.0001)
    if dims["dr"]:
        out["Relation"] = _group(c, ("asso_",), 0.0001)
    if "CHAIR" in out and "F1" in out:
        out["AMBER_score"] = round((100 - out["CHAIR"] + out["F1"]) / 2, 2)
    return out


# ---------------------------------------------------------------- files and the driver

REQUIRED_COUNTERS = ("chair_score", "chair_num", "safe_cover_score", "safe_cover_num", "hallu_cover_score",
                     "hallu_cover_num", "non_hallu_score", "non_hallu_num")


def load_amber_data(annotations, relation, safe_words, metrics) -> AmberData:
    """Read the four official data files (paths); errors name the file and what is wrong."""
    from pathlib import Path

    from hero.io import InputError, read_json

    ann = read_json(annotations)
    if not isinstance(ann, list) or not all(isinstance(a, dict) and "type" in a and "truth" in a for a in ann):
        raise InputError(f"{annotations}: expected a JSON list of {{'id', 'type', 'truth', ...}} objects")
    assoc = read_json(relation)
    if not isinstance(assoc, dict) or not all(isinstance(v, list) for v in assoc.values()):
        raise InputError(f"{relation}: expected a JSON object word -> list of associated words")
    for path in (safe_words, metrics):
        if not Path(path).exists():
            raise InputError(f"{path}: file not found")
    counters = parse_metrics_txt(Path(metrics).read_text(encoding="utf-8"), str(metrics))
    base = [k for k in REQUIRED_COUNTERS] + [f"{p}qa_{s}_{n}" for p in ("", "as_", "an_", "aa_", "ha_", "asso_")
                                             for s in ("correct", "no", "ans_no") for n in ("score", "num")]
    missing = [k for k in base if k not in counters]
    if missing:
        raise InputError(f"{metrics}: missing counter(s) {missing[:6]}{' ...' if len(missing) > 6 else ''}")
    return AmberData(ann, assoc, parse_safe_words(Path(safe_words).read_text(encoding="utf-8")), counters)


def _check_responses(responses: Sequence[dict], n_annotations: int) -> None:
    if not isinstance(responses, list) or not responses:
        raise ValueError("responses: expected a non-empty JSON list of {'id': int, 'response': str}")
    for i, row in enumerate(responses, start=1):
        if not isinstance(row, dict) or "id" not in row or "response" not in row:
            raise ValueError(f"responses item {i}: expected an object with 'id' and 'response'")
        rid = row["id"]
        if not isinstance(rid, int) or isinstance(rid, bool):
            raise ValueError(f"responses item {i}: id {rid!r} is not an integer")
        if not 1 <= rid <= n_annotations:
            raise ValueError(f"responses item {i}: id {rid} is outside the annotation range 1..{n_annotations}")


def _analyse_nouns(texts: list[str], model: str | None, threshold: float, extract_nouns, similar):
    """(nouns per text, similar) with the spaCy stand-ins (`amber_nlp`) where no callable is injected."""
    if extract_nouns is None or similar is None:
        from hero.official import amber_nlp
        from hero.official.text import DEFAULT_SPACY_MODEL

        similar = similar or amber_nlp.make_similarity(model or DEFAULT_SPACY_MODEL, threshold)
        extract_nouns = extract_nouns or amber_nlp.extract_nouns_batch
    return extract_nouns(texts), similar


def _score_generative(counters: dict, rid: int, nouns: list[str], ann: dict, data: AmberData, similar) -> dict:
    """Count one generative response; returns its details row."""
    hallu = ann.get("hallu", [])
    try:
        flags, safe_cover, ha_cover = generative_item(nouns, ann["truth"], hallu, data.association,
                                                      data.global_safe_words, similar)
    except ValueError as e:
        raise ValueError(f"annotation of response id {rid}: {e}") from None
    add_generative(counters, flags, safe_cover, ha_cover)
    return {"id": rid, "type": "generative", "nouns": nouns,
            "hallucinated": [n for n, f in zip(nouns, flags) if f],
            "covered_truth": [w for w, c in zip(ann["truth"], safe_cover) if c],
            "covered_hallu": [w for w, c in zip(hallu, ha_cover) if c]}


def evaluate_amber(responses: Sequence[dict], data: AmberData, eval_type: str = "a",
                   similarity_model: str | None = None, similarity_threshold: float = 0.8,
                   extract_nouns: Callable[[list[str]], list[list[str]]] | None = None,
                   similar: Callable[[str, str], bool] | None = None) -> tuple[dict, list[dict]]:
    """Score AMBER responses ([{"id", "response"}], any subset, any order); returns (metrics, details).

    Generative items are only analysed when `eval_type` prints them (a, g): the official script counts them
    always but prints nothing from them otherwise. `extract_nouns` / `similar` default to the spaCy stand-ins
    (`amber_nlp`); tests inject their own.
    """
    if eval_type not in EVAL_TYPES:
        raise ValueError(f"unknown evaluation type {eval_type!r}; choose one of {EVAL_TYPES}")
    _check_responses(responses, len(data.annotations))
    kinds = [data.annotations[r["id"] - 1]["type"] for r in responses]
    gen_idx = [i for i, k in enumerate(kinds) if k == "generative"] if eval_type in ("a", "g") else []
    for i in gen_idx:
        if not isinstance(responses[i]["response"], str):
            raise ValueError(f"generative response id {responses[i]['id']}: 'response' must be a string")
    nouns: dict[int, list[str]] = {}
    if gen_idx:
        found, similar = _analyse_nouns([responses[i]["response"] for i in gen_idx], similarity_model,
                                        similarity_threshold, extract_nouns, similar)
        vocab = data.hallucination_words
        nouns = {i: [n for n in ns if n in vocab] for i, ns in zip(gen_idx, found)}
    counters, details = dict(data.metrics_init), []
    for i, (r, kind) in enumerate(zip(responses, kinds)):
        ann = data.annotations[r["id"] - 1]
        if kind != "generative":
            correct = add_discriminative(counters, kind, ann["truth"], r["response"])
            details.append({"id": r["id"], "type": kind, "truth": ann["truth"], "response": r["response"],
                            "correct": correct})
        elif i in nouns:
            details.append(_score_generative(counters, r["id"], nouns[i], ann, data, similar))
    out = summarize(counters, eval_type)
    out.update(type=eval_type, n_generative=len(gen_idx), n_discriminative=len(kinds) - kinds.count("generative"))
    if gen_idx:
        out["similarity_model"] = similarity_model or "en_core_web_md"
    return out, details


def score_amber(responses: Sequence[dict], data: AmberData, eval_type: str = "a", **kwargs) -> dict:
    """Metrics only (see `evaluate_amber`)."""
    return evaluate_amber(responses, data, eval_type, **kwargs)[0]
