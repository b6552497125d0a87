"""POPE scoring, identical to the official scripts (RUCAIBox/POPE `evaluate.py`, LLaVA `eval_pope.py`).

Spec: `../shared/benchmarks/specs/pope.md`. Two answer parsers:

* ``official`` (default) — the rule shared by RUCAIBox and LLaVA: keep the text before the first ``.``, drop
  commas, split on single spaces; the answer is "no" iff one of the tokens is exactly ``No``, ``not`` or ``no``,
  otherwise "yes". So ``"NO"``, ``"Nope"``, ``""`` and ``"3.5 no"`` count as **yes**, ``"Yes, but it is not
  clear"`` counts as **no**. Labels: ``"no"`` -> 0, anything else -> 1. ``yes_ratio`` = predicted yes / answers.
* ``strict`` — lmms-eval's task: ``pred = answer.lower().strip()`` compared for equality with the label; an answer
  that is neither "yes" nor "no" is wrong for accuracy and drops out of precision/recall; ``yes_ratio`` is, as in
  lmms-eval, the share of **ground-truth** "yes" labels.

Deviation (the only one): where the official script raises ZeroDivisionError (no "yes" predicted, no "yes"
label, or P + R = 0) the value is reported as 0.0 and a ``warnings`` entry says why.
"""

from __future__ import annotations

from collections.abc import Sequence

from hero.official.validate import InputError, need, reject_duplicate_ids, where

PARSERS = ("official", "strict")
METRIC_KEYS = ("accuracy", "precision", "recall", "f1", "yes_ratio")


def parse_official(answer: str) -> int:
    """1 (yes) / 0 (no) by the official first-sentence token rule.

    >>> parse_official("Yes, but it is not clear"), parse_official("NO"), parse_official("")
    (0, 1, 1)
    """
    text = answer
    if "." in text:
        text = text.split(".")[0]
    words = text.replace(",", "").split(" ")
    return 0 if ("No" in words or "not" in words or "no" in words) else 1


def parse_strict(answer: str) -> str:
    """lmms-eval's normalisation: lower-case and strip; anything else is compared as is."""
    return answer.lower().strip()


def label_to_int(label: str) -> int:
    """Official label rule: exactly ``"no"`` -> 0, anything else -> 1."""
    return 0 if label == "no" else 1


def confusion(preds: Sequence[int], labels: Sequence[int]) -> tuple[int, int, int, int]:
    """(TP, FP, TN, FN) over paired 0/1 predictions and labels (positive class = yes = 1)."""
    tp = sum(1 for p, y in zip(preds, labels) if p == 1 and y == 1)
    fp = sum(1 for p, y in zip(preds, labels) if p == 1 and y == 0)
    tn = sum(1 for p, y in zip(preds, labels) if p == 0 and y == 0)
    fn = sum(1 for p, y in zip(preds, labels) if p == 0 and y == 1)
    return tp, fp, tn, fn


def _safe_div(num: float, den: float, what: str, warnings: list[str]) -> float:
    """num / den, or 0.0 plus a warning where the official script would raise ZeroDivisionError."""
    if den == 0:
        warnings.append(f"{what}: zero denominator (the official script raises ZeroDivisionError); reported 0.0")
        return 0.0
    return num / den


def official_metrics(answers: Sequence[str], labels: Sequence[str]) -> tuple[dict, list[int]]:
    """Metrics exactly as `evaluate.py` prints them, from equally long answer and label lists.

    Returns (metrics, predictions). Worked example: answers ["Yes", "No", "yes."], labels ["yes", "no", "no"]
    -> preds [1, 0, 1]; TP=1 FP=1 TN=1 FN=0; acc 2/3, P 1/2, R 1/1, F1 = 2*0.5*1/1.5 = 2/3, yes_ratio 2/3.
    """
    preds = [parse_official(a) for a in answers]
    ys = [label_to_int(y) for y in labels]
    tp, fp, tn, fn = confusion(preds, ys)
    warnings: list[str] = []
    precision = _safe_div(float(tp), float(tp + fp), "precision (no 'yes' predicted)", warnings)
    recall = _safe_div(float(tp), float(tp + fn), "recall (no 'yes' label)", warnings)
    f1 = _safe_div(2 * precision * recall, precision + recall, "f1 (precision + recall = 0)", warnings)
    metrics = {
        "accuracy": (tp + tn) / (tp + tn + fp + fn),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "yes_ratio": preds.count(1) / len(preds),
        "n": len(preds),
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
    }
    if warnings:
        metrics["warnings"] = warnings
    return metrics, preds


def strict_metrics(answers: Sequence[str], labels: Sequence[str]) -> tuple[dict, list[str]]:
    """lmms-eval's POPE aggregates (zero denominators give 0, as lmms-eval does; a warning is added).

    Worked example: answers ["Yes", "no ", "Yes."], labels ["yes", "no", "no"] -> preds ["yes", "no", "yes."];
    accuracy 2/3; TP=1 FP=0 (only "yes" counts) -> P 1.0; FN=0 -> R 1.0; F1 1.0; yes_ratio = 1/3 (labels).
    """
    preds = [parse_strict(a) for a in answers]
    gts = [y.lower().strip() for y in labels]
    tp = sum(1 for p, g in zip(preds, gts) if g == "yes" and p == "yes")
    fp = sum(1 for p, g in zip(preds, gts) if g == "no" and p == "yes")
    fn = sum(1 for p, g in zip(preds, gts) if g == "yes" and p == "no")
    tn = sum(1 for p, g in zip(preds, gts) if g == "no" and p == "no")
    warnings: list[str] = []
    precision = _safe_div(tp, tp + fp, "precision (no exact 'yes' predicted)", warnings)
    recall = _safe_div(tp, tp + fn, "recall (no exact yes/no answer on a 'yes' label)", warnings)
    f1 = _safe_div(2 * (precision * recall), precision + recall, "f1 (precision + recall = 0)", warnings)
    n_yes, n_no = gts.count("yes"), gts.count("no")
    metrics = {
        "accuracy": sum(1.0 if p == g else 0.0 for p, g in zip(preds, gts)) / len(preds),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "yes_ratio": n_yes / (n_yes + n_no) if (n_yes + n_no) > 0 else 0,
        "n": len(preds),
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
    }
    if warnings:
        metrics["warnings"] = [w.replace("the official script raises ZeroDivisionError", "lmms-eval returns 0")
                               for w in warnings]
    return metrics, preds


# ---------------------------------------------------------------- pairing answers with labels

ANSWER_FORMATS = ("auto", "rucaibox", "llava")
PAIRINGS = ("auto", "order", "id")


def detect_format(answers: Sequence[dict]) -> str:
    """'rucaibox' ({"question", "answer"}) or 'llava' ({"question_id", "text"}), from the first row."""
    if not answers:
        raise ValueError("the answer file is empty")
    row = answers[0]
    if not isinstance(row, dict):
        raise InputError(f"{where(row, 'answers row 1')}: expected a JSON object")
    if "answer" in row and "text" not in row:
        return "rucaibox"
    if "text" in row and "question_id" in row and "answer" not in row:
        return "llava"
    raise InputError(
        f"{where(row, 'answers row 1')}: cannot tell the answer format from the first row (keys {sorted(row)}): "
        "expected RUCAIBox {'question', 'answer'} or LLaVA {'question_id', 'text'}; pass --format rucaibox|llava")


def _loc(rows: Sequence[dict], what: str) -> list[str]:
    """Each row's location: its file:line, else '<what> row i'."""
    return [where(row, f"{what} row {i}") for i, row in enumerate(rows, start=1)]


def _answer_texts(answers: Sequence[dict], key: str, where_: str) -> list[str]:
    return [need(row, key, "string", loc) for row, loc in zip(answers, _loc(answers, f"{where_} answers"))]


def _label_texts(labels: Sequence[dict], where_: str) -> list[str]:
    return [need(row, "label", "string", loc, ' ("yes"/"no")')
            for row, loc in zip(labels, _loc(labels, f"{where_} labels"))]


def _question_ids(rows: Sequence[dict], what: str, required: bool) -> list:
    """The rows' question_ids (None where absent and not `required`), typed and unique (the duplicate-id rule)."""
    ids = [need(row, "question_id", "id", loc) if required or "question_id" in row else None
           for row, loc in zip(rows, _loc(rows, what))]
    reject_duplicate_ids(((q, loc) for q, loc in zip(ids, _loc(rows, what)) if q is not None), "question_id")
    return ids


def _show_ids(ids: list) -> str:
    head = ", ".join(repr(i) for i in ids[:20])
    return head + (f" ... ({len(ids)} in all)" if len(ids) > 20 else "")


def pair_by_order(labels: Sequence[dict], answers: Sequence[dict], key: str, where: str) -> list[tuple]:
    """Pair the i-th answer with the i-th label (the official `zip`); counts must agree."""
    if len(labels) != len(answers):
        raise ValueError(f"{where}: {len(answers)} answers but {len(labels)} labels; answers are paired with "
                         "labels by line order, so the counts must be equal")
    texts = _answer_texts(answers, key, where)
    gts = _label_texts(labels, where)
    ids = _question_ids(labels, f"{where} labels", required=False)
    _question_ids(answers, f"{where} answers", required=False)
    return [(i if q is None else q, t, g) for i, (q, t, g) in enumerate(zip(ids, texts, gts), start=1)]


def pair_by_id(labels: Sequence[dict], answers: Sequence[dict], where: str) -> tuple[list[tuple], list[str]]:
    """Join LLaVA answers to labels on question_id (answer-file order). Returns (pairs, warnings)."""
    by_id = dict(zip(_question_ids(labels, f"{where} labels", required=True), _label_texts(labels, where)))
    texts = _answer_texts(answers, "text", where)
    seen, missing, pairs = set(), [], []
    for qid, text in zip(_question_ids(answers, f"{where} answers", required=True), texts):
        seen.add(qid)
        if qid not in by_id:
            missing.append(qid)
            continue
        pairs.append((qid, text, by_id[qid]))
    if missing:
        raise ValueError(f"{where}: {len(missing)} answer question_id(s) not in the labels: {_show_ids(missing)}")
    warnings = []
    if len(by_id) > len(seen):
        warnings.append(f"{where}: {len(by_id) - len(seen)} labels have no answer and are not scored")
    return pairs, warnings


def pair_answers(labels: Sequence[dict], answers: Sequence[dict], fmt: str = "auto", pairing: str = "auto",
                 where: str = "pope") -> tuple[list[tuple], list[str]]:
    """(question_id, answer text, label) triples; RUCAIBox pairs by line order, LLaVA by question_id."""
    if fmt not in ANSWER_FORMATS:
        raise ValueError(f"unknown answer format {fmt!r}; choose one of {ANSWER_FORMATS}")
    if pairing not in PAIRINGS:
        raise ValueError(f"unknown pairing {pairing!r}; choose one of {PAIRINGS}")
    if not answers:
        raise ValueError(f"{where}: no answers to score")
    fmt = detect_format(answers) if fmt == "auto" else fmt
    key = "answer" if fmt == "rucaibox" else "text"
    if pairing == "auto":
        pairing = "order" if fmt == "rucaibox" else "id"
    if pairing == "order":
        return pair_by_order(labels, answers, key, where), []
    if fmt == "rucaibox":
        raise ValueError("RUCAIBox answers carry no question_id; they can only be paired by line order")
    return pair_by_id(labels, answers, where)


# ---------------------------------------------------------------- scoring entry points


def _score_pairs(pairs: list[tuple], parse: str) -> tuple[dict, list[dict]]:
    answers = [t for _, t, _ in pairs]
    gts = [g for _, _, g in pairs]
    if parse == "official":
        metrics, preds = official_metrics(answers, gts)
        details = [{"question_id": q, "answer": a, "label": g, "pred": "yes" if p else "no",
                    "correct": p == label_to_int(g)} for (q, a, g), p in zip(pairs, preds)]
    else:
        metrics, preds = strict_metrics(answers, gts)
        details = [{"question_id": q, "answer": a, "label": g, "pred": p, "correct": p == g.lower().strip()}
                   for (q, a, g), p in zip(pairs, preds)]
    return metrics, details


def _check_strict_labels(labels) -> None:
    """--parse strict: every label must be yes/no after lower().strip() (lmms-eval asserts it)."""
    for rows in (labels.values() if isinstance(labels, dict) else [labels]):
        for g, loc in zip(_label_texts(rows, "pope"), _loc(rows, "pope labels")):
            if g.lower().strip() not in ("yes", "no"):
                raise InputError(f"{loc}: label {g!r}: --parse strict needs labels 'yes'/'no' (lmms-eval asserts "
                                 "it); use --parse official")


def _mean(per_split: dict[str, dict]) -> dict:
    n = len(per_split)
    return {k: sum(m[k] for m in per_split.values()) / n for k in METRIC_KEYS}


def _split_answers(answers: Sequence[dict], field: str) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row, loc in zip(answers, _loc(answers, "answers")):
        groups.setdefault(need(row, field, "string", loc), []).append(row)
    return groups


def _split_labels(labels, field: str) -> dict[str, list[dict]]:
    if isinstance(labels, dict):
        return {str(k): list(v) for k, v in labels.items()}
    groups: dict[str, list[dict]] = {}
    for row, loc in zip(labels, _loc(labels, "labels")):
        if isinstance(row, dict) and field not in row:
            raise InputError(f"{loc}: missing split field {field!r}; give one labels file per split instead "
                             "(e.g. coco_pope_random.json, coco_pope_popular.json ...)")
        groups.setdefault(need(row, field, "string", loc), []).append(row)
    return groups


def evaluate_pope(labels, answers: Sequence[dict], parse: str = "official", fmt: str = "auto",
                  pairing: str = "auto", split_field: str | None = None) -> tuple[dict, list[dict]]:
    """Score POPE answers; returns (metrics, per-item details).

    `labels`: label rows ({"question_id", "label", ...}), or — with `split_field` — a dict split name -> rows
    (or rows that carry the split field themselves). Without `split_field` the keys are accuracy, precision,
    recall, f1, yes_ratio, n, parse (+ warnings); with it they sit under ``splits[<name>]`` and ``mean`` holds
    the unweighted mean of the five metrics over the splits.
    """
    if parse not in PARSERS:
        raise ValueError(f"unknown parse mode {parse!r}; choose one of {PARSERS}")
    if parse == "strict":
        _check_strict_labels(labels)
    if split_field is None:
        if isinstance(labels, dict):
            raise ValueError("several label sets were given: pass split_field (--split-field category)")
        pairs, warns = pair_answers(labels, answers, fmt, pairing)
        metrics, details = _score_pairs(pairs, parse)
        metrics["parse"] = parse
        if warns:
            metrics["warnings"] = warns + metrics.get("warnings", [])
        return metrics, details
    answer_groups = _split_answers(answers, split_field)
    label_groups = _split_labels(labels, split_field)
    unknown = sorted(set(answer_groups) - set(label_groups))
    if unknown:
        raise ValueError(f"answers have {split_field}={unknown} but no labels were given for them "
                         f"(labels cover {sorted(label_groups)})")
    splits, details = {}, []
    for name, rows in answer_groups.items():
        pairs, warns = pair_answers(label_groups[name], rows, fmt, pairing, where=f"split {name!r}")
        m, d = _score_pairs(pairs, parse)
        if warns:
            m["warnings"] = warns + m.get("warnings", [])
        splits[name] = m
        details += [{"split": name, **row} for row in d]
    out = {"parse": parse, "split_field": split_field, "splits": splits, "mean": _mean(splits),
           "n": sum(m["n"] for m in splits.values())}
    return out, details


def score_pope(labels, answers: Sequence[dict], parse: str = "official", fmt: str = "auto",
               pairing: str = "auto", split_field: str | None = None) -> dict:
    """Metrics only (see `evaluate_pope`)."""
    return evaluate_pope(labels, answers, parse, fmt, pairing, split_field)[0]


def split_name_from_path(path: str) -> str:
    """Split name of a label file: 'coco_pope_random.json' -> 'random' (LLaVA's ``file[10:-5]`` rule
    generalised to '<dataset>_pope_<split>.json'); other names give their stem."""
    import os

    stem = os.path.basename(path)
    stem = stem[:-5] if stem.endswith(".json") else stem.rsplit(".", 1)[0]
    return stem.rsplit("_pope_", 1)[1] if "_pope_" in stem else stem


def read_label_sets(labels, split_field: str | None):
    """`hero score pope --labels`: one label file → its rows; several (or NAME=PATH) → {split name: rows}.
    Rows are located (file:line) for error messages."""
    from hero.official.validate import read_rows

    named, rows = [], {}
    for spec in labels:
        name, _, path = spec.rpartition("=") if "=" in spec else ("", "", spec)
        named.append((name or split_name_from_path(path), path))
        rows[path] = read_rows(path)
        if not rows[path]:
            raise InputError(f"{path}: no labels (the file is empty) (--labels)")
    if len(named) == 1 and "=" not in labels[0]:
        return rows[named[0][1]]
    if split_field is None:
        raise ValueError("several label files need --split-field (e.g. --split-field category): answers are "
                         "scored per split against the label file of their split")
    sets: dict = {}
    for name, path in named:
        if name in sets:
            raise ValueError(f"two label files for split {name!r}; name them NAME=PATH")
        sets[name] = rows[path]
    return sets
