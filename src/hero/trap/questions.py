"""POPE-format question loading for `hero trap`, with located errors and missing-image detection.

A question line is ``{"question_id": int|str, "image": "<file>", "text": "Is there a ...?", "label": "yes"|"no"}``
(aliases accepted: "id" for question_id, "question" for text, "answer" for label; "category" is kept if present).
The file is JSONL (the official POPE ``.json`` files are JSONL too) or a single JSON list.
"""

from __future__ import annotations

from pathlib import Path

from hero.io import ImageFolder, InputError, read_jsonl_located

ALIASES = {"id": ("question_id", "id"), "image": ("image",), "text": ("text", "question"), "label": ("label", "answer")}


def _numbered_rows(path: Path) -> list[tuple[str, dict]]:
    """(location, row) pairs: 'file:line' for JSONL, 'file: item i' for a JSON list. Malformed JSON → InputError."""
    return read_jsonl_located(path)


def _field(where: str, row: dict, name: str):
    for key in ALIASES[name]:
        if row.get(key) is not None:
            return row[key]
    raise InputError(f"{where}: missing field {ALIASES[name][0]!r} (POPE lines need question_id, image, text, label)")


def parse_question(where: str, row: dict, images: ImageFolder) -> dict:
    """One validated question: {id, image, image_path, text, label, [category]}; bad label → InputError with the id,
    an image outside the folder → InputError (`ImageFolder.file`)."""
    qid = _field(where, row, "id")
    label = _field(where, row, "label")
    norm = str(label).strip().lower()
    if norm not in ("yes", "no"):
        raise InputError(f"{where}: question {qid!r} has label {label!r}; labels must be 'yes' or 'no'")
    q = {"id": qid, "image": str(_field(where, row, "image")), "text": str(_field(where, row, "text")),
         "label": norm}
    q["image_path"] = str(images.file(q["image"], where, "image"))
    if row.get("category") is not None:
        q["category"] = row["category"]
    return q


def load_questions(path: str | Path, images: ImageFolder | str | Path) -> tuple[list[dict], list[dict]]:
    """Read and validate a POPE question file → (questions whose image exists, questions whose image is missing).

    Errors (InputError) name the file and line: malformed JSON, a missing field, a label other than yes/no (with the
    question id), a repeated question id (both lines), an image outside the image folder (unless allowed). Missing
    images are not errors: they are returned apart. A plain path is an ImageFolder named by --images.
    """
    path = Path(path)
    images = images if isinstance(images, ImageFolder) else ImageFolder(images)
    if not path.is_file():
        what = "is a folder, but a question file is expected" if path.is_dir() else "question file not found"
        raise InputError(f"{path}: {what} (--questions)")
    if not Path(images.path).is_dir():
        raise InputError(f"{images.path}: image folder not found ({images.flag})")
    seen: dict[str, str] = {}
    ok, missing = [], []
    for where, row in _numbered_rows(path):
        q = parse_question(where, row, images)
        key = str(q["id"])
        if key in seen:
            raise InputError(f"{where}: question id {q['id']!r} repeats {seen[key]}; ids must be unique")
        seen[key] = where
        (ok if Path(q["image_path"]).is_file() else missing).append(q)
    if not seen:
        raise InputError(f"{path}: no questions in the file")
    return ok, missing
