"""The resumable `hero trap` runner with a deterministic fake scorer: resume, kill -9, manifest refusal, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hero.degrade import Degradation
from hero.io import InputError
from hero.trap.summary import SummarySettings
from hero.trap.run import TrapConfig, check_scored, parse_number_list, run_trap
from hero.io import RunLock
from hero.trap.runfolder import read_samples


def fake_score(batch, degrade, temperature):
    """A pure function of (id, spec, T): p_yes from the id, sharper with σ (100 for specs that are not noise-only);
    answers by the larger probability."""
    sigma = Degradation.parse(degrade).sigma
    sigma = 100.0 if sigma is None else sigma
    out = []
    for q in batch:
        assert "label" not in q  # the scorer never sees the label
        k = sum(map(ord, str(q["id"])))  # ids may be ints or strings
        p_yes = min(0.99, max(0.01, (k % 5) / 5 + 0.1 + sigma / 500))
        answer = "yes" if p_yes >= 0.5 else "no"
        out.append({"id": q["id"], "answer": answer, "p_yes": p_yes, "p_no": 1 - p_yes,
                    "entropy_binary": 0.1 * (k % 7) / temperature, "entropy_full": 1.0, "reasoning": None,
                    "parse_status": "ok"})
    return out


def make_inputs(tmp_path: Path, n: int = 8, missing: tuple[int, ...] = (3,)) -> dict:
    (tmp_path / "model").mkdir(parents=True)
    (tmp_path / "model" / "config.json").write_text('{"model_type": "fake"}')
    (tmp_path / "images").mkdir()
    lines = []
    for i in range(1, n + 1):
        if i not in missing:
            (tmp_path / "images" / f"img{i}.png").write_bytes(b"x")
        lines.append(json.dumps({"question_id": i, "image": f"img{i}.png", "text": f"Is there a thing {i}?",
                                 "label": "yes" if i % 2 else "no"}))
    (tmp_path / "q.jsonl").write_text("\n".join(lines) + "\n")
    return {"model": str(tmp_path / "model"), "questions": str(tmp_path / "q.jsonl"),
            "images": str(tmp_path / "images"), "out": str(tmp_path / "run")}


def cfg_of(paths: dict, **kw) -> TrapConfig:
    return TrapConfig(**{**paths, "noise": "0,30", "summary": SummarySettings(n_boot=50), "batch_size": 3, **kw})


def test_full_run_writes_samples_summary_report(tmp_path):
    paths = make_inputs(tmp_path)
    res = run_trap(cfg_of(paths), fake_score)
    rows = read_samples(Path(paths["out"]) / "samples.jsonl")
    assert len(rows) == 7 * 2 and res.n_new == 14 and res.n_skipped == 0  # 8 questions, 1 image missing, 2 σ
    assert {r["sigma"] for r in rows} == {0, 30} and all(r["temperature"] == 1.0 for r in rows)
    assert {r["degrade"] for r in rows} == {"none", "noise:30"}
    assert set(rows[0]) == {"id", "degrade", "sigma", "temperature", "image", "category", "answer", "label", "correct",
                            "p_yes", "p_no", "entropy_binary", "entropy_full", "reasoning", "parse_status",
                            "confidence", "prior"}
    assert {r["confidence"] for r in rows} == {"conditional"}  # the default: the scorer's own distribution
    s = json.loads((Path(paths["out"]) / "summary.json").read_text())
    assert s["missing_images"] == {"count": 1, "ids": [3], "files": ["img3.png"]}
    assert [g["key"] for g in s["groups"]] == ["degrade=none,T=1.0", "degrade=noise:30,T=1.0"] and s["n_samples"] == 14
    assert res.missing[0]["id"] == 3
    assert "data:image/png;base64," in (Path(paths["out"]) / "report.html").read_text()
    assert not (Path(paths["out"]) / ".lock").exists()


def test_resume_after_crash_scores_only_the_rest(tmp_path):
    paths = make_inputs(tmp_path)
    calls = []

    def crashing(batch, sigma, t):
        if len(calls) == 2:
            raise RuntimeError("boom")
        calls.append(len(batch))
        return fake_score(batch, sigma, t)

    with pytest.raises(RuntimeError):
        run_trap(cfg_of(paths), crashing, report=False)
    assert len(read_samples(Path(paths["out"]) / "samples.jsonl")) == 6  # two batches of 3 were flushed
    seen = []

    def counting(batch, sigma, t):
        seen.extend((q["id"], sigma) for q in batch)
        return fake_score(batch, sigma, t)

    res = run_trap(cfg_of(paths), counting, report=False)
    assert (res.n_new, res.n_skipped) == (8, 6) and len(seen) == 8
    rows = read_samples(Path(paths["out"]) / "samples.jsonl")
    keys = [(r["id"], r["sigma"]) for r in rows]
    assert len(keys) == len(set(keys)) == 14
    # same rows as an uninterrupted run
    ref = make_inputs(tmp_path / "ref")
    run_trap(cfg_of(ref), fake_score, report=False)
    ref_rows = read_samples(Path(ref["out"]) / "samples.jsonl")
    assert sorted(map(json.dumps, rows)) == sorted(map(json.dumps, ref_rows))


def test_cut_last_line_is_dropped_and_redone(tmp_path):
    paths = make_inputs(tmp_path)
    run_trap(cfg_of(paths, noise="0"), fake_score, report=False)
    sp = Path(paths["out"]) / "samples.jsonl"
    lines = sp.read_text().splitlines(keepends=True)
    sp.write_text("".join(lines[:-1]) + lines[-1][:25])  # kill -9 in the middle of the last write
    res = run_trap(cfg_of(paths, noise="0"), fake_score, report=False)
    assert res.n_new == 1 and len(read_samples(sp)) == 7 and sp.read_text().endswith("\n")


def test_kill_9_loses_nothing_finished(tmp_path):
    paths = make_inputs(tmp_path, n=30, missing=())
    script = textwrap.dedent(f"""
        import time, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_trap_run import fake_score, cfg_of
        from hero.trap.run import run_trap
        def slow(batch, sigma, t):
            time.sleep(0.05)
            return fake_score(batch, sigma, t)
        run_trap(cfg_of({paths!r}, batch_size=2), slow, report=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    sp = Path(paths["out"]) / "samples.jsonl"
    deadline = time.time() + 30
    while time.time() < deadline and (not sp.exists() or sp.read_text().count("\n") < 6):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(read_samples(sp))
    assert 6 <= n_before < 60
    res = run_trap(cfg_of(paths), fake_score, report=False)  # the dead process's lock is taken over
    assert res.n_new + res.n_skipped == 60 and res.n_skipped >= n_before
    keys = [(r["id"], r["sigma"]) for r in read_samples(sp)]
    assert len(keys) == len(set(keys)) == 60


def test_manifest_mismatch_is_refused(tmp_path):
    paths = make_inputs(tmp_path)
    run_trap(cfg_of(paths), fake_score, report=False)
    # another question file
    q2 = tmp_path / "q2.jsonl"
    q2.write_text(Path(paths["questions"]).read_text().replace("thing 1?", "thing one?"))
    with pytest.raises(InputError, match="different question file"):
        run_trap(cfg_of({**paths, "questions": str(q2)}), fake_score, report=False)
    # another model
    (tmp_path / "model2").mkdir()
    (tmp_path / "model2" / "config.json").write_text("{}")
    with pytest.raises(InputError, match="different model"):
        run_trap(cfg_of({**paths, "model": str(tmp_path / "model2")}), fake_score, report=False)
    # same model folder, changed files
    (Path(paths["model"]) / "config.json").write_text('{"model_type": "other"}')
    with pytest.raises(InputError, match="files changed"):
        run_trap(cfg_of(paths), fake_score, report=False)


def test_other_seed_or_scorer_refused_new_sigma_extends(tmp_path):
    paths = make_inputs(tmp_path)
    run_trap(cfg_of(paths), fake_score, report=False)
    with pytest.raises(InputError, match="seed"):
        run_trap(cfg_of(paths, seed=1), fake_score, report=False)

    def other(batch, s, t):
        return fake_score(batch, s, t)

    other.settings = {"prompt": "different"}
    with pytest.raises(InputError, match="scorer settings"):
        run_trap(cfg_of(paths), other, report=False)
    # settings survive the JSON round trip of manifest.json (a tuple reads back as a list)
    p2 = make_inputs(tmp_path / "p2")
    other.settings = {"stop": ("a", "b")}
    run_trap(cfg_of(p2), other, report=False)
    assert run_trap(cfg_of(p2), other, report=False).n_new == 0
    res = run_trap(cfg_of(paths, noise="0,30,50"), fake_score, report=False)
    assert (res.n_new, res.n_skipped) == (7, 14)
    manifest = json.loads((Path(paths["out"]) / "manifest.json").read_text())
    assert manifest["noise"] == [0.0, 30.0, 50.0]
    # a later call with fewer σ summarises only those
    res = run_trap(cfg_of(paths, noise="50"), fake_score, report=False)
    assert res.n_new == 0 and [g["sigma"] for g in res.summary["groups"]] == [50]


def test_foreign_samples_file_refused(tmp_path):
    paths = make_inputs(tmp_path)
    Path(paths["out"]).mkdir()
    (Path(paths["out"]) / "samples.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match="without manifest"):
        run_trap(cfg_of(paths), fake_score, report=False)


def test_bad_question_files(tmp_path):
    paths = make_inputs(tmp_path)
    q = Path(paths["questions"])
    good = q.read_text().splitlines()
    q.write_text("\n".join(good[:2] + ['{"question_id": 9, "image": "img9.png",'] + good[2:]) + "\n")
    with pytest.raises(InputError, match=r"q\.jsonl:3: malformed JSON"):
        run_trap(cfg_of(paths), fake_score)
    q.write_text("\n".join(good[:4] + [good[4].replace('"label": "yes"', '"label": "maybe"')]) + "\n")
    with pytest.raises(InputError, match=r"q\.jsonl:5: question 5 has label 'maybe'"):
        run_trap(cfg_of(paths), fake_score)
    q.write_text("\n".join(good[:2] + [good[0]]) + "\n")
    with pytest.raises(InputError, match=r":3: question id 1 repeats .*q\.jsonl:1"):
        run_trap(cfg_of(paths), fake_score)
    q.write_text('{"question_id": 1, "image": "img1.png", "label": "yes"}\n')
    with pytest.raises(InputError, match=r":1: missing field 'text'"):
        run_trap(cfg_of(paths), fake_score)
    # labels are case- and space-insensitive; aliases id/question/answer are accepted
    q.write_text('{"id": "a", "image": "img1.png", "question": "Is there?", "answer": " Yes "}\n')
    res = run_trap(cfg_of(paths), fake_score, report=False)
    assert res.n_new == 2


def test_config_validation_messages():
    base = {"model": "m", "questions": "q", "images": "i", "out": "o"}
    with pytest.raises(ValueError, match="unknown --entropy kind 'nats'"):
        SummarySettings(entropy="nats")
    with pytest.raises(ValueError, match="bad --noise list '0,3x'"):
        TrapConfig(**base, noise="0,3x")
    with pytest.raises(ValueError, match="≥ 0"):
        TrapConfig(**base, noise="-5")
    with pytest.raises(ValueError, match=r"σ must be in \[0, 255\]"):
        TrapConfig(**base, noise="300")
    with pytest.raises(ValueError, match="registered ops: noise, grain, blur"):
        TrapConfig(**base, degrade=["fog:1"])
    with pytest.raises(ValueError, match="twice"):
        TrapConfig(**base, noise="30,30")
    with pytest.raises(ValueError, match="positive"):
        TrapConfig(**base, temperatures="0")
    with pytest.raises(ValueError, match="strictly increasing"):
        SummarySettings(entropy_edges="0,0.3,0.2")
    with pytest.raises(ValueError, match="--out is required"):
        TrapConfig(**{**base, "out": ""})
    assert TrapConfig(**base).noise == [0.0, 30.0, 50.0]
    assert TrapConfig(**base).specs() == ["none", "noise:30", "noise:50"]
    only = TrapConfig(**base, degrade=["blur:1.0", "noise:30+blur:0"])
    assert (only.noise, only.degrade, only.specs()) == ([], ["blur:1", "noise:30"], ["blur:1", "noise:30"])
    assert TrapConfig(**base, noise="0,30", degrade="30,down:4").specs() == ["none", "noise:30", "down:4"]
    assert parse_number_list("0, 30 ,50", "--noise") == [0.0, 30.0, 50.0]


def test_scorer_contract_is_enforced():
    batch = [{"id": 1}, {"id": 2}]
    good = fake_score(batch, 0, 1.0)
    check_scored(batch, good, 0, 1.0)
    with pytest.raises(ValueError, match="returned 1 results for 2"):
        check_scored(batch, good[:1], 0, 1.0)
    with pytest.raises(ValueError, match="in batch order"):
        check_scored(batch, good[::-1], 0, 1.0)
    with pytest.raises(ValueError, match="p_yes must be a finite number in"):
        check_scored(batch, [dict(good[0], p_yes=1.5), good[1]], 0, 1.0)
    with pytest.raises(ValueError, match="answer '' goes with"):
        check_scored(batch, [dict(good[0], answer=""), good[1]], 0, 1.0)


def test_live_lock_refuses_second_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".lock").write_text(str(os.getppid()))  # a live process that is not us
    with pytest.raises(InputError, match="in use by another hero trap"):
        with RunLock(out, tool="hero trap"):
            pass
    (out / ".lock").write_text("999999999")  # a dead pid: stale lock, taken over
    with RunLock(out, tool="hero trap"):
        assert (out / ".lock").read_text() == str(os.getpid())
    assert not (out / ".lock").exists()


def test_rows_of_older_runs_without_degrade_resume_as_noise_specs(tmp_path):
    paths = make_inputs(tmp_path)
    run_trap(cfg_of(paths), fake_score, report=False)
    out = Path(paths["out"])
    old_rows = [{k: v for k, v in r.items() if k != "degrade"} for r in read_samples(out / "samples.jsonl")]
    (out / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old_rows))
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.pop("degrade")
    (out / "manifest.json").write_text(json.dumps(manifest))
    res = run_trap(cfg_of(paths, degrade=["blur:1"]), fake_score, report=False)
    assert (res.n_new, res.n_skipped) == (7, 14)  # only blur:1 is new
    assert [g["degrade"] for g in res.summary["groups"]] == ["none", "blur:1", "noise:30"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["degrade"] == ["none", "noise:30", "blur:1"] and manifest["noise"] == [0.0, 30.0]


def test_an_op_registered_in_a_test_runs_through_the_trap_runner(tmp_path, invert_op):
    paths = make_inputs(tmp_path)
    seen = []

    def recording(batch, spec, t):
        seen.append(spec)
        return fake_score(batch, spec, t)

    res = run_trap(cfg_of(paths, noise="0", degrade=["invert:1.0"]), recording, report=True)
    assert sorted(set(seen)) == ["invert:1", "none"]
    rows = read_samples(Path(paths["out"]) / "samples.jsonl")
    assert {(r["degrade"], r["sigma"]) for r in rows} == {("none", 0), ("invert:1", None)}
    (g0, g1), (tr,) = res.summary["groups"], res.summary["trend"]
    assert (g1["key"], g1["op"], g1["sigma"]) == ("degrade=invert:1,T=1.0", "invert", None)
    assert (tr["op"], tr["levels"]) == ("invert", [0, 1])