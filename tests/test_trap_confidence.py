"""`hero trap --confidence conditional|marginal` (semantic: test_trap_semantic.py): the marginal answer distribution (worked values), the runner with a
fake CoT scorer (k samples per question in one call, rows, summary, manifest identity) and the real CLI on a tiny
CoT model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hero.io import InputError
from hero.trap.confidence import TIE_RULE, combine, expand, majority, marginal_from_answers
from hero.trap.run import TrapConfig, run_trap
from hero.trap.runfolder import read_samples
from test_trap_run import cfg_of, make_inputs

LN2 = math.log(2)


# -- the pure core ----------------------------------------------------------------------------------------------
def test_marginal_worked_value():
    m = marginal_from_answers(["yes", "yes", "no", None, "yes", "yes", "no", "yes"])
    # 5 yes, 2 no, 1 unparseable: p_yes = 5/7 = 0.7142857, p_no = 2/7 (the unparseable one counts as neither)
    assert m["p_yes"] == pytest.approx(5 / 7, abs=1e-12) and m["p_no"] == pytest.approx(2 / 7, abs=1e-12)
    # H = −(5/7 ln 5/7 + 2/7 ln 2/7) = −(5/7·(−0.3364722) + 2/7·(−1.2527630))
    #   = 0.2403373 + 0.3579323 = 0.5982696
    assert m["entropy_binary"] == pytest.approx(0.5982695886, abs=1e-9)
    # full: shares 5/8, 2/8, 1/8 over {yes, no, unparseable}: 0.2937523 + 0.3465736 + 0.2599302 = 0.9002561
    assert m["entropy_full"] == pytest.approx(0.9002560513, abs=1e-9)
    assert m["answer"] == "yes" and m["parse_status"] == "ok"
    assert m["counts"] == {"yes": 5, "no": 2, "unparseable": 1}


def test_marginal_unanimous_and_unanswered():
    m = marginal_from_answers(["no"] * 8)  # p_yes = 0/8 = 0 → H(0) = 0; full: one outcome → 0
    assert (m["answer"], m["p_yes"], m["p_no"], m["entropy_binary"], m["entropy_full"]) == ("no", 0.0, 1.0, 0.0, 0.0)
    m = marginal_from_answers([None, "", None])  # all unparseable: unanswered, binary entropy ln 2, full 0
    assert (m["answer"], m["parse_status"], m["p_yes"], m["p_no"]) == ("", "unparseable", 0.0, 0.0)
    assert m["entropy_binary"] == pytest.approx(LN2) and m["entropy_full"] == 0.0
    with pytest.raises(ValueError, match="'maybe'"):
        marginal_from_answers(["yes", "maybe"])
    with pytest.raises(ValueError, match="at least one"):
        marginal_from_answers([])


def test_majority_and_its_tie_rule():
    assert majority(["yes", "no", "yes"]) == "yes" and majority([None, "no", "no", "yes"]) == "no"
    assert majority(["no", "yes"]) == "no" and majority(["yes", "no"]) == "yes"  # tie → the earliest sample's
    assert majority([None, "yes", "no", "no", "yes"]) == "yes"  # 2:2, sample 0 unparseable → sample 1's "yes"
    assert majority([None, None]) == "" and "earliest" in TIE_RULE
    m = marginal_from_answers(["no", "yes", "yes", "no"])  # p_yes = 2/4 = 0.5 → H = ln 2; tie → sample 0: "no"
    assert (m["answer"], m["p_yes"]) == ("no", 0.5) and m["entropy_binary"] == pytest.approx(LN2)


def test_expand_and_combine():
    batch = [{"id": 7, "text": "a"}, {"id": "x", "text": "b"}]
    wide = expand(batch, 3)
    assert [q["id"] for q in wide] == ["7#0", "7#1", "7#2", "x#0", "x#1", "x#2"] and wide[4]["text"] == "b"
    res = [{"id": q["id"], "answer": a, "reasoning": f"r{i}"} for i, (q, a) in
           enumerate(zip(wide, ["", "no", "no", "yes", "", "no"]))]
    out = combine(batch, res, 3)
    assert [r["id"] for r in out] == [7, "x"]
    assert out[0]["answers"] == [None, "no", "no"] and out[0]["answer"] == "no" and out[0]["reasoning"] == "r1"
    assert out[1]["answer"] == "yes" and out[1]["p_yes"] == 0.5 and out[1]["reasoning"] == "r3"  # 1:1 tie → "yes"
    assert {r["confidence"] for r in out} == {"marginal"}


# -- the runner with a fake CoT scorer --------------------------------------------------------------------------
def fake_cot(calls: list):
    """Sample j of question i answers "yes" if j < i mod 4, else "no"; question 6 never answers."""
    from eval_helpers import fake_cot as fake

    return fake(calls)


def test_marginal_run_rows_summary_and_identity(tmp_path):
    paths, calls = make_inputs(tmp_path), []  # questions 1..8, image 3 missing; label yes for odd ids
    run_trap(cfg_of(paths, noise="0", confidence="marginal", confidence_samples=4), fake_cot(calls))
    assert calls[0] == ["1#0", "1#1", "1#2", "1#3", "2#0", "2#1", "2#2", "2#3", "4#0", "4#1", "4#2", "4#3"]
    assert len(calls) == 3  # 7 questions in batches of 3 → 3 calls of 12, 12, 4 samples
    rows = {r["id"]: r for r in read_samples(Path(paths["out"]) / "samples.jsonl")}
    assert set(rows) == {1, 2, 4, 5, 6, 7, 8} and {r["confidence"] for r in rows.values()} == {"marginal"}
    r = rows[1]  # 1 mod 4 = 1: [yes, no, no, no] → p_yes = 1/4, majority "no", label "yes" → wrong
    assert r["answers"] == ["yes", "no", "no", "no"] and (r["answer"], r["p_yes"], r["p_no"]) == ("no", 0.25, 0.75)
    # H(1/4) = −(1/4 ln 1/4 + 3/4 ln 3/4) = 0.3465736 + 0.2157616 = 0.5623351
    assert r["entropy_binary"] == pytest.approx(0.5623351446) and r["correct"] is False
    assert r["reasoning"] == "cot 1#1"  # the earliest sample that said the majority answer
    r = rows[2]  # [yes, yes, no, no]: 2:2 tie → sample 0's "yes"; label "no" → wrong; H(1/2) = ln 2
    assert (r["answer"], r["p_yes"], r["correct"]) == ("yes", 0.5, False) and r["entropy_binary"] == pytest.approx(LN2)
    r = rows[7]  # 7 mod 4 = 3: [yes, yes, yes, no] → p_yes = 3/4, "yes", right
    assert (r["answer"], r["p_yes"], r["correct"]) == ("yes", 0.75, True)
    r = rows[6]  # never answers: unanswered, wrong, binary entropy ln 2
    assert (r["answer"], r["parse_status"], r["answers"]) == ("", "unparseable", [None] * 4)
    s = json.loads((Path(paths["out"]) / "summary.json").read_text())
    assert s["confidence"]["kind"] == "marginal" and s["confidence"]["samples"] == 4
    assert s["confidence"]["measured"] == {"marginal": 7} and s["confidence"]["note"] is None
    md = (Path(paths["out"]) / "report.md").read_text()
    assert "confidence: marginal (k = 4)" in md and "the answer is the majority, ties go to" in md
    # correct: 4 (no/no), 7 (yes/yes), 8 (all no, label no) → 3 of 7
    assert s["groups"][0]["accuracy"] == pytest.approx(3 / 7) and s["groups"][0]["n_unparseable"] == 1
    manifest = json.loads((Path(paths["out"]) / "manifest.json").read_text())
    assert manifest["confidence"] == {"kind": "marginal", "samples": 4} and s["run"]["confidence"] == \
        manifest["confidence"]
    with pytest.raises(InputError, match=r"a different --confidence .*refusing to mix"):
        run_trap(cfg_of(paths, noise="0"), fake_cot([]))
    other = make_inputs(tmp_path / "other")
    from hero.trap.compare import compare_runs
    from test_trap_run import fake_score

    run_trap(cfg_of(other, noise="0"), fake_score)  # a conditional run beside it

    compare_runs([paths["out"], other["out"]], tmp_path / "cmp", ["M", "C"], n_boot=20)
    md = (tmp_path / "cmp" / "report.md").read_text()
    assert "| M |" in md and "marginal (k = 4)" in md and "measured confidence differently" in md
    with pytest.raises(InputError, match=r"'samples': 4\}, now \{'kind': 'marginal', 'samples': 8\}"):
        run_trap(cfg_of(paths, noise="0", confidence="marginal"), fake_cot([]))
    again = []
    assert run_trap(cfg_of(paths, noise="0", confidence="marginal", confidence_samples=4),
                    fake_cot(again)).n_new == 0 and again == []  # same identity: resumes, nothing left


def test_marginal_of_an_answer_only_model_is_conditional(tmp_path):
    from test_trap_run import fake_score

    paths, calls = make_inputs(tmp_path), []

    def answer_fn(batch, degrade, temperature):
        calls.extend(q["id"] for q in batch)
        return fake_score(batch, degrade, temperature)
    answer_fn.settings = {"mode": "answer"}
    res = run_trap(cfg_of(paths, noise="0", confidence="marginal"), answer_fn)
    assert sorted(calls) == [1, 2, 4, 5, 6, 7, 8]  # asked once per question, no sampled copies
    assert res.summary["confidence"]["measured"] == {"conditional": 7}
    assert "answer-only model" in res.summary["confidence"]["note"]
    assert "confidence: answer-only model" in (Path(paths["out"]) / "report.md").read_text()
    rows = read_samples(Path(paths["out"]) / "samples.jsonl")
    assert {r["confidence"] for r in rows} == {"conditional"} and all("answers" not in r for r in rows)


def test_old_manifest_reads_as_conditional(tmp_path):
    from test_trap_run import fake_score

    paths = make_inputs(tmp_path)
    run_trap(cfg_of(paths), fake_score)
    mpath = Path(paths["out"]) / "manifest.json"
    m = json.loads(mpath.read_text())
    del m["confidence"]  # as written before --confidence existed
    mpath.write_text(json.dumps(m))
    assert run_trap(cfg_of(paths), fake_score).n_skipped == 14  # conditional: the same run, resumed
    assert json.loads(mpath.read_text())["confidence"] == {"kind": "conditional"}
    mpath.write_text(json.dumps(m))  # m: still without "confidence"
    with pytest.raises(InputError, match="a different --confidence"):
        run_trap(cfg_of(paths, confidence="marginal"), fake_score)


def test_confidence_validation(tmp_path):
    paths = make_inputs(tmp_path)
    with pytest.raises(ValueError, match="--confidence semantic needs --nli-model DIR"):
        TrapConfig(**paths, confidence="semantic")
    with pytest.raises(ValueError, match="--confidence 'entropy' is unknown"):
        TrapConfig(**paths, confidence="entropy")
    with pytest.raises(ValueError, match="--confidence-samples 1: marginal confidence needs ≥ 2"):
        TrapConfig(**paths, confidence="marginal", confidence_samples=1)


# -- the real CLI on a tiny CoT model ---------------------------------------------------------------------------
def test_cli_marginal_on_a_tiny_cot_model(tmp_path, one_torch_thread):
    from typer.testing import CliRunner

    from eval_helpers import cot_model
    from hero.cli.main import app

    world, model = cot_model(tmp_path)

    def trap(out: str, *extra: str):
        return CliRunner().invoke(app, [
            "trap", "--model", str(model), "--questions", str(world / "test/pope/world_test_pope_adversarial.json"),
            "--images", str(world / "test/images"), "--out", str(tmp_path / out), "--noise", "0", "--seed", "3",
            "--batch-size", "4", "--n-boot", "20", "--no-progress", *extra])

    res = trap("a", "--confidence", "marginal", "--confidence-samples", "3")
    assert res.exit_code == 0, res.output
    assert "confidence: marginal (k = 3 sampled CoTs per question)" in res.output
    rows = read_samples(tmp_path / "a" / "samples.jsonl")  # the scrambled model never says "Answer: yes/no",
    assert rows and all(r["confidence"] == "marginal" and len(r["answers"]) == 3 for r in rows)
    # so its answers are all null (unanswered rows): this test checks the plumbing, the values are checked above
    for r in rows:  # the row is the marginal distribution of its own 3 answers
        m = marginal_from_answers(r["answers"])
        assert (r["answer"], r["p_yes"], r["entropy_binary"]) == (m["answer"], m["p_yes"], m["entropy_binary"])
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert s["confidence"]["kind"] == "marginal" and s["confidence"]["samples"] == 3
    assert trap("b", "--confidence", "marginal", "--confidence-samples", "3").exit_code == 0
    assert read_samples(tmp_path / "b" / "samples.jsonl") == rows  # seeded: a rerun draws the same CoTs
    from hero.scoring import make_trap_scorer
    from hero.trap.confidence import expand

    image = sorted((world / "test/images").iterdir())[0]
    q = {"id": 1, "image": image.name, "image_path": str(image), "text": "Is there a cat?"}
    got = make_trap_scorer(model, seed=3, batch_size=4)(expand([q], 3), "none", 1.0)
    assert len({r["reasoning"] for r in got}) == 3  # the 3 samples of one question are distinct CoTs
    res = trap("a")  # conditional into the marginal run's folder
    assert res.exit_code == 2 and "a different --confidence" in res.output, res.output
    res = trap("c", "--confidence", "semantic")
    assert res.exit_code == 2 and "--confidence semantic needs --nli-model DIR" in res.output, res.output
