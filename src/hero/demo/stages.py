"""A cached, resumable stage runner: each stage writes into `<out>/<stage>/` and marks completion with `done.json`.

A stage is a name, a function `fn(stage_dir) -> dict` (its results, JSON-serialisable) and an estimate in seconds
used for the overall ETA. A rerun skips stages whose `done.json` exists (their results are read back) unless the
stage is forced; a stage that crashes leaves no `done.json`, so the next run redoes it and only it.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hero.io import InputError, read_json, write_json_atomic

DONE = "done.json"


@dataclass(frozen=True)
class Stage:
    """One unit of cached work."""

    name: str
    fn: Callable[[Path], dict]
    estimate_s: float = 30.0
    description: str = ""


def eta_seconds(estimates: Sequence[float], done: int, elapsed: float, spent_estimate: float) -> float:
    """Remaining time: the estimates of the stages left, scaled by how fast the run went so far.

    scale = elapsed / spent_estimate (1 before any stage ran); e.g. estimates [10, 20, 30], done=1, elapsed 20 s for an
    estimated 10 s → scale 2 → ETA = 2 · (20 + 30) = 100 s.
    """
    scale = elapsed / spent_estimate if spent_estimate > 0 and elapsed > 0 else 1.0
    return scale * float(sum(estimates[done:]))


def read_done(stage_dir: Path) -> dict | None:
    """The results of a finished stage, or None."""
    marker = stage_dir / DONE
    if not marker.exists():
        return None
    return json.loads(marker.read_text(encoding="utf-8"))["results"]


def run_stages(stages: Sequence[Stage], out: Path, force: Sequence[str] = (), log: Callable[[str], None] = print
               ) -> dict[str, dict]:
    """Run the stages in order with caching; returns {stage name: results}."""
    names = [s.name for s in stages]
    unknown = [f for f in force if f not in names and f != "all"]
    if unknown:
        raise ValueError(f"--force names unknown stage(s) {unknown}; stages are {names} (or 'all')")
    results: dict[str, dict] = {}
    t_start, spent_est = time.perf_counter(), 0.0
    estimates = [s.estimate_s for s in stages]
    for k, stage in enumerate(stages):
        d = out / stage.name
        if stage.name in force or "all" in force:
            shutil.rmtree(d, ignore_errors=True)
        cached = read_done(d)
        eta = eta_seconds(estimates, k, time.perf_counter() - t_start, spent_est)
        if cached is not None:
            log(f"[{k + 1}/{len(stages)}] {stage.name}: cached")
            results[stage.name] = cached
            continue
        log(f"[{k + 1}/{len(stages)}] {stage.name}: {stage.description} (overall ETA {eta / 60:.1f} min)")
        d.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        res = stage.fn(d)
        seconds = time.perf_counter() - t0
        res = {**res, "seconds": round(seconds, 2)}
        write_json_atomic(d / DONE, {"stage": stage.name, "results": res})
        results[stage.name] = res
        spent_est += stage.estimate_s
        log(f"    {stage.name} done in {seconds:.1f}s")
    return results


IDENTITY = "demo_config.json"


def claim_folder(out: Path, identity: dict, older: dict | None = None, reset: bool = False) -> None:
    """Tie the stage folder `out` to the settings its cached stages were made with. The first run writes
    `out/demo_config.json` = identity; a later run with other settings would mix cached stages of one setting with
    fresh stages of another, so it raises InputError naming the fields that differ — unless `reset` (every stage is
    redone). `older`: the settings a folder from before this file existed recorded (its results.json's), compared
    the same way; None = nothing recorded (a fresh folder)."""
    path = out / IDENTITY
    was = read_json(path) if path.is_file() else older
    if was is not None and not reset:
        diff = {k: (was.get(k), v) for k, v in identity.items() if was.get(k) != v}
        if diff:
            said = "; ".join(f"{k}: {a!r} then, {b!r} now" for k, (a, b) in sorted(diff.items()))
            raise InputError(f"{out} holds a demo made with other settings ({said}); its cached stages would mix "
                             "with new ones — use a new --out, or --force all to redo every stage")
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, identity)
