"""`hero trap` across the processes of `torchrun` / `accelerate launch` (hero.distributed): the questions are cut in
whole batches, one contiguous share per rank; each rank appends its samples to RUN/samples.rank<r>.jsonl (resumable
like samples.jsonl); rank 0 holds the run lock and the manifest, and after every rank is done merges the rank files
into samples.jsonl in the single-process order and writes the one summary and report. The merged samples.jsonl and
summary.json equal a single process's (the same batches run, so the same numbers come out).

    torchrun --nproc_per_node 8 -m hero.cli.main trap --model DIR --questions POPE.json --images DIR --out RUN
    accelerate launch --num_processes 8 -m hero.cli.main trap ...
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from hero.distributed import Group, Ranks, merge_rank_files, rank_file, shard
from hero.io import RunLock, check_out_folder, write_json_atomic, write_jsonl_atomic
from hero.trap.run import (RunResult, ScoreFn, TrapConfig, confident, finalize, make_manifest, pending_batches,
                           sample_order, score_all, scoreable_questions)
from hero.trap.runfolder import check_manifest, read_samples, removed_on_failure, sample_key


def run_trap_sharded(cfg: TrapConfig, score_fn: ScoreFn, r: Ranks, progress: bool = False,
                     report: bool = True, loaded: tuple[list[dict], list[dict]] | None = None,
                     entail=None) -> RunResult:
    """`run_trap` as rank r.rank of r.world. Rank 0 returns the merged run's result; the other ranks return theirs
    with summary None (only rank 0 summarises and reports). `entail`: as run_trap's."""
    questions, missing = loaded or scoreable_questions(cfg)  # loaded: preflight's (questions, missing)
    new_manifest = make_manifest(cfg, dict(getattr(score_fn, "settings", None) or {}))
    score_fn = confident(cfg, score_fn, entail)
    out = check_out_folder(cfg.out)
    samples = out / "samples.jsonl"
    order = sample_order(questions, cfg.specs(), cfg.temperatures)
    group = Group(r)
    try:
        with contextlib.ExitStack() as owner:  # rank 0: the folder, its lock and the manifest for the whole run
            manifest = group.sync(lambda: _open(owner, out, new_manifest, order) if r.main else None,
                                  "hero trap")
            n_mine = group.sync(lambda: _score_share(cfg, questions, score_fn, r, samples, progress), "hero trap")
            if not r.main:
                return RunResult(None, n_mine, 0, list(missing), {})
            n_new = merge_rank_files(samples, sample_key, order, read_samples, write_jsonl_atomic)
            summary, files = finalize(cfg, out, manifest, questions, missing, report)
            return RunResult(summary, n_new, len(order) - n_new, list(missing), files)
    finally:
        group.close()


def _open(owner: contextlib.ExitStack, out: Path, new_manifest: dict, order: list) -> dict:
    """Rank 0: create and lock the folder (removed again on failure unless results are in it), check and write
    the manifest, fold in rank files an interrupted run left behind."""
    owner.enter_context(removed_on_failure(out))
    out.mkdir(parents=True, exist_ok=True)
    owner.enter_context(RunLock(out, tool="hero trap"))
    manifest = check_manifest(out, new_manifest)
    write_json_atomic(out / "manifest.json", manifest)
    merge_rank_files(out / "samples.jsonl", sample_key, order, read_samples, write_jsonl_atomic)
    return manifest


def _score_share(cfg: TrapConfig, questions: list[dict], score_fn: ScoreFn, r: Ranks, samples: Path,
                 progress: bool) -> int:
    """Score this rank's share of what samples.jsonl lacks into the rank's own file; the count scored."""
    own = rank_file(samples, r.rank)
    done = {sample_key(x) for x in read_samples(samples)} | {sample_key(x) for x in read_samples(own, repair=True)}
    mine = shard(questions, r.rank, r.world, cfg.batch_size)
    todo = pending_batches(mine, cfg.specs(), cfg.temperatures, done, cfg.batch_size)
    return score_all(todo, score_fn, own, progress and r.main)
