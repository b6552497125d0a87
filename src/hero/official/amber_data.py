"""AMBER's four official data files (``data/annotations.json``, ``relation.json``, ``safe_words.txt``,
``metrics.txt``), read and checked: every field the scorer reads has the type the official ``inference.py``
expects, and errors name the file, line (or item) and field.

Spec: ``../shared/benchmarks/specs/amber.md``. Checks beyond the official code (which would crash or silently
mis-score): an annotation's ``id``, when present, must equal its position (the code reads ``annotations[id - 1]``);
discriminative ``truth`` is a string, generative ``truth``/``hallu`` are lists of strings; relation.json maps words
to lists of strings; metrics.txt values are numbers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from hero.official.validate import (InputError, check_value, describe, need, need_input_file, read_json_file,
                                   read_json_items, where)

REQUIRED_COUNTERS = ("chair_score", "chair_num", "safe_cover_score", "safe_cover_num", "hallu_cover_score",
                     "hallu_cover_num", "non_hallu_score", "non_hallu_num")
QA_COUNTERS = tuple(f"{p}qa_{s}_{n}" for p in ("", "as_", "an_", "aa_", "ha_", "asso_")
                    for s in ("correct", "no", "ans_no") for n in ("score", "num"))


@dataclass
class AmberData:
    """The official data files, parsed. `annotations[k - 1]` is the entry for response id k."""

    annotations: list[dict]
    association: dict[str, list[str]]
    global_safe_words: list[str]
    metrics_init: dict[str, float]
    metrics_where: dict[str, str] = field(default_factory=dict)
    """counter -> 'metrics.txt:line' (for errors about a counter)."""
    files: dict[str, str] = field(default_factory=dict)
    """'annotations' / 'relation' / ... -> the path read (for errors)."""

    @property
    def hallucination_words(self) -> set[str]:
        """Keys and values of relation.json (the official list; a set gives the same membership test)."""
        words = set(self.association)
        for values in self.association.values():
            words.update(values)
        return words


def _metric_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, name, value text) of the lines with exactly one '=' (others are skipped, as officially)."""
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        parts = line.strip().split("=")
        if len(parts) == 2:
            out.append((lineno, parts[0].strip(), parts[1].strip()))
    return out


def parse_metrics_txt(text: str, where: str = "metrics.txt") -> dict[str, float]:
    """Counter initial values: lines ``name=value``; lines without exactly one '=' are skipped (as officially).

    The official code ``eval``s the value; this reads Python literals only (``ast.literal_eval``) and requires
    a number.
    """
    out: dict[str, float] = {}
    for lineno, name, value in _metric_lines(text):
        try:
            number = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise InputError(f"{where}:{lineno}: value {value!r} is not a number") from None
        out[name] = check_value(number, "number", f"{where}:{lineno}: counter {name!r}")
    return out


def parse_safe_words(text: str) -> list[str]:
    """One word per line (the official ``line.split('\\n')[0]``: no strip)."""
    return [line.split("\n")[0] for line in text.splitlines(keepends=True)]


def check_annotation(entry, position: int, loc: str) -> None:
    """One annotations.json entry: typed fields, and its id (if any) equal to its 1-based position."""
    kind = need(entry, "type", "string", loc)
    if "id" in entry and need(entry, "id", "integer", loc) != position:
        raise InputError(f"{loc}: id {entry['id']} at position {position}: the entry for id k must be the k-th "
                         "(inference.py reads annotations[id - 1]); keep the file in id order")
    if kind == "generative":
        need(entry, "truth", "strings", loc)
        need(entry, "hallu", "strings", loc)
    else:
        need(entry, "truth", "string", loc, ' ("yes"/"no")')


def read_annotations(path) -> list[dict]:
    """annotations.json, every entry checked (`check_annotation`); entries are located 'file:line (item k)'."""
    ann = read_json_items(path, "{'id', 'type', 'truth', ...} objects")
    for k, entry in enumerate(ann, start=1):
        check_annotation(entry, k, where(entry, f"{path}: item {k}"))
    return ann


def read_relation(path) -> dict[str, list[str]]:
    """relation.json: word -> list of associated words."""
    assoc = read_json_file(path)
    if not isinstance(assoc, dict):
        raise InputError(f"{path}: expected a JSON object word -> list of associated words, got {describe(assoc)}")
    for word, values in assoc.items():
        check_value(values, "strings", f"{path}: word {word!r}: field 'associations'")
    return assoc


def read_metrics(path) -> tuple[dict[str, float], dict[str, str]]:
    """metrics.txt: (counter -> initial value, counter -> 'file:line'); every counter the scorer uses is required."""
    text = need_input_file(path).read_text(encoding="utf-8")
    counters = parse_metrics_txt(text, str(path))
    lines = {name: f"{path}:{lineno}" for lineno, name, _ in _metric_lines(text)}
    missing = [k for k in REQUIRED_COUNTERS + QA_COUNTERS if k not in counters]
    if missing:
        raise InputError(f"{path}: missing counter(s) {missing[:6]}{' ...' if len(missing) > 6 else ''} "
                         "(the official metrics.txt lists them all, *_score = 0 and *_num = 0.001)")
    return counters, lines


def load_amber_data(annotations, relation, safe_words, metrics) -> AmberData:
    """Read the four official data files (paths); errors name the file, line and field."""
    ann = read_annotations(annotations)
    assoc = read_relation(relation)
    safe = parse_safe_words(need_input_file(safe_words).read_text(encoding="utf-8"))
    counters, lines = read_metrics(metrics)
    files = {"annotations": str(annotations), "relation": str(relation), "safe_words": str(safe_words),
             "metrics": str(metrics)}
    return AmberData(ann, assoc, safe, counters, lines, files)


def relation_name(data: AmberData) -> str:
    """relation.json's path for messages."""
    return data.files.get("relation", "relation.json")
