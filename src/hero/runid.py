"""The identity of a training folder (`hero train sft|grpo|hero|dpo|nli --out OUT`): OUT/run.json.

    {"schema": "hero.train/1", "method": "grpo", "model": "/abs/sft", "model_fingerprint": "…",
     "data": "/abs/world", "data_fingerprint": "…", "config": {…}, "trainer": {…}}

`config` holds the run's settings that define it; budget-like fields (max_steps, the time budget, resume, threads,
progress, checkpoint cadence) are left out, so a resumed run may change them. A folder holding another run's
identity is refused with the first key that differs, before any model loads; so is a folder holding a model or
checkpoints but no run.json (written by something else, or by a hero from before run identities). A run whose
identity matches continues with --resume; without --resume it starts over in the same folder, as before (its
earlier checkpoints stay until the trainer rotates them). The folder is locked (`hero.io.RunLock`) while the run
trains; a folder this call created is removed again if the run fails before leaving anything to resume.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from hero.io import InputError, RunLock, read_json, removed_on_failure, sha256_file, write_json_atomic

SCHEMA = "hero.train/1"
FILE = "run.json"
WORK = ("checkpoints", "config.json", "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
        "adapter")
"""Entries that mark a folder as holding a model or checkpoints (a run's work)."""
ABSENT = "(absent)"


def first_difference(old: dict, new: dict, prefix: str = "") -> tuple[str, object, object] | None:
    """(dotted key, old value, new value) of the first difference between two identity mappings, nested mappings
    compared key by key (new's keys first, then keys only old has); ABSENT stands for a missing key. None if equal.
    first_difference({"a": 1, "c": {"x": 1}}, {"a": 1, "c": {"x": 2}}) = ("c.x", 1, 2);
    first_difference({"a": 1}, {"a": 1, "b": 0}) = ("b", "(absent)", 0)."""
    for key in list(new) + [k for k in old if k not in new]:
        a, b = old.get(key, ABSENT), new.get(key, ABSENT)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = first_difference(a, b, f"{prefix}{key}.")
            if inner:
                return inner
        elif a != b:
            return f"{prefix}{key}", a, b
    return None


def identity(method: str, model, data, data_file, config: dict, trainer: dict | None = None,
             fingerprint: str | None = None) -> dict:
    """The identity mapping of a run: method, start model (absolute path + cheap fingerprint; None for a model
    built from scratch), data source (absolute path + fingerprint of `data_file`, or the given `fingerprint`) and
    the defining settings."""
    from hero.trap.runfolder import model_fingerprint

    return json.loads(json.dumps({  # as it reads back from run.json (tuples → lists)
        "schema": SCHEMA, "method": method, "model": str(Path(model).resolve()) if model else None,
        "model_fingerprint": model_fingerprint(model) if model else None, "data": str(Path(data).resolve()),
        "data_fingerprint": fingerprint or sha256_file(data_file), "config": config, "trainer": trainer or {}}))


def check_identity(out: str | Path, new: dict) -> None:
    """Refuse a folder that belongs to another run (see the module docstring); InputError saying what differs."""
    out = Path(out)
    path = out / FILE
    fix = f"use a new --out folder, or delete {out} to start over"
    if not path.is_file():
        held = [n for n in WORK if (out / n).exists()]
        if held:
            raise InputError(f"{out} holds {held[0]} but no {FILE} (not written by this kind of hero run); {fix}")
        return
    old = read_json(path)
    diff = first_difference(old if isinstance(old, dict) else {}, new)
    if diff:
        key, was, now = diff
        raise InputError(f"{out} belongs to another training run ({key} was {was!r}, now {now!r}); refusing to "
                         f"mix runs in one folder — {fix}")


def _resumable(out: Path) -> bool:
    """True when the folder holds work worth keeping: a checkpoint or a saved model."""
    return any((out / n).exists() for n in WORK if n != "checkpoints") or any((out / "checkpoints").glob("*"))


@contextlib.contextmanager
def training_folder(out: str | Path, new: dict, tool: str) -> Iterator[Path]:
    """The main process creates and locks the folder, checks its identity and writes run.json, for the block; if
    the check or the block fails and this call created the folder, it is removed unless it holds a checkpoint or a
    model. Other processes of a torchrun job (RANK > 0) only check."""
    out = Path(out)
    if os.environ.get("RANK", "0") != "0":
        check_identity(out, new)
        yield out
        return
    with removed_on_failure(out, _resumable):
        out.mkdir(parents=True, exist_ok=True)
        with RunLock(out, tool=tool):
            check_identity(out, new)  # under the lock: no other run writes run.json meanwhile
            write_json_atomic(out / FILE, new)
            yield out
