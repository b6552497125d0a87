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

from collections.abc import Callable, Sequence

from hero.official.amber_data import (  # noqa: F401  (re-exported: the data files' readers live there)
    QA_COUNTERS,
    REQUIRED_COUNTERS,
    AmberData,
    load_amber_data,
    parse_metrics_txt,
    parse_safe_words,
    relation_name,
)
from hero.official.validate import InputError, need, reject_duplicate_ids, where

EVAL_TYPES = ("a", "g", "d", "de", "da", "dr")
# annotation type -> counter prefix (anything else falls in the official `else` branch = Relation)
TYPE_PREFIX = {
    "discriminative-attribute-state": "as",
    "discriminative-attribute-number": "an",
    "discriminative-attribute-action": "aa",
    "discriminative-hallucination": "ha",
}
RELATION_PREFIX = "asso"


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


def ratio(c: dict, score: Sequence[str], num: Sequence[str], metric: str, where_: dict | None = None) -> float:
    """sum(c[score]) / sum(c[num]), summed left to right as the official code adds the counters. A zero
    denominator (a ``*_num`` that starts at 0 in metrics.txt and got no item) is an InputError naming the counter's
    metrics.txt line: the official inference.py raises ZeroDivisionError there and has no defined answer."""
    def total(keys: Sequence[str]) -> float:
        out = c[keys[0]]
        for k in keys[1:]:
            out = out + c[k]
        return out

    den = total(num)
    if den == 0:
        loc = (where_ or {}).get(num[0], "metrics.txt")
        raise InputError(f"{loc}: {metric} divides by counter {' + '.join(num)} = 0 (it starts at 0 and no item "
                         "was added); the official inference.py raises ZeroDivisionError here — start every *_num "
                         "at 0.001 as the official metrics.txt does")
    return total(score) / den


def _group(c: dict, prefixes: Sequence[str], eps: float, name: str, where_: dict | None) -> dict:
    def pc(key: str, metric: str) -> float:
        return round(ratio(c, [f"{p}{key}_score" for p in prefixes], [f"{p}{key}_num" for p in prefixes],
                           f"{name} {metric}", where_) * 100, 1)

    precision, recall = pc("qa_ans_no", "Precision"), pc("qa_no", "Recall")
    return {"Accuracy": pc("qa_correct", "Accuracy"), "Precision": precision, "Recall": recall,
            "F1": f1_from_rounded(precision, recall, eps)}


def _generative(c: dict, where_: dict | None) -> dict:
    def pc(key: str, metric: str) -> float:
        return round(ratio(c, [f"{key}_score"], [f"{key}_num"], metric, where_) * 100, 1)

    return {"CHAIR": pc("chair", "CHAIR"), "Cover": pc("safe_cover", "Cover"),
            "Hal": round(100 - ratio(c, ["non_hallu_score"], ["non_hallu_num"], "Hal", where_) * 100, 1),
            "Cog": pc("hallu_cover", "Cog")}


def summarize(counters: dict, eval_type: str = "a", where_: dict | None = None) -> dict:
    """The numbers `inference.py` prints for `eval_type`, under its printed names (+ AMBER_score).
    `where_`: counter -> 'metrics.txt:line', for the zero-denominator error (`ratio`)."""
    if eval_type not in EVAL_TYPES:
        raise ValueError(f"unknown evaluation type {eval_type!r}; choose one of {EVAL_TYPES}")
    dims = {k: eval_type == "a" or eval_type == k or (eval_type == "d" and k != "g")
            for k in ("g", "de", "da", "dr")}
    out: dict = {}
    c = counters
    if dims["g"]:
        out.update(_generative(c, where_))
    if dims["de"] and dims["da"] and dims["dr"]:
        out.update(_group(c, ("",), 0.0001, "Discriminative", where_))
    if dims["de"]:
        out["Existence"] = _group(c, ("ha_",), 0.001, "Existence", where_)
    if dims["da"]:
        out["Attribute"] = _group(c, ("as_", "an_", "aa_"), 0.0001, "Attribute", where_)
        for name, prefix in (("State", "as_"), ("Number", "an_"), ("Action", "aa_")):
            out[name] = _group(c, (prefix,), 0.0001, name, where_)
    if dims["dr"]:
        out["Relation"] = _group(c, ("asso_",), 0.0001, "Relation", where_)
    if "CHAIR" in out and "F1" in out:
        out["AMBER_score"] = round((100 - out["CHAIR"] + out["F1"]) / 2, 2)
    return out


# ---------------------------------------------------------------- files and the driver

def _check_responses(responses: Sequence[dict], n_annotations: int) -> None:
    """Every response {"id": int in 1..n, "response": str}; ids unique (the duplicate-id rule)."""
    if not isinstance(responses, list) or not responses:
        raise ValueError("responses: expected a non-empty JSON list of {'id': int, 'response': str}")
    ids = []
    for i, row in enumerate(responses, start=1):
        loc = where(row, f"responses item {i}")
        rid = need(row, "id", "integer", loc)
        if not 1 <= rid <= n_annotations:
            raise InputError(f"{loc}: id {rid} is outside the annotation range 1..{n_annotations}")
        need(row, "response", "string", loc)
        ids.append((rid, loc))
    reject_duplicate_ids(ids, "id")


def _analyse_nouns(texts: list[str], model: str | None, threshold: float, extract_nouns, similar):
    """(nouns per text, similar, tool names): the official NLTK / spaCy tools where installed, else the stand-ins
    (`amber_nlp.select_tools`), where no callable is injected."""
    names = {"tokenizer": "custom (extract_nouns)", "tagger": "custom (extract_nouns)",
             "lemmatizer": "custom (extract_nouns)", "similarity_model": "custom (similar)"}
    if extract_nouns is None or similar is None:
        from functools import partial

        from hero.official import amber_nlp

        tools = amber_nlp.select_tools(model)
        if similar is None:
            similar = amber_nlp.make_similarity(tools.similarity_model, threshold)
            names["similarity_model"] = tools.similarity_model
        if extract_nouns is None:
            extract_nouns = partial(amber_nlp.extract_nouns_batch, tools=tools)
            names.update({k: v for k, v in tools.as_dict().items() if k != "similarity_model"})
    return extract_nouns(texts), similar, names


def _score_generative(counters: dict, rid: int, nouns: list[str], ann: dict, data: AmberData, similar) -> dict:
    """Count one generative response; returns its details row."""
    hallu = ann.get("hallu", [])
    try:
        flags, safe_cover, ha_cover = generative_item(nouns, ann["truth"], hallu, data.association,
                                                      data.global_safe_words, similar)
    except ValueError as e:
        raise InputError(f"{where(ann, f'annotation of response id {rid}')}: {e} ({relation_name(data)})") from None
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
    always but prints nothing from them otherwise. `extract_nouns` / `similar` default to the official NLTK and
    spaCy tools where installed, else the stand-ins (`amber_nlp.select_tools`; the output names them under
    tokenizer, tagger, lemmatizer, similarity_model); tests inject their own.
    """
    if eval_type not in EVAL_TYPES:
        raise ValueError(f"unknown evaluation type {eval_type!r}; choose one of {EVAL_TYPES}")
    _check_responses(responses, len(data.annotations))
    kinds = [data.annotations[r["id"] - 1]["type"] for r in responses]
    gen_idx = [i for i, k in enumerate(kinds) if k == "generative"] if eval_type in ("a", "g") else []
    nouns: dict[int, list[str]] = {}
    if gen_idx:
        found, similar, tools = _analyse_nouns([responses[i]["response"] for i in gen_idx], similarity_model,
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
    out = summarize(counters, eval_type, data.metrics_where)
    out.update(type=eval_type, n_generative=len(gen_idx), n_discriminative=len(kinds) - kinds.count("generative"))
    if "AMBER_score" in out and not (out["n_generative"] and out["n_discriminative"]):
        out["AMBER_score"] = None
        out.setdefault("warnings", []).append(
            "AMBER_score is null: it needs generative and discriminative responses (with none of one kind the "
            "official counters give CHAIR or F1 = 0.0, which would make the score meaningless)")
    if gen_idx:
        out.update(tools)
    return out, details


def score_amber(responses: Sequence[dict], data: AmberData, eval_type: str = "a", **kwargs) -> dict:
    """Metrics only (see `evaluate_amber`)."""
    return evaluate_amber(responses, data, eval_type, **kwargs)[0]
