"""The model fingerprint of a run's identity (`hero trap`, `hero eval`): SHA-256 over every file's bytes, cached.

`model_fingerprint(DIR)` = "sha256-bytes/1:" + SHA-256 over one line per file under DIR, subfolders included
(sharded checkpoints, processor folders; names starting with "." are skipped: VCS and hub-download metadata), in
sorted relative-path order: "<relative path>\\0<size>\\0<SHA-256 of the file's bytes>\\n". Any changed byte of any
weight file changes it.

Cost: the bytes are read once (streamed, 1 MiB chunks; SHA-256 measured ~1.1 GB/s here, see docs/model-sft-scoring.md)
and each file's digest is cached in $XDG_CACHE_HOME/hero/fingerprints.json (default ~/.cache/hero), keyed by the
resolved path with its size, st_mtime_ns, st_ctime_ns and st_ino: a rerun on an unchanged checkpoint is one stat()
per file. Any write to a file changes its ctime (even when the writer restores the mtime), so it is read again. A
file changed less than RACY_NS before it was hashed is not cached (a second write within the same timestamp tick
would go unseen, as git's "racy clean" case); a file that changes while it is read is an error. A broken or foreign
cache file is ignored and rewritten; cache writes are atomic and a cache that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from hero.io import InputError, cache_dir, write_json_atomic
from hero.io import sha256_file as hash_file  # the one streamed SHA-256 (tests count reads through this name)

SCHEME = "sha256-bytes/1"
RACY_NS = 2_000_000_000
CHUNK = 1 << 20
STAT_FIELDS = ("size", "mtime_ns", "ctime_ns", "ino")


def cache_path() -> Path:
    """fingerprints.json in hero's cache folder ($HERO_CACHE_DIR, else $XDG_CACHE_HOME/hero, else ~/.cache/hero)."""
    return cache_dir() / "fingerprints.json"


def stat_of(st: os.stat_result) -> dict:
    """The cache key's stat part: {size, mtime_ns, ctime_ns, ino}."""
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino}


def read_cache(path: Path) -> dict[str, dict]:
    """{resolved path: {size, mtime_ns, ctime_ns, ino, sha256}}; a missing, unreadable, malformed or other-scheme
    file reads as {} (the cache only saves time, it never decides anything)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("scheme") != SCHEME or not isinstance(data.get("files"), dict):
        return {}
    return {k: v for k, v in data["files"].items() if isinstance(v, dict)
            and isinstance(v.get("sha256"), str) and all(isinstance(v.get(f), int) for f in STAT_FIELDS)}


def write_cache(path: Path, files: dict[str, dict]) -> None:
    """Write the cache atomically, without entries whose file is gone; an unwritable cache is skipped."""
    kept = {k: v for k, v in files.items() if os.path.exists(k)}
    try:
        write_json_atomic(path, {"scheme": SCHEME, "files": kept}, indent=None)
    except OSError:
        pass


def model_files(model: Path) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every file under `model` (a file: itself), sorted; dot-names skipped."""
    if model.is_file():
        return [(model.name, model)]
    out = []
    for root, dirs, files in os.walk(model):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            p = Path(root) / name
            if not name.startswith(".") and p.is_file():
                out.append((p.relative_to(model).as_posix(), p))
    return sorted(out)


def file_digest(path: Path, cache: dict[str, dict], now_ns: int) -> tuple[int, str]:
    """(size, SHA-256) of one file: from `cache` when its stat matches, else read (and cached unless racy)."""
    key = str(path.resolve())
    st = stat_of(path.stat())
    hit = cache.get(key)
    if hit is not None and all(hit.get(f) == st[f] for f in STAT_FIELDS):
        return st["size"], hit["sha256"]
    digest = hash_file(path)
    if stat_of(path.stat()) != st:
        raise InputError(f"{path}: the file changed while it was being fingerprinted; wait until whatever writes "
                         "the model folder has finished, then run again")
    if now_ns - max(st["mtime_ns"], st["ctime_ns"]) > RACY_NS:
        cache[key] = {**st, "sha256": digest}
    else:
        cache.pop(key, None)
    return st["size"], digest


def model_fingerprint(model: str | Path) -> str:
    """SCHEME + ':' + SHA-256 over (relative path, size, byte digest) of every file (module docstring)."""
    p = Path(model)
    if not p.exists():
        raise InputError(f"{p}: model not found (pass --model DIR)")
    where = cache_path()
    cache = read_cache(where)
    before = dict(cache)
    now = time.time_ns()
    h = hashlib.sha256()
    for rel, f in model_files(p):
        size, digest = file_digest(f, cache, now)
        h.update(f"{rel}\0{size}\0{digest}\n".encode())
    if cache != before:
        write_cache(where, cache)
    return f"{SCHEME}:{h.hexdigest()}"


def scheme_changed(old: object) -> bool:
    """True when a stored fingerprint was written by another scheme (before 'sha256-bytes/1': a bare hex digest
    of file names and sizes only, which cannot tell whether the weights are the same)."""
    return isinstance(old, str) and not old.startswith(SCHEME + ":")


SCHEME_CHANGED = ("was written with an older model fingerprint (file names and sizes only; the weights were not "
                  "read), so it cannot show that the weights are the same as now; its results stay valid as they "
                  "are, but it cannot be resumed — use a new --out folder")
