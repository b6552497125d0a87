"""`hero trap --confidence semantic`: greedy bidirectional-entailment clustering and discrete semantic entropy
(worked values), the wrapper with a stub entailment judge, the runner (rows, summary binning, identity, errors)
and the real CLI on a tiny CoT model with a tiny NLI model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hero.io import InputError
from hero.trap.confidence import marginal_from_answers
from hero.trap.run import TrapConfig, run_trap
from hero.trap.runfolder import read_samples
from hero.trap.semantic import (
    cluster_by_entailment, combine_semantic, entailed, entailment_matrix, judged_pairs, sample_text, semantic_entropy,
)
from hero.trap.summary import SummarySettings, summarize
from test_trap_run import cfg_of, make_inputs

T, F = True, False


# -- the pure core ----------------------------------------------------------------------------------------------
def test_clusters_and_entropy_of_four_samples():
    e = [[T, T, F, T],  # e[a][b] = sample a entails sample b
         [T, T, F, F],
         [F, F, T, F],
         [T, F, F, T]]
    # 0 opens cluster 0; 1 ↔ 0 → 0; 2 ↛ 0 → opens cluster 1; 3 ↔ 0 → 0 (3 vs 1 is never asked: 0 is the rep)
    labels = cluster_by_entailment(e)
    assert labels == [0, 0, 1, 0]
    # H = −(3/4 ln 3/4 + 1/4 ln 1/4) = 0.2157616 + 0.3465736 = 0.5623351
    assert semantic_entropy(labels) == pytest.approx(0.5623351446, abs=1e-9)


def test_entailment_must_go_both_ways_and_the_first_cluster_wins():
    # 1 entails 0 but 0 does not entail 1 → 1 opens cluster 1; 2 ↛ 0, 2 ↔ 1 → cluster 1
    labels = cluster_by_entailment([[T, F, F], [T, T, T], [F, T, T]])
    assert labels == [0, 1, 1]
    # H = −(1/3 ln 1/3 + 2/3 ln 2/3) = 0.3662041 + 0.2703101 = 0.6365142
    assert semantic_entropy(labels) == pytest.approx(0.6365141683, abs=1e-9)
    # 0 and 1 differ, 2 is mutual with both → joins the first cluster (0's)
    assert cluster_by_entailment([[T, F, T], [F, T, T], [T, T, T]]) == [0, 1, 0]
    assert cluster_by_entailment([[T] * 4] * 4) == [0, 0, 0, 0]  # all one meaning: H = −1 ln 1 = 0
    assert semantic_entropy([0, 0, 0, 0]) == 0.0 and math.copysign(1, semantic_entropy([0])) == 1.0
    none = [[a == b for b in range(4)] for a in range(4)]  # nothing entails anything else: 4 clusters
    assert cluster_by_entailment(none) == [0, 1, 2, 3]
    assert semantic_entropy([0, 1, 2, 3]) == pytest.approx(math.log(4))  # 4 · (−1/4 ln 1/4) = ln 4 = 1.3862944
    assert semantic_entropy([0, 0, 1, 1, 2, 2, 3, 3]) == pytest.approx(math.log(4))  # 4 · (−2/8 ln 2/8)
    with pytest.raises(ValueError, match="at least one"):
        semantic_entropy([])


def test_argmax_rule_pairs_matrix_and_text():
    # argmax per row: 0 (0.5), 2 (0.5), 1 (0.7) → entailment index 0 only for the first row
    assert entailed([[0.5, 0.3, 0.2], [0.4, 0.1, 0.5], [0.2, 0.7, 0.1]], 0) == [True, False, False]
    assert entailed([], 0) == []
    pairs = judged_pairs(["x", "y", "x"])  # (0, 2) and (2, 0) are identical texts: not asked
    assert pairs == [(0, 1), (1, 0), (1, 2), (2, 1)]
    assert entailment_matrix(["x", "y", "x"], pairs, [T, F, T, T]) == [[T, T, T], [F, T, T], [T, T, T]]
    assert sample_text({"reasoning": " A cat. Answer: yes ", "answer": "yes"}) == "A cat. Answer: yes"
    assert sample_text({"reasoning": None, "answer": "no"}) == "Answer: no"
    assert sample_text({"reasoning": "", "answer": ""}) == ""


# -- the wrapper with a stub judge ------------------------------------------------------------------------------
def same_last_word(calls: list | None = None):
    """Stub NLI judge: a entails b when their last words agree (the answer word after "Answer:")."""
    def entail(premises, hypotheses):
        if calls is not None:
            calls.append(len(premises))
        return [p.split()[-1:] == h.split()[-1:] for p, h in zip(premises, hypotheses)]
    return entail


def test_combine_semantic_with_a_stub_judge():
    batch = [{"id": "a"}, {"id": "b"}]
    texts = ["there is a cat. Answer: yes", "I see a cat. Answer: yes", "no cat here. Answer: no",
             "a cat is there. Answer: yes"] + ["Answer: no"] * 4
    res = [{"id": f"{q}#{j}", "answer": t.split()[-1], "reasoning": t}
           for q, t, j in zip(["a"] * 4 + ["b"] * 4, texts, [0, 1, 2, 3] * 2)]
    calls = []
    out = combine_semantic(batch, res, 4, same_last_word(calls))
    assert calls == [12]  # one call: 4 · 3 ordered pairs of a; b's four identical texts need none
    a, b = out
    assert a["semantic_cluster_ids"] == [0, 0, 1, 0] and a["semantic_clusters"] == 2
    assert a["entropy_semantic"] == pytest.approx(0.5623351446)  # as in the worked value above
    assert (a["p_yes"], a["answer"], a["confidence"]) == (0.75, "yes", "semantic")  # the marginal fields stay
    assert (b["semantic_cluster_ids"], b["semantic_clusters"], b["entropy_semantic"]) == ([0] * 4, 1, 0.0)
    with pytest.raises(ValueError, match="returned 0 verdicts for 12 pairs"):
        combine_semantic(batch, res, 4, lambda p, h: [])


# -- the runner -------------------------------------------------------------------------------------------------
def fake_cot(calls: list):
    """Sample j of question i answers "yes" if j < i mod 4, else "no", in distinct words; question 6 never
    answers (the same text each time)."""
    from eval_helpers import fake_cot as fake

    return fake(calls, lambda qid, j, a: f"thought {j}. Answer: {a}" if a else "I cannot tell.")


def nli_folder(tmp_path: Path) -> str:
    (tmp_path / "nli").mkdir()
    (tmp_path / "nli" / "config.json").write_text('{"model_type": "bert"}')
    return str(tmp_path / "nli")


def test_semantic_run_rows_summary_and_identity(tmp_path):
    paths, calls = make_inputs(tmp_path), []  # questions 1..8, image 3 missing; label yes for odd ids
    nli = nli_folder(tmp_path)
    cfg = dict(noise="0", confidence="semantic", confidence_samples=4, nli_model=nli)
    run_trap(cfg_of(paths, **cfg), fake_cot(calls), entail=same_last_word())
    assert len(calls) == 3 and len(calls[0]) == 12  # 7 questions in batches of 3, 4 samples each
    rows = {r["id"]: r for r in read_samples(Path(paths["out"]) / "samples.jsonl")}
    assert {r["confidence"] for r in rows.values()} == {"semantic"}
    r = rows[1]  # [yes, no, no, no]: marginal p_yes 1/4, answer "no"; meanings by answer → clusters [0, 1, 1, 1]
    assert (r["answer"], r["p_yes"], r["semantic_cluster_ids"], r["semantic_clusters"]) == ("no", 0.25,
                                                                                            [0, 1, 1, 1], 2)
    assert r["entropy_semantic"] == pytest.approx(0.5623351446)  # −(1/4 ln 1/4 + 3/4 ln 3/4)
    r = rows[6]  # never answers, one text → one cluster, H = 0 (while its binary entropy is ln 2)
    assert (r["semantic_clusters"], r["entropy_semantic"], r["entropy_binary"]) == (1, 0.0, pytest.approx(math.log(2)))
    for r in rows.values():  # this judge's meanings are the answers: semantic = marginal's entropy over answers
        assert r["entropy_semantic"] == pytest.approx(marginal_from_answers(r["answers"])["entropy_full"])
    s = json.loads((Path(paths["out"]) / "summary.json").read_text())
    assert (s["entropy_kind"], s["entropy_field"]) == ("semantic", "entropy_semantic")  # a semantic run's default
    assert s["groups"][0]["mean_entropy"] == pytest.approx(sum(r["entropy_semantic"] for r in rows.values()) / 7)
    c = s["confidence"]
    assert (c["kind"], c["samples"], c["measured"], c["note"]) == ("semantic", 4, {"semantic": 7}, None)
    assert "bidirectional" in c["clustering"]
    assert "semantic confidence:" in (Path(paths["out"]) / "report.md").read_text()
    man = json.loads((Path(paths["out"]) / "manifest.json").read_text())["confidence"]
    assert man["kind"] == "semantic" and man["samples"] == 4 and man["nli_model"] == str(Path(nli).resolve())
    assert man["nli_fingerprint"].startswith("sha256-bytes/1:") and s["run"]["confidence"] == man
    binned = run_trap(cfg_of(paths, **cfg, summary=SummarySettings(entropy="binary", n_boot=20)), fake_cot([]),
                      entail=same_last_word())  # same run, resumed; summarised by the answers' binary entropy
    assert binned.n_new == 0 and binned.summary["entropy_kind"] == "binary"
    (Path(nli) / "config.json").write_text('{"model_type": "bert", "changed": 1}')  # another NLI model
    with pytest.raises(InputError, match=r"a different --confidence .*--nli-model"):
        run_trap(cfg_of(paths, **cfg), fake_cot([]), entail=same_last_word())
    with pytest.raises(ValueError, match="needs an NLI judge"):
        run_trap(cfg_of(make_inputs(tmp_path / "b"), **cfg), fake_cot([]))


def test_semantic_of_an_answer_only_model(tmp_path):
    from test_trap_run import fake_score

    paths = make_inputs(tmp_path)

    def answer_fn(batch, degrade, temperature):
        return fake_score(batch, degrade, temperature)
    answer_fn.settings = {"mode": "answer"}
    res = run_trap(cfg_of(paths, noise="0", confidence="semantic", nli_model=nli_folder(tmp_path)), answer_fn)
    rows = read_samples(Path(paths["out"]) / "samples.jsonl")  # no judge was needed: nothing is sampled
    assert {r["confidence"] for r in rows} == {"conditional"} and all(r["semantic_clusters"] is None for r in rows)
    assert all(r["entropy_semantic"] == r["entropy_binary"] for r in rows)
    assert "semantic = marginal" in res.summary["confidence"]["note"] and res.summary["entropy_kind"] == "semantic"


def test_semantic_settings_errors(tmp_path):
    paths = make_inputs(tmp_path)
    with pytest.raises(ValueError, match=r"--confidence semantic needs --nli-model DIR"):
        TrapConfig(**paths, confidence="semantic")
    with pytest.raises(ValueError, match="--nli-model is only read by --confidence semantic"):
        TrapConfig(**paths, nli_model="nli")
    with pytest.raises(ValueError, match="--entropy semantic needs --confidence semantic"):
        TrapConfig(**paths, confidence="marginal", summary=SummarySettings(entropy="semantic"))
    with pytest.raises(ValueError, match="--confidence-samples 1: semantic confidence needs ≥ 2"):
        TrapConfig(**paths, confidence="semantic", confidence_samples=1, nli_model="nli")
    with pytest.raises(InputError, match=r"model folder not found.*\(--nli-model\)"):
        TrapConfig(**paths, confidence="semantic", nli_model=str(tmp_path / "none")).nli_identity()
    row = {"id": 1, "degrade": "none", "temperature": 1.0, "correct": True, "p_yes": 1.0, "p_no": 0.0,
           "answer": "yes", "entropy_binary": 0.0}
    with pytest.raises(ValueError, match="sample 1 has no entropy_semantic .* use --entropy binary or full"):
        summarize([row], entropy_kind="semantic")


# -- the real CLI on a tiny CoT model and a tiny NLI model ------------------------------------------------------
def tiny_nli(path: Path) -> Path:
    """An untrained word-level BERT NLI classifier (hero.rewards.nli_train's builders), saved in HF format."""
    from hero.rewards.nli_train import build_nli_model, build_nli_tokenizer

    tok = build_nli_tokenizer("there is a an no the i see answer yes : .".split(), ["red circle", "blue square"])
    build_nli_model(tok, hidden=32, layers=1, init_std=0.5, seed=2).save_pretrained(path)  # verdicts vary by text
    tok.save_pretrained(path)
    return path


def test_cli_semantic_on_a_tiny_cot_model(tmp_path, one_torch_thread):
    from typer.testing import CliRunner

    from eval_helpers import cot_model
    from hero.cli.main import app

    world, model = cot_model(tmp_path)
    nli = tiny_nli(tmp_path / "nli")

    def trap(out: str, *extra: str):
        return CliRunner().invoke(app, [
            "trap", "--model", str(model), "--questions", str(world / "test/pope/world_test_pope_adversarial.json"),
            "--images", str(world / "test/images"), "--out", str(tmp_path / out), "--noise", "0", "--seed", "3",
            "--batch-size", "4", "--n-boot", "20", "--no-progress", "--confidence", "semantic", *extra])

    res = trap("a")
    assert res.exit_code == 2 and "--confidence semantic needs --nli-model DIR" in res.output, res.output
    res = trap("a", "--nli-model", str(nli), "--confidence-samples", "3")
    assert res.exit_code == 0, res.output
    assert "entropy: semantic (nats); confidence: semantic (k = 3 sampled CoTs per question)" in res.output
    rows = read_samples(tmp_path / "a" / "samples.jsonl")
    assert rows and all(r["confidence"] == "semantic" and len(r["answers"]) == 3 for r in rows)
    for r in rows:  # consistent: k ids, clusters numbered 0.., 1 ≤ clusters ≤ k, H of the ids, 0 ≤ H ≤ ln k
        ids = r["semantic_cluster_ids"]
        assert len(ids) == 3 and r["semantic_clusters"] == max(ids) + 1 == len(set(ids)) <= 3
        assert r["entropy_semantic"] == pytest.approx(semantic_entropy(ids))
        assert 0.0 <= r["entropy_semantic"] <= math.log(3) + 1e-12
    assert len({r["semantic_clusters"] for r in rows}) > 1  # the NLI verdicts reach the clusters (they vary)
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert s["entropy_field"] == "entropy_semantic" and s["confidence"]["samples"] == 3
    assert s["run"]["confidence"]["nli_fingerprint"].startswith("sha256-bytes/1:")
