"""Input checks shared by the four official scorers (`hero score` and `hero eval`): rows that know where they were
read, typed fields, the one duplicate-id rule, and reading input files with errors that name them.

Every message starts with the location — ``answers.jsonl:3``, ``responses.json:5 (item 4)``,
``captions.json: imgToEval['42']`` — and says what is wrong and what was found:

    answers.jsonl:3: field 'label' must be a string ("yes"/"no"), got int 1

Rows built in memory (``hero eval``, Python callers) carry no location; the scorers then name the row by its
1-based position (``pope answers row 3``).

**The duplicate-id rule** (`reject_duplicate_ids`): within one scored set — one file, or one split of it — every
item is identified by its id (POPE ``question_id``, AMBER ``id``, CHAIR ``image_id``, THRONE image id), and an id
may appear only once; a second occurrence is an error naming both places. Files without ids (RUCAIBox POPE
answers, paired by line order) are exempt. A JSON object with the same key twice (``json.load`` silently keeps the
last) is an error too where keys are ids (CHAIR's ``imgToEval``, THRONE's evaluation files).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from hero.io import InputError, read_json, read_jsonl_located


class Located(dict):
    """A JSON object that remembers where it was read (``where``: 'file:line' or 'file:line (item i)')."""

    def __init__(self, row: dict, where: str):
        super().__init__(row)
        self.where = where


def where(row: Any, fallback: str) -> str:
    """The row's location, or `fallback` for rows built in memory."""
    return getattr(row, "where", fallback)


# ---------------------------------------------------------------------------------------------- typed fields
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "integer": ("an integer", _is_int),
    "id": ("an integer or a string", lambda v: isinstance(v, str) or _is_int(v)),
    "number": ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "list": ("a list", lambda v: isinstance(v, list)),
    "strings": ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
    "object": ("a JSON object", lambda v: isinstance(v, dict)),
}


def describe(value: Any) -> str:
    """JSON type and value, for messages: 'int 1', 'null', 'list [1, 2]', "str 'x'"."""
    if value is None:
        return "null"
    text = json.dumps(value) if isinstance(value, (bool, list, dict)) else repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def check_value(value: Any, kind: str, what: str, hint: str = "") -> Any:
    """`value` if it is of `kind` (a key of KINDS); otherwise InputError '<what> must be <kind><hint>, got ...'."""
    name, ok = KINDS[kind]
    if not ok(value):
        raise InputError(f"{what} must be {name}{hint}, got {describe(value)}")
    return value


def need(row: Any, key: str, kind: str, loc: str, hint: str = "") -> Any:
    """row[key], checked: missing field or wrong type → InputError located at `loc`."""
    if not isinstance(row, dict):
        raise InputError(f"{loc}: expected a JSON object, got {describe(row)}")
    if key not in row:
        raise InputError(f"{loc}: missing field {key!r}")
    return check_value(row[key], kind, f"{loc}: field {key!r}", hint)


# ---------------------------------------------------------------------------------------------- duplicate ids
def reject_duplicate_ids(items: Iterable[tuple[Any, str]], field: str) -> None:
    """The duplicate-id rule: (id, location) pairs of one scored set; the second occurrence of an id is an
    InputError naming both locations."""
    first: dict = {}
    for key, loc in items:
        if key in first:
            raise InputError(f"{loc}: duplicate {field} {key!r} (first at {first[key]}); an id may appear once "
                             "per file (or split) — remove or rename one of them")
        first[key] = loc


def _no_duplicate_keys(path: Path) -> Callable[[list], dict]:
    def hook(pairs: list) -> dict:
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise InputError(f"{path}: key {key!r} appears twice in one JSON object (json.load would keep "
                                 "only the last) — remove one of them")
            seen.add(key)
        return dict(pairs)

    return hook


# ---------------------------------------------------------------------------------------------- reading files
def need_input_file(path: str | os.PathLike) -> Path:
    """`path` as a Path if it is a file; InputError naming it otherwise (missing, or a folder)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {'a folder, expected a file' if p.is_dir() else 'file not found'}")
    return p


def read_json_file(path: str | os.PathLike, unique_keys: bool = False) -> Any:
    """A JSON file; `unique_keys` rejects an object with the same key twice; the object items of a top-level
    list are Located 'file:line (item i)'. Errors name the file."""
    p = need_input_file(path)
    if not unique_keys:
        data = read_json(p)
    else:
        try:
            data = json.loads(p.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys(p))
        except json.JSONDecodeError as e:
            raise InputError(f"{p}:{e.lineno}: malformed JSON ({e.msg})") from None
    if isinstance(data, list) and any(isinstance(x, dict) for x in data):
        lines = _item_lines(p.read_text(encoding="utf-8"))
        data = [Located(x, f"{p}:{n} (item {i})") if isinstance(x, dict) else x
                for i, (n, x) in enumerate(zip(lines, data), start=1)]
    return data


def read_rows(path: str | os.PathLike) -> list[Located]:
    """JSONL rows (or a JSON list of objects), each located 'file:line' (or 'file: item i')."""
    return [Located(row, loc) for loc, row in read_jsonl_located(need_input_file(path))]


_WS = re.compile(r"[ \t\n\r]*")


def _item_lines(text: str) -> list[int]:
    """1-based line of each element of a top-level JSON list (the text is known to parse)."""
    dec, lines = json.JSONDecoder(), []
    i = _WS.match(text, 0).end() + 1
    line = text.count("\n", 0, i) + 1
    while True:
        j = _WS.match(text, i).end()
        line += text.count("\n", i, j)
        if text[j] == "]":
            return lines
        lines.append(line)
        end = dec.raw_decode(text, j)[1]
        k = _WS.match(text, end).end()
        line += text.count("\n", j, k)
        i = k + 1 if text[k] == "," else k


def read_json_items(path: str | os.PathLike, what: str, unique_keys: bool = False) -> list:
    """A file holding one non-empty JSON list of objects (Located 'file:line (item i)'); `what` describes an
    item for the errors."""
    data = read_json_file(path, unique_keys)
    if not isinstance(data, list) or not data:
        raise InputError(f"{path}: expected a non-empty JSON list of {what}, got {describe(data)[:40]}")
    for i, x in enumerate(data, start=1):
        if not isinstance(x, dict):
            raise InputError(f"{path}: item {i}: expected a JSON object ({what}), got {describe(x)}")
    return data


def files_in(folder: str | os.PathLike, pattern: str) -> list[Path]:
    """The files (not folders) in `folder` matching `pattern`, sorted."""
    return sorted(p for p in Path(folder).glob(pattern) if p.is_file())


def located_list(items: Sequence, loc: Callable[[int], str]) -> list:
    """Object items of a list wrapped as Located with `loc(i)` (1-based i)."""
    return [Located(x, loc(i)) if isinstance(x, dict) else x for i, x in enumerate(items, start=1)]
