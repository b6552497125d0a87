"""Sharding `hero trap` / `hero eval` across processes (hero.distributed): the split, the rank files, the merge in
single-process order, and — slow, 2 CPU processes under torchrun — a merged run equal to a single-process run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hero.distributed import Ranks, in_order, merge_rank_files, rank_device, rank_file, rank_files, ranks, shard
from hero.distributed import close_process_group, shard_bounds
from hero.io import write_jsonl_atomic
from hero.trap.runfolder import append_samples, read_samples


def test_ranks_from_the_launchers_environment():
    assert ranks({}) == Ranks(0, 1, 0) and ranks({}).main
    assert ranks({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}) == Ranks(3, 4, 1)
    with pytest.raises(ValueError, match=r"^RANK=4 / WORLD_SIZE=4: need 0 ≤ RANK < WORLD_SIZE$"):
        ranks({"RANK": "4", "WORLD_SIZE": "4"})
    with pytest.raises(ValueError, match="not integers"):
        ranks({"RANK": "x"})
    assert rank_device("cuda", Ranks(1, 2, 1)) == "cuda:1"
    assert rank_device("cuda", Ranks()) == "cuda" and rank_device("cpu", Ranks(1, 2, 1)) == "cpu"


def test_close_process_group_destroys_an_open_group_and_is_a_no_op_otherwise(tmp_path):
    """Every `hero` command destroys the process group at exit (registered in hero.cli.main): a 2-process CI run
    once aborted in gloo's teardown after finishing its work. Here a 1-process gloo group on a file store."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    assert dist.is_initialized()
    close_process_group()
    assert not dist.is_initialized()
    close_process_group()  # nothing open: no error


def test_shard_cuts_whole_batches_contiguously():
    assert [shard_bounds(10, r, 3) for r in range(3)] == [(0, 3), (3, 6), (6, 10)]
    assert shard(range(10), 0, 2, block=3) == [0, 1, 2, 3, 4, 5]  # blocks [0-2] [3-5] | [6-8] [9]
    assert shard(range(10), 1, 2, block=3) == [6, 7, 8, 9]
    parts = [shard(list(range(20)), r, 3, block=4) for r in range(3)]  # 5 blocks → 1, 2, 2
    assert parts == [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17, 18, 19]]
    assert shard([1, 2], 0, 3, block=4) == [] and shard([1, 2], 2, 3, block=4) == [1, 2] and shard([], 0, 1) == []


def test_merge_keeps_single_process_order_and_skips_what_is_there(tmp_path):
    k = lambda r: r["id"]  # noqa: E731
    assert in_order([{"id": "c"}, {"id": "z"}, {"id": "y"}, {"id": "a"}], k, ["a", "b", "c"]) == [
        {"id": "a"}, {"id": "c"}, {"id": "z"}, {"id": "y"}]
    path = tmp_path / "samples.jsonl"
    assert rank_file(path, 1) == tmp_path / "samples.rank1.jsonl"
    append_samples(path, [{"id": "a"}, {"id": "x"}])
    append_samples(rank_file(path, 1), [{"id": "d"}, {"id": "c"}])
    append_samples(rank_file(path, 0), [{"id": "a"}, {"id": "b"}])
    (tmp_path / "samples.rankx.jsonl").write_text("")  # not a rank file
    assert rank_files(path) == [rank_file(path, 0), rank_file(path, 1)]
    with open(rank_file(path, 1), "a") as f:
        f.write('{"id": "cut')  # a line cut by kill -9 is dropped
    n = merge_rank_files(path, k, ["a", "b", "c", "d"], read_samples, write_jsonl_atomic)
    assert n == 3 and [r["id"] for r in read_samples(path)] == ["a", "b", "c", "d", "x"]
    assert rank_files(path) == [] and (tmp_path / "samples.rankx.jsonl").exists()
    assert merge_rank_files(path, k, [], read_samples, write_jsonl_atomic) == 0


def test_single_process_trap_folds_in_rank_files_of_a_stopped_sharded_run(tmp_path):
    """A sharded run killed after rank 1 wrote its share: a plain rerun keeps that work and ends equal to an
    uninterrupted run."""
    from test_trap_run import cfg_of, fake_score, make_inputs

    from hero.trap.run import run_trap

    whole = make_inputs(tmp_path)
    parts = {**whole, "out": str(tmp_path / "parts")}
    run_trap(cfg_of(whole), fake_score)
    ref = (Path(whole["out"]) / "samples.jsonl").read_bytes()
    out = Path(parts["out"])
    out.mkdir()
    rows = [json.loads(x) for x in ref.decode().splitlines()]
    append_samples(rank_file(out / "samples.jsonl", 1), rows[4:7] + rows[10:])
    (out / "manifest.json").write_text((Path(whole["out"]) / "manifest.json").read_text())
    res = run_trap(cfg_of(parts), fake_score)
    assert res.n_new == 7 and (out / "samples.jsonl").read_bytes() == ref and not rank_files(out / "samples.jsonl")
    assert json.loads((out / "summary.json").read_text())["groups"] == json.loads(
        (Path(whole["out"]) / "summary.json").read_text())["groups"]


def _torchrun(args: list[str], env_extra: dict | None = None) -> subprocess.CompletedProcess:
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run([str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "hero.cli.main", *args],
                          capture_output=True, text=True, timeout=900, env=env)


@pytest.mark.slow
def test_two_processes_equal_one(tmp_path):
    """`hero trap` (20 questions × 2 σ, batches of 3) and `hero eval pope --limit 10` under torchrun with 2 CPU
    processes: the merged samples.jsonl / generations.jsonl and the summary / scores equal a single process's."""
    from typer.testing import CliRunner

    from eval_helpers import scrambled_model, tiny_world
    from hero.cli.main import app

    world = tiny_world(tmp_path / "world", n_test=8)
    model = scrambled_model(tmp_path / "model", world)
    pope = world / "test/pope/world_test_pope_adversarial.json"
    questions = tmp_path / "q20.json"
    questions.write_text("".join(pope.read_text().splitlines(keepends=True)[:20]))
    common = ["--model", str(model), "--images", str(world / "test/images"), "--threads", "1", "--no-progress"]
    trap = ["trap", "--questions", str(questions), "--noise", "0,30", "--batch-size", "3", "--n-boot", "20", *common]
    pope_args = ["eval", "pope", "--questions", str(pope), "--limit", "10", "--batch-size", "3",
                 "--max-new-tokens", "12", *common]
    for args, name in ((trap, "trap"), (pope_args, "pope")):
        one = CliRunner().invoke(app, [*args, "--out", str(tmp_path / f"{name}1")])
        assert one.exit_code == 0, one.output
        two = _torchrun([*args, "--out", str(tmp_path / f"{name}2")])
        assert two.returncode == 0, two.stderr[-4000:]
        if name == "trap":
            assert two.stdout.count("scored 40 new samples, 0 already done") == 1  # rank 0 prints, once
    t1, t2 = tmp_path / "trap1", tmp_path / "trap2"
    assert (t2 / "samples.jsonl").read_bytes() == (t1 / "samples.jsonl").read_bytes()
    assert len((t1 / "samples.jsonl").read_text().splitlines()) == 40
    assert json.loads((t2 / "summary.json").read_text()) == json.loads((t1 / "summary.json").read_text())
    assert not list(t2.glob("samples.rank*")) and not (t2 / ".lock").exists()
    p1, p2 = tmp_path / "pope1", tmp_path / "pope2"
    assert (p2 / "generations.jsonl").read_bytes() == (p1 / "generations.jsonl").read_bytes()
    s1, s2 = (json.loads((p / "pope/scores.json").read_text()) for p in (p1, p2))
    assert s2.pop("files") == {"adversarial": str(p2 / "pope/answers_adversarial.jsonl")} and s1.pop("files")
    assert s2 == s1 and (p2 / "pope/answers_adversarial.jsonl").read_bytes() == (
        p1 / "pope/answers_adversarial.jsonl").read_bytes()
    assert not list(p2.glob("generations.rank*"))


def test_a_failed_run_keeps_a_folder_holding_rank_files(tmp_path):
    from hero.trap.runfolder import removed_on_failure

    for name, rows in (("kept", [{"id": 1}]), ("removed", [])):
        out = tmp_path / name
        with pytest.raises(RuntimeError), removed_on_failure(out):
            out.mkdir()
            (out / "generations.rank1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
            raise RuntimeError("rank 0 failed")
        assert out.exists() == bool(rows)


@pytest.mark.slow
def test_two_processes_eval_world_meets_at_every_benchmark(tmp_path):
    """`hero eval world` (POPE ×3, AMBER, CHAIR: one sharded generation pass each, one gloo group for all) under
    torchrun with 2 CPU processes: the same generations and scores as one process."""
    from typer.testing import CliRunner

    from eval_helpers import scrambled_model, tiny_world
    from hero.cli.main import app

    world = tiny_world(tmp_path / "world", n_test=3)
    model = scrambled_model(tmp_path / "model", world)
    args = ["eval", "world", "--model", str(model), "--world", str(world), "--limit", "3", "--max-new-tokens", "8",
            "--threads", "1", "--no-progress", "--batch-size", "2"]
    one = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "one")])
    assert one.exit_code == 0, one.output
    two = _torchrun([*args, "--out", str(tmp_path / "two")])
    assert two.returncode == 0, two.stderr[-4000:]
    assert two.stdout.count("results: ") == 1  # rank 0 prints
    lines = [sorted((tmp_path / d / "generations.jsonl").read_text().splitlines()) for d in ("one", "two")]
    assert lines[0] == lines[1] and lines[0]
    r1, r2 = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("one", "two"))
    for name in ("amber", "chair"):
        r1[name].pop("files"), r2[name].pop("files")
        assert r1[name] == r2[name]
    assert r1["pope"]["splits"] == r2["pope"]["splits"]
