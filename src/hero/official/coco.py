"""COCO annotation files as CHAIR and THRONE read them, checked field by field (errors name file, item, field).

* instances (``instances_*.json``): ``categories`` = list of ``{"id": int, "name": str}`` (ids unique) and
  ``annotations`` = list of ``{"image_id": int, "category_id": int}`` with every category id among the categories;
* captions (``captions_*.json``): ``annotations`` = list of ``{"image_id": int, "caption": str}``.

Other keys (``images``, ``bbox``, ...) are not read and not checked. The check is a fast type test per item with
the located message built only for the first bad one, so COCO train2014 (600 000 annotations) takes well under a
second.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from hero.official.validate import InputError, Located, describe, need, read_json_file, reject_duplicate_ids

_PY = {"integer": int, "string": str}


def _check_items(items: Sequence, fields: dict[str, str], where: str) -> None:
    """Every item a dict whose `fields` have the given kinds ('integer' / 'string'); InputError at the first
    bad one, named '<where> item i'."""
    exact = {k: _PY[kind] for k, kind in fields.items()}
    for i, item in enumerate(items, start=1):
        if type(item) is dict and all(type(item.get(k)) is t for k, t in exact.items()):
            continue
        for key, kind in fields.items():
            need(item, key, kind, f"{where} item {i}")


def _list_field(coco, key: str, path) -> list:
    if not isinstance(coco, dict):
        raise InputError(f"{path}: expected a COCO-format JSON object, got {describe(coco)[:40]}")
    return need(coco, key, "list", str(path))


def check_instances(coco, path) -> None:
    """A COCO instances file: typed categories (unique ids) and annotations whose category ids exist."""
    cats = _list_field(coco, "categories", path)
    _check_items(cats, {"id": "integer", "name": "string"}, f"{path}: categories")
    reject_duplicate_ids(((c["id"], f"{path}: categories item {i}") for i, c in enumerate(cats, start=1)),
                         "category id")
    anns = _list_field(coco, "annotations", path)
    _check_items(anns, {"image_id": "integer", "category_id": "integer"}, f"{path}: annotations")
    known = {c["id"] for c in cats}
    for i, a in enumerate(anns, start=1):
        if a["category_id"] not in known:
            raise InputError(f"{path}: annotations item {i}: category_id {a['category_id']} is not one of the "
                             "file's categories")


def check_captions(coco, path) -> None:
    """A COCO captions file: annotations with an integer image_id and a string caption."""
    _check_items(_list_field(coco, "annotations", path), {"image_id": "integer", "caption": "string"},
                 f"{path}: annotations")


def read_instances(path: str | os.PathLike) -> Located:
    """A checked instances file; the object is Located at its path (for later messages)."""
    coco = read_json_file(path)
    check_instances(coco, path)
    return Located(coco, str(path))


def read_captions(path: str | os.PathLike) -> Located:
    """A checked captions file, Located at its path."""
    coco = read_json_file(path)
    check_captions(coco, path)
    return Located(coco, str(path))
