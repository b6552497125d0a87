"""The run folder of `hero trap`: manifest identity check, the run lock, and samples.jsonl read/append.

Kill -9 safety: samples are appended and fsync'ed per batch; a line cut mid-write is ignored on reading and cut
off the file before the run goes on (read_samples(repair=True)).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from hero.distributed import rank_files
from hero import io
from hero.io import InputError
from hero.trap.fingerprint import SCHEME_CHANGED, scheme_changed
from hero.trap.fingerprint import model_fingerprint  # noqa: F401 (re-export: hero.evaluation.runner, older imports)
from hero.trap.summary import row_degrade

MANIFEST_SCHEMA = "hero.trap.run/1"
IDENTITY = ("model", "model_fingerprint", "questions_sha256", "images", "seed", "confidence", "scorer",
            "prior_balance")
OLD_DEFAULTS = {"confidence": {"kind": "conditional"}, "prior_balance": False}
"""Identity keys added later, as manifests written before them read (a --confidence-less run was conditional, a
--prior-balance-less run scored every question)."""


RESULTS = ("samples.jsonl", "generations.jsonl")
"""Files that hold finished, resumable work (`hero trap`, `hero eval`): a folder holding one is never removed."""


@contextlib.contextmanager
def removed_on_failure(out: str | Path, results: Sequence[str] = RESULTS) -> Iterator[Path]:
    """`hero.io.removed_on_failure` for trap / eval run folders: the work kept is a non-empty results file,
    the rank files of a sharded run (samples.rank1.jsonl, ...) included."""
    def holds_results(folder: Path) -> bool:
        files = [f for r in results for f in (folder / r, *rank_files(folder / r))]
        return any(f.is_file() and f.stat().st_size > 0 for f in files)

    with io.removed_on_failure(out, holds_results) as folder:
        yield folder


WHY = {"model": "a different model",
       "model_fingerprint": "a model whose files changed since (a file name, size or byte differs)",
       "questions_sha256": "a different question file", "images": "a different image folder",
       "seed": "a different --seed", "scorer": "different scorer settings",
       "confidence": "a different --confidence (or --confidence-samples, --nli-model)",
       "prior_balance": "a different --prior-balance (another question set)"}


def check_manifest(out: Path, new: dict, skip: Sequence[str] = ()) -> dict:
    """Compare with RUN/manifest.json (if any) and return the manifest to store; mismatch → InputError.
    Identity keys in `skip` are not compared (the preflight check, before the scorer exists)."""
    path = out / "manifest.json"
    if not path.exists():
        if (out / "samples.jsonl").exists():
            raise InputError(f"{out}: samples.jsonl without manifest.json was not written by hero trap; "
                             f"use a new --out folder")
        return new
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: malformed JSON ({e.msg}); fix it or use a new --out folder") from None
    if "model_fingerprint" not in skip and scheme_changed(old.get("model_fingerprint")):
        raise InputError(f"{out}: this run folder {SCHEME_CHANGED}")
    for key in IDENTITY:
        was = old.get(key, OLD_DEFAULTS.get(key))
        if key not in skip and was != new[key]:
            raise InputError(f"{out} belongs to a run with {WHY[key]} ({key}: {was!r}, now {new[key]!r}); "
                             f"refusing to mix two runs in one samples.jsonl — use a new --out folder")
    merged = {**OLD_DEFAULTS, **old}
    old_specs = old.get("degrade") or [row_degrade({"sigma": s}) for s in old.get("noise", [])]
    merged["degrade"] = list(dict.fromkeys(list(old_specs) + list(new.get("degrade", []))))
    merged["noise"] = sorted(set(old.get("noise", [])) | set(new["noise"]))
    merged["temperatures"] = sorted(set(old.get("temperatures", [])) | set(new["temperatures"]))
    return merged


def sample_key(row: dict) -> tuple[str, str, float]:
    """Resume key of a sample: (str(id), canonical degradation spec, T); a row of an older run without `degrade`
    reads as noise:<sigma>."""
    return str(row["id"]), row_degrade(row), float(row["temperature"])


def read_samples(path: str | Path, repair: bool = False) -> list[dict]:
    """Read samples.jsonl. A cut last line (no newline, kill -9 mid-write) is ignored, and with repair=True cut off
    the file; any other malformed line → InputError naming file and line."""
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if repair and len(complete) < len(data):
        with open(path, "r+b") as f:
            f.truncate(len(complete))
    rows = []
    for lineno, line in enumerate(complete.decode("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{lineno}: malformed sample line ({e.msg}); the run folder is damaged — "
                                 f"fix or delete that line") from None
    return rows


def append_samples(path: Path, rows: Sequence[dict]) -> None:
    """Append rows as JSON lines, then flush and fsync: a finished batch survives kill -9."""
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))
        f.flush()
        os.fsync(f.fileno())
