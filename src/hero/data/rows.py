"""Training data from files (`hero train ... --data FILE|DIR --images DIR`, `hero data check`): the one loader that
SFT, GRPO / HERO and DPO share.

Accepted: a JSONL file, a file holding one JSON list, or a folder written by `datasets.Dataset.save_to_disk`. A row:

    {"id": "img1#0", "image": "img1.jpg", "question": "Is there a dog in the image?", "answer": "yes",
     "reference": "A dog sleeps on a sofa."}

* `image` — a path under --images (or a list of paths); an absolute path or a '..' climb is refused unless
  --allow-outside-images (hero.io.ImageFolder);
* `question` — the user's text, or `messages`: a chat [{"role": "user", "content": ...}, {"role": "assistant",
  ...}] (content a string or a list of {"type": "text", "text": ...} parts); the user turns' text is the question,
  the assistant's text fills `answer` when it is a bare yes/no and `reference` otherwise (unless they are given);
* `answer` — "yes" / "no" (any case): the exact reward's label and the SFT target;
* `reference` — text: the NLI reward's premise and the SFT target of an open question (a row with no answer);
* `id` — optional (default: the row's location); ids must be unique.
A row needs `answer` or `reference`. Other fields are kept as they are (ignored by training).

`load_rows` validates every row before anything else happens; errors (hero.io.InputError) name the file, the line
(JSONL), item (JSON list) or row (datasets folder) and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hero.io import ImageFolder, InputError, read_jsonl_located

ANSWERS = ("yes", "no")


@dataclass
class DataRow:
    """One validated training row."""

    where: str
    """Its location: 'file:line', 'file: item i' or 'folder: row i'."""
    id: str
    images: list[str]
    """The `image` field as a list (one path for a single image)."""
    image_paths: list[str]
    """The images' paths (--images / image)."""
    question: str
    answer: str | None
    """'yes', 'no', or None (an open question)."""
    reference: str | None
    extra: dict = field(default_factory=dict)
    """The row's other fields."""


# ---------------------------------------------------------------------------------------------- reading
def read_records(path: str | Path) -> list[tuple[str, dict]]:
    """(location, record) pairs of a data file or `save_to_disk` folder; InputError naming the path otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: data file not found (--data)")
    if path.is_dir():
        return _read_saved_dataset(path)
    return read_jsonl_located(path)


def _read_saved_dataset(path: Path) -> list[tuple[str, dict]]:
    if not (path / "dataset_info.json").is_file() and not (path / "state.json").is_file():
        raise InputError(f"{path}: is a folder but not a dataset saved with `datasets` save_to_disk (no "
                         "state.json / dataset_info.json); pass a JSONL file, a JSON list or such a folder (--data)")
    try:
        import datasets
    except ImportError:
        raise InputError(f"{path}: a save_to_disk folder needs the `datasets` package (pip install datasets); or "
                         "write the rows as JSONL") from None
    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as e:  # noqa: BLE001 - datasets raises many types for a bad folder
        raise InputError(f"{path}: could not load the saved dataset ({type(e).__name__}: "
                         f"{str(e).splitlines()[0][:160] if str(e) else ''}) (--data)") from None
    if isinstance(ds, datasets.DatasetDict):
        if "train" not in ds:
            raise InputError(f"{path}: a DatasetDict without a 'train' split (splits: {sorted(ds)}); save one "
                             "split or name it 'train'")
        ds = ds["train"]
    return [(f"{path}: row {i}", dict(r)) for i, r in enumerate(ds, start=1)]


# ---------------------------------------------------------------------------------------------- fields
def _text_of(content, where: str, fld: str) -> str:
    """A chat message's content as text: a string, or the "text" of its {"type": "text"} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text").strip()
    raise InputError(f"{where}: field {fld!r}: a message's content must be a string or a list of "
                     "{'type': 'text', 'text': ...} parts")


def _from_messages(row: dict, where: str) -> tuple[str, str | None]:
    """(question, assistant text or None) of a `messages` field."""
    msgs = row["messages"]
    if not isinstance(msgs, list) or not all(isinstance(m, dict) and "role" in m for m in msgs):
        raise InputError(f"{where}: field 'messages' must be a list of {{'role': ..., 'content': ...}} turns")
    user = [_text_of(m.get("content"), where, "messages") for m in msgs if m["role"] == "user"]
    said = [_text_of(m.get("content"), where, "messages") for m in msgs if m["role"] == "assistant"]
    if not any(u.strip() for u in user):
        raise InputError(f"{where}: field 'messages' has no user turn with text (the question)")
    return " ".join(u.strip() for u in user if u.strip()), (said[-1].strip() if said else None)


def _question(row: dict, where: str) -> tuple[str, str | None]:
    if row.get("question") is not None:
        if not isinstance(row["question"], str) or not row["question"].strip():
            raise InputError(f"{where}: field 'question' must be non-empty text")
        return row["question"].strip(), None
    if row.get("messages") is not None:
        return _from_messages(row, where)
    raise InputError(f"{where}: missing field 'question' (or a chat 'messages' list)")


def _answer(row: dict, where: str, said: str | None) -> str | None:
    value = row.get("answer")
    if value is None:
        bare = (said or "").strip().rstrip(".!").lower()
        return bare if bare in ANSWERS else None
    norm = value.strip().lower() if isinstance(value, str) else None
    if norm not in ANSWERS:
        shown = repr(value) if isinstance(value, str) and len(value) <= 20 else type(value).__name__
        raise InputError(f"{where}: field 'answer' must be 'yes' or 'no', got {shown}")
    return norm


def _reference(row: dict, where: str, said: str | None, answer: str | None) -> str | None:
    value = row.get("reference")
    if value is None:
        return said if said and (answer is None or said.rstrip(".!").lower() not in ANSWERS) else None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: field 'reference' must be non-empty text")
    return value.strip()


def _images(row: dict, where: str) -> list[str]:
    value = row.get("image")
    if value is None:
        raise InputError(f"{where}: missing field 'image' (a path under --images, or a list of paths)")
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise InputError(f"{where}: field 'image' must be a path (text) or a non-empty list of paths")
    return [v.strip() for v in items]


def parse_row(where: str, row: dict, images: ImageFolder) -> DataRow:
    """One validated row (see the module docstring); InputError naming `where` and the field otherwise."""
    names = _images(row, where)
    paths = [str(images.file(n, where, "image")) for n in names]
    question, said = _question(row, where)
    answer = _answer(row, where, said)
    reference = _reference(row, where, said, answer)
    if answer is None and reference is None:
        raise InputError(f"{where}: the row has neither 'answer' (yes/no) nor 'reference' (text); give at least one")
    rid = row.get("id", where)
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise InputError(f"{where}: field 'id' must be text or an integer")
    known = ("image", "question", "messages", "answer", "reference", "id")
    return DataRow(where, str(rid), names, paths, question, answer, reference,
                   {k: v for k, v in row.items() if k not in known})


# ---------------------------------------------------------------------------------------------- the whole file
def load_rows(path: str | Path, images: ImageFolder | str | Path) -> list[DataRow]:
    """Every row of a data file, validated (fields, unique ids, image paths inside --images); images are not
    opened here (`check_images`). InputError for the first bad row, or for a file with no row."""
    images = images if isinstance(images, ImageFolder) else ImageFolder(images)
    if not Path(images.path).is_dir():
        raise InputError(f"{images.path}: image folder not found ({images.flag})")
    rows, seen = [], {}
    for where, record in read_records(path):
        row = parse_row(where, record, images)
        if row.id in seen:
            raise InputError(f"{where}: id {row.id!r} repeats {seen[row.id]}; ids must be unique")
        seen[row.id] = where
        rows.append(row)
    if not rows:
        raise InputError(f"{path}: no rows in the data file (--data)")
    return rows


def image_problem(path: str) -> str | None:
    """None if `path` is an image PIL can open, else why not ('missing', 'not an image (...)')."""
    from PIL import Image, UnidentifiedImageError

    if not Path(path).is_file():
        return "missing"
    try:
        with Image.open(path) as im:
            im.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as e:
        return f"not an image PIL can open ({type(e).__name__})"
    return None


def image_status(rows: Sequence[DataRow]) -> dict[str, str | None]:
    """{image path: problem or None} over every image the rows name (each opened once)."""
    out: dict[str, str | None] = {}
    for row in rows:
        for p in row.image_paths:
            if p not in out:
                out[p] = image_problem(p)
    return out


def check_images(rows: Sequence[DataRow], images: ImageFolder) -> None:
    """InputError naming the first row whose image is missing or will not open."""
    status = image_status(rows)
    for row in rows:
        for name, p in zip(row.images, row.image_paths):
            if status[p]:
                raise InputError(f"{row.where}: field 'image' of row {row.id!r}: {status[p]} under {images.path} "
                                 f"({images.flag}); fix the path or add the file")
