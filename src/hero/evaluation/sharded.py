"""`hero eval` generation across the processes of `torchrun` / `accelerate launch` (hero.distributed).

The requests the run folder lacks are cut in whole batches, one contiguous share per rank; each rank loads the model
on its own device (cuda:LOCAL_RANK) and appends to RUN/generations.rank<r>.jsonl; rank 0 holds the lock and the
manifest and merges the rank files into generations.jsonl in the single-process order. Every rank then reads the
merged cache and scores it (the scoring is cheap and deterministic; every rank writes the same files atomically), and
only rank 0 prints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from hero.distributed import Group, Ranks, merge_rank_files, rank_file, shard
from hero.io import RunLock, write_jsonl_atomic
from hero.trap.runfolder import append_samples, read_samples

GENERATIONS = "generations.jsonl"


def row_key(row: dict) -> tuple[str, str]:
    return row["image"], row["prompt"]


def run_generations_sharded(out: str | Path, requests: Sequence, manifest: dict, make_generator: Callable[[], object],
                            batch_size: int, r: Ranks, progress: bool = False, label: str = "generating",
                            check_manifest: Callable | None = None, pending: Callable | None = None,
                            bar: Callable | None = None) -> dict:
    """`hero.evaluation.runner.run_generations` as rank r.rank of r.world (its helpers passed in)."""
    out, group = Path(out), Group(r)
    path = out / GENERATIONS
    order: list = []  # the cache is read by key: rank files are appended in rank order (the single-process order)
    try:
        with contextlib.ExitStack() as owner:
            def open_run() -> None:  # rank 0: folder, manifest, lock; rank files of a stopped run folded in
                out.mkdir(parents=True, exist_ok=True)
                check_manifest(out, manifest)
                owner.enter_context(RunLock(out, tool="hero eval"))
                merge_rank_files(path, row_key, order, read_samples, write_jsonl_atomic)

            def generate_share() -> None:
                own = rank_file(path, r.rank)
                done = {row_key(x) for x in read_samples(path)} | {row_key(x) for x in read_samples(own, repair=True)}
                todo = shard(pending(requests, done), r.rank, r.world, batch_size)
                if todo:
                    gen = make_generator()
                    with bar(progress and r.main, label, len(todo)) as tick:
                        for s in range(0, len(todo), batch_size):
                            new = gen.generate(todo[s: s + batch_size])
                            append_samples(own, new)
                            tick(len(new))

            group.sync(open_run if r.main else (lambda: None), "hero eval")
            group.sync(generate_share, "hero eval")
            group.sync(lambda: merge_rank_files(path, row_key, order, read_samples, write_jsonl_atomic) if r.main
                       else None, "hero eval")
        rows = {row_key(x): x for x in reversed(read_samples(path))}
        return {q.key: rows[q.key] for q in requests}
    finally:
        group.close()
