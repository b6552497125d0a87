"""Which checkpoint `--resume` continues from: the newest *complete* `checkpoint-N` folder.

A kill during a save leaves the newest folder half written. transformers' `Trainer._save_checkpoint` writes the
weights, then the optimizer / scheduler / RNG state, then `trainer_state.json` last; HERO's `on_save` callbacks
then add `hero_state.json` (the budget clock, the SFT stream position; HERO's `hero_balancer.json` comes before
it). So a checkpoint is complete when it has
  - `trainer_state.json` holding a JSON object,
  - the run state `hero_state.json` (or the older `hero_run.json`), and
  - a weight file whose bytes are all there: safetensors (`model.safetensors`, every shard of
    `model.safetensors.index.json`, or PEFT's `adapter_model.safetensors`) whose header parses and whose size
    covers the largest data offset, or a torch zip (`pytorch_model.bin`, `adapter_model.bin`) with its end record.
`--resume` skips newer incomplete folders with a warning; when none is complete it is an error (like a folder
without checkpoints): drop --resume to start over. The skipped folders are left in place.
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from hero.budget import OLD_STATE_FILES, STATE_FILE
from hero.io import InputError

TRAINER_STATE = "trainer_state.json"
SAFETENSORS = ("model.safetensors", "adapter_model.safetensors")
TORCH_ZIPS = ("pytorch_model.bin", "adapter_model.bin")
SAFE_INDEX = "model.safetensors.index.json"
MAX_HEADER = 100 * 2**20
"""safetensors' own limit on the JSON header (100 MB); a larger length prefix means a damaged file."""


def print_warning(message: str) -> None:
    """One `warning: ...` line on stderr (the CLI's errors read `error: ...`)."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def safetensors_problem(head: bytes, size: int) -> str | None:
    """Why a safetensors file of `size` bytes beginning with `head` (≥ 8 + header bytes) is cut, or None.
    Layout: 8-byte little-endian header length n, n bytes of JSON {name: {"data_offsets": [begin, end]}, ...},
    then the data; the file needs 8 + n + max(end) bytes. E.g. n = 60 and max end 400 → at least 468 bytes."""
    if size < 8:
        return f"{size} bytes, shorter than the 8-byte header length"
    (n,) = struct.unpack("<Q", head[:8])
    if n > MAX_HEADER or 8 + n > size:
        return f"header length {n} does not fit in {size} bytes"
    try:
        header = json.loads(head[8: 8 + n])
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "header is not JSON"
    if not isinstance(header, dict):
        return "header is not a JSON object"
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__" and isinstance(t, dict)
            and isinstance(t.get("data_offsets"), list) and len(t["data_offsets"]) == 2]
    need = 8 + n + max(ends, default=0)
    return None if size >= need else f"{size} bytes, the header needs {need}"


def _safetensors_file_problem(path: Path) -> str | None:
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        n = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
        head += f.read(min(n, MAX_HEADER + 1))
    return safetensors_problem(head, size)


def weights_problem(ckpt: Path) -> str | None:
    """Why the checkpoint's weights are missing or cut, or None when a complete weight file is there."""
    for name in SAFETENSORS:
        if (ckpt / name).exists():
            problem = _safetensors_file_problem(ckpt / name)
            return f"{name}: {problem}" if problem else None
    if (ckpt / SAFE_INDEX).exists():
        try:
            shards = sorted(set(json.loads((ckpt / SAFE_INDEX).read_text(encoding="utf-8"))["weight_map"].values()))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            return f"{SAFE_INDEX}: not a JSON index with a weight_map"
        for shard in shards:
            problem = _safetensors_file_problem(ckpt / shard)
            if problem:
                return f"{shard}: {problem}"
        return None
    for name in TORCH_ZIPS:
        if (ckpt / name).exists():
            return None if zipfile.is_zipfile(ckpt / name) else f"{name}: cut (no zip end record)"
    return "no weight file (model.safetensors, adapter_model.safetensors, pytorch_model.bin)"


def checkpoint_problem(ckpt: str | Path) -> str | None:
    """Why `ckpt` is not a complete checkpoint (see the module docstring), or None when it is."""
    ckpt = Path(ckpt)
    try:
        state = json.loads((ckpt / TRAINER_STATE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no {TRAINER_STATE}"
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"{TRAINER_STATE} is cut"
    if not isinstance(state, dict):
        return f"{TRAINER_STATE} is not a JSON object"
    if not any((ckpt / n).is_file() for n in (STATE_FILE, *OLD_STATE_FILES)):
        return f"no {STATE_FILE}"
    return weights_problem(ckpt)


def checkpoints(ckpt_dir: str | Path) -> list[Path]:
    """The checkpoint-N folders of ckpt_dir, newest (largest N) first."""
    cands = [p for p in Path(ckpt_dir).glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return sorted(cands, key=lambda p: int(p.name.split("-")[-1]), reverse=True)


def resume_checkpoint(ckpt_dir: str | Path, warn: Callable[[str], None] = print_warning) -> Path:
    """The newest complete checkpoint in ckpt_dir; each newer incomplete one is skipped with a warning. No
    checkpoint, or none complete → InputError saying to drop --resume."""
    found = checkpoints(ckpt_dir)
    if not found:
        raise InputError(f"{ckpt_dir}: --resume given but no checkpoint-* folder there; drop --resume to start")
    for ckpt in found:
        problem = checkpoint_problem(ckpt)
        if problem is None:
            return ckpt
        warn(f"--resume skips {ckpt}: incomplete ({problem}), a save was cut off")
    raise InputError(f"{ckpt_dir}: --resume given but no checkpoint there is complete ({found[0].name}: "
                     f"{checkpoint_problem(found[0])}); drop --resume to start over")


def note_fresh_start(ckpt_dir: str | Path, warn: Callable[[str], None] = print_warning) -> None:
    """A run without --resume starts over (its identity matched, hero.runid); say so when earlier checkpoints of
    the same run are there, since a later --resume takes the newest of them."""
    found = checkpoints(ckpt_dir)
    if found:
        warn(f"starting over without --resume; {ckpt_dir} still holds {', '.join(p.name for p in found)} of an "
             "earlier session (the trainer rotates them out; a later --resume takes the newest complete one)")

