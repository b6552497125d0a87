"""Sharding `hero trap` and `hero eval` across the processes of `torchrun` / `accelerate launch`.

Each process (rank r of W, from the RANK / WORLD_SIZE / LOCAL_RANK environment the launchers set) works on its own
contiguous slice of the work, cut in whole batches (`shard`) so every batch is the one a single process would have
run: results are the same bit for bit. Each rank appends to its own resumable file (`rank_file`: samples.rank1.jsonl);
rank 0 owns the run folder (manifest, lock) and merges the rank files into the one results file in the single-process
order (`merge_rank_files`). The ranks meet at `Group.sync` points, a gloo all-reduce (CPU tensors, so it works beside
NCCL on GPUs and on CPU-only machines); a rank that fails tells the others, which stop with a message instead of
waiting forever.

Multi-node: the run folder must be on a file system every node sees (rank files are written by every node).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hero.io import InputError

SYNC_TIMEOUT_H = 12
"""How long a rank waits for the others at a sync point (a shard of a large run can take hours)."""


@dataclass(frozen=True)
class Ranks:
    """This process's place in a launch."""

    rank: int = 0
    """Global rank (RANK)."""
    world: int = 1
    """Number of processes (WORLD_SIZE)."""
    local_rank: int = 0
    """Rank on this node (LOCAL_RANK): the GPU index of this process."""

    @property
    def main(self) -> bool:
        return self.rank == 0


def ranks(env: dict | None = None) -> Ranks:
    """Ranks from the launcher's environment; a plain `hero ...` is rank 0 of 1. A bad value → ValueError."""
    env = os.environ if env is None else env
    try:
        r = Ranks(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))
    except ValueError:
        raise ValueError(f"RANK={env.get('RANK')!r} / WORLD_SIZE={env.get('WORLD_SIZE')!r}: not integers; launch "
                         "with torchrun or accelerate launch, or unset them") from None
    if r.world < 1 or not 0 <= r.rank < r.world:
        raise ValueError(f"RANK={r.rank} / WORLD_SIZE={r.world}: need 0 ≤ RANK < WORLD_SIZE")
    return r


def rank_device(device: str, r: Ranks | None = None) -> str:
    """'cuda' → this process's GPU ('cuda:<LOCAL_RANK>') in a launch of several processes; anything else as given.
    rank_device("cuda", Ranks(1, 2, 1)) = "cuda:1"; rank_device("cuda", Ranks()) = "cuda"."""
    r = r or ranks()
    return f"cuda:{r.local_rank}" if device == "cuda" and r.world > 1 else device


def shard_bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """[start, stop) of rank's share of n units, contiguous and balanced (sizes differ by at most 1).
    shard_bounds(10, 0, 3) = (0, 3); (10, 1, 3) = (3, 6); (10, 2, 3) = (6, 10)."""
    return rank * n // world, (rank + 1) * n // world


def shard(items: Sequence, rank: int, world: int, block: int = 1) -> list:
    """Rank's contiguous share of `items`, cut in whole blocks of `block` items (a batch), so the batches a rank
    forms are those of a single process. shard(range(10), 1, 2, block=3): blocks [0-2] [3-5] [6-8] [9] → rank 1
    gets blocks 2..3 = [6, 7, 8, 9]."""
    n_blocks = -(-len(items) // block)
    start, stop = shard_bounds(n_blocks, rank, world)
    return list(items[start * block: stop * block])


def rank_file(path: str | Path, rank: int) -> Path:
    """The rank's own results file beside `path`: samples.jsonl → samples.rank1.jsonl."""
    path = Path(path)
    return path.with_name(f"{path.stem}.rank{rank}{path.suffix}")


def rank_files(path: str | Path) -> list[Path]:
    """The rank files of `path` that exist, by rank."""
    path = Path(path)
    found = path.parent.glob(f"{path.stem}.rank*{path.suffix}")
    return sorted((p for p in found if p.stem.rsplit(".rank", 1)[-1].isdigit()),
                  key=lambda p: int(p.stem.rsplit(".rank", 1)[-1]))


def rank_file_keys(path: str | Path, key: Callable[[dict], object], read: Callable) -> set:
    """The keys of the rows in the rank files of `path` (work a sharded run finished but did not merge); `read`
    is the results file's reader."""
    return {key(r) for f in rank_files(path) for r in read(f)}


def in_order(rows: Sequence[dict], key: Callable[[dict], object], order: Iterable) -> list[dict]:
    """`rows` stably sorted by the position of their key in `order` (the single-process order); rows whose key is
    not in `order` go last, in their own order. in_order([{"k": "c"}, {"k": "z"}, {"k": "a"}], itemgetter("k"),
    ["a", "b", "c"]) = [{"k": "a"}, {"k": "c"}, {"k": "z"}]."""
    index = {k: i for i, k in enumerate(order)}
    return sorted(rows, key=lambda r: index.get(key(r), len(index)))


def merge_rank_files(path: str | Path, key: Callable[[dict], object], order: Iterable, read: Callable,
                     write: Callable) -> int:
    """Fold the rows of every rank file of `path` that `path` lacks into it and delete the rank files (rank 0,
    holding the run lock); the file is rewritten in single-process order (`in_order`), so what is computed from it
    in file order (bootstrap draws) equals a single process's. Returns the number of rows added. `read(path,
    repair=True)` is the results file's reader (a cut last line is dropped), `write(path, rows)` an atomic
    writer; without rank files nothing is read or written."""
    files = rank_files(path)
    if not files:
        return 0
    rows = read(path, repair=True)
    seen = {key(r) for r in rows}
    added = 0
    for f in files:
        for r in read(f, repair=True):
            if key(r) not in seen:
                seen.add(key(r))
                rows.append(r)
                added += 1
    write(Path(path), in_order(rows, key, order))
    for f in files:
        f.unlink()
    return added


_PG: dict = {}
"""The gloo group of this process, created once (a command such as `hero eval world` meets at many sync points over
several benchmarks) and destroyed at exit."""


def _gloo_group():
    if "pg" not in _PG:
        import atexit
        import datetime

        import torch.distributed as dist

        timeout = datetime.timedelta(hours=SYNC_TIMEOUT_H)
        if not dist.is_initialized():
            dist.init_process_group("gloo", timeout=timeout)
            atexit.register(dist.destroy_process_group)
        _PG["pg"] = dist.new_group(backend="gloo", timeout=timeout)
    return _PG["pg"]


class Group:
    """The processes of one launch, meeting at sync points (a gloo process group; none for a single process)."""

    def __init__(self, r: Ranks):
        self.ranks = r
        self._pg = _gloo_group() if r.world > 1 else None

    def all_ok(self, ok: bool) -> bool:
        """True when `ok` is True on every rank (each rank passes its own)."""
        if self._pg is None:
            return ok
        import torch
        import torch.distributed as dist

        t = torch.tensor([1 if ok else 0], dtype=torch.int32)
        dist.all_reduce(t, op=dist.ReduceOp.MIN, group=self._pg)
        return bool(t.item())

    def sync(self, fn: Callable[[], object] = lambda: None, what: str = "run"):
        """Run `fn` on this rank, then wait for every rank. Raises this rank's own error, or — when another rank
        failed — InputError saying so (its own message is on that rank's stderr)."""
        try:
            result, error = fn(), None
        except BaseException as e:  # noqa: BLE001 - reported to the other ranks, then re-raised
            result, error = None, e
        if not self.all_ok(error is None):
            if error is not None:
                raise error
            raise InputError(f"rank {self.ranks.rank} of {self.ranks.world}: another process of this sharded "
                             f"{what} failed (its error is printed above); fix it and rerun — finished work resumes")
        return result

    def close(self) -> None:
        """Nothing to release per run: the group lives until the process exits (`_gloo_group`)."""


def close_process_group() -> None:
    """Destroy the default process group (and every group made from it) if one is up: accelerate's under `torchrun`,
    or ours. Called at exit of every `hero` command while the interpreter is still alive — left to interpreter
    finalization, gloo's worker threads can abort the process ("terminate called without an active exception",
    SIGABRT) after the work is done, failing a finished launch. Local (no collective), so safe after an error."""
    import sys

    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return
    _PG.clear()
    dist.destroy_process_group()
