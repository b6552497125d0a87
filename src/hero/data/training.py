"""What the trainers take from a data file (`--data FILE|DIR --images DIR`): the source rule, the run identity of a
file, the RL / DPO prompt rows and the SFT targets. Loading and validation: `hero.data.rows`.

SFT targets (`sft_target`), chosen to match what `hero train sft` on the world trains:
* style 'answer': the yes/no answer ("yes" / "no"); an open question (no answer) trains on its reference;
* style 'cot': the reference as the reasoning, then "Answer: yes." / "Answer: no." (the world's CoT ends the same
  way, which is what the exact verifier and `hero trap` parse); a row with an answer but no reference trains on
  "Answer: yes." alone; an open question trains on its reference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hero.degrade import Degradation, merge_specs
from hero.io import ImageFolder, InputError, sha256_file
from hero.data.rows import DataRow, check_images, load_rows

DEGRADE_STREAM = 8
"""Second element of the seed sequence (seed, DEGRADE_STREAM) that draws each file row's degradation spec."""


def check_source(world: str, data: str, images: str, flag: str = "--world") -> None:
    """Exactly one training source: `--world DIR` or `--data FILE --images DIR`; ValueError with the fix otherwise."""
    if world and data:
        raise ValueError(f"{flag} and --data both given: train on one source — the embedded world ({flag} DIR) or "
                         "your files (--data FILE --images DIR)")
    if not world and not data:
        raise ValueError(f"no training data: give {flag} DIR (a built world) or --data FILE --images DIR")
    if data and not images:
        raise ValueError("--data needs --images DIR: the folder the rows' 'image' paths are relative to")
    if images and not data:
        raise ValueError(f"--images is for --data files; {flag} DIR holds its own images")


def data_fingerprint(path: str | Path) -> str:
    """SHA-256 over a data file's bytes, or over a folder's files (relative path and bytes of each, sorted)."""
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode() + b"\0" + bytes.fromhex(sha256_file(f)))
    return h.hexdigest()


def source_identity(method: str, model, data, images, config: dict, trainer: dict | None = None) -> dict:
    """hero.runid identity of a run on a data file: data = the file, its fingerprint covering every byte, and the
    resolved --images folder in the config (another folder is another run)."""
    from hero.runid import identity

    config = {**config, "images": str(Path(images).resolve())}
    return identity(method, model, data, None, config, trainer, fingerprint=data_fingerprint(data))


def load_training_rows(data, images: str, allow_outside: bool = False) -> list[DataRow]:
    """Every row validated and every image opened once (the first bad one is an error naming its row), before any
    model loads. A row may list several images: its prompt shows them all, in order (`image_ids`)."""
    folder = ImageFolder(images, allow_outside=allow_outside)
    rows = load_rows(data, folder)
    check_images(rows, folder)
    return rows


def one_image_per_row(rows: Sequence[DataRow], why: str) -> None:
    """InputError naming the first row whose 'image' lists several images, for a method that takes one (`why`)."""
    several = next((r for r in rows if len(r.images) != 1), None)
    if several:
        raise InputError(f"{several.where}: field 'image' of row {several.id!r} lists {len(several.images)} "
                         f"images; {why}; give this row one image or train it with sft, grpo or hero")


def image_ids(row_id: str, n: int) -> list[str]:
    """The ids seeding the degradation of a row's n images (hero.degrade): the row's id for a single image (as
    before lists were accepted), else '<id>@<k>' for k = 0..n-1, so each image gets its own noise.
    image_ids("r1", 1) → ["r1"]; image_ids("r1", 2) → ["r1@0", "r1@1"]."""
    return [row_id] if n == 1 else [f"{row_id}@{k}" for k in range(n)]


def need_columns(rows: Sequence[DataRow], answer: bool, reference: bool, why: str) -> None:
    """InputError naming the first row without an answer (when `answer`) or a reference (when `reference`)."""
    for row in rows:
        if answer and row.answer is None:
            raise InputError(f"{row.where}: row {row.id!r} has no 'answer' (yes/no), which {why} needs; add one "
                             "to every row or drop the row")
        if reference and row.reference is None:
            raise InputError(f"{row.where}: row {row.id!r} has no 'reference' (text), which {why} needs; add one "
                             "to every row or drop the row")


def reward_needs(spec: str) -> tuple[bool, bool]:
    """(needs answers, needs references) of a reward spec: 'yes_no' reads `answer`, 'nli' reads `reference`;
    a user's module:function may read either and is checked by its own code."""
    parts = [p.strip() for p in str(spec).split("+")]
    return "yes_no" in parts, "nli" in parts


def rl_rows(rows: Sequence[DataRow], sigmas: Sequence[float] = (), degrade: Sequence[str] = (),
            seed: int = 0) -> list[dict]:
    """Data rows → the prompt rows of `hero.rl.world_data` (id, image_id, image_path, question, answer, kind,
    degrade, sigma, reference, and image_ids / image_paths: every image of the row, in order; image_id and
    image_path are the first), each with a spec drawn from merge_specs(sigmas, degrade) (default noise 0, 30, 50)
    that every image of the row is degraded by, deterministic in the seed. Missing answer / reference → "" (the
    reward checks decide whether they are needed)."""
    grid = merge_specs(sigmas, degrade)
    rng = np.random.default_rng((seed, DEGRADE_STREAM))
    out = []
    for row in rows:
        spec = grid[int(rng.integers(len(grid)))]
        ids = image_ids(row.id, len(row.image_paths))
        out.append({"id": row.id, "image_id": ids[0], "image_path": row.image_paths[0], "question": row.question,
                    "answer": row.answer or "", "kind": str(row.extra.get("kind", "file")), "degrade": spec,
                    "sigma": Degradation.parse(spec).sigma, "reference": row.reference or "", "image_ids": ids,
                    "image_paths": list(row.image_paths)})
    return out


def sft_target(row: DataRow, style: str) -> str:
    """The assistant's target text of a row (see the module docstring).
    answer 'no', style 'answer' → "no"; reference "I see a red circle.", answer 'no', style 'cot' →
    "I see a red circle. Answer: no."; reference "A dog.", no answer → "A dog."."""
    if row.answer is None:
        return str(row.reference)
    if style == "answer":
        return row.answer
    if not row.reference:
        return f"Answer: {row.answer}."
    reasoning = row.reference if row.reference.rstrip()[-1:] in ".!?" else row.reference.rstrip() + "."
    return f"{reasoning} Answer: {row.answer}."
