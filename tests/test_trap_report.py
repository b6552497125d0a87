"""Reports of `hero trap` from synthetic samples: files, embedded images, Markdown tables, the comparison."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from hero.trap.compare import summarize_runs, write_compare
from hero.trap.metrics import binary_entropy
from hero.trap.report import bins_table, fmt, fmt_bin, fmt_ci, render_md, write_report
from hero.trap.summary import summarize

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def synth(n=40, sigmas=(0, 30, 50), temps=(1.0,), seed=0):
    """Deterministic synthetic samples: confidence rises and accuracy falls with σ (a trapped model)."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in temps:
        for si, s in enumerate(sigmas):
            for i in range(n):
                label = "yes" if i % 2 == 0 else "no"
                correct = rng.random() < 0.9 - 0.2 * si
                answer = label if correct else ("no" if label == "yes" else "yes")
                conf = 0.5 + 0.5 * rng.beta(2 + 2 * si, 2)
                p_yes = conf if answer == "yes" else 1 - conf
                h = float(binary_entropy(p_yes))
                rows.append({"id": i, "sigma": s, "temperature": t, "answer": answer, "label": label,
                             "correct": bool(correct), "p_yes": p_yes, "p_no": 1 - p_yes, "entropy_binary": h,
                             "entropy_full": h + 0.5, "reasoning": None, "parse_status": "ok"})
    return rows


def test_formatting_helpers():
    assert fmt(None) == "—" and fmt(float("nan")) == "—" and fmt(0.12345) == "0.123"
    assert fmt_ci(0.5, [0.25, 0.75]) == "0.500 [0.250, 0.750]" and fmt_ci(None, None) == "—"
    assert fmt_bin({"lower": 0.0, "upper": 0.1}) == "[0, 0.1]"
    assert fmt_bin({"lower": 0.1, "upper": 0.2}) == "(0.1, 0.2]"
    assert fmt_bin({"lower": 0.6931, "upper": None}) == "> 0.693"


def test_bins_table_hides_empty_overflow_and_shows_empty_bins_as_dash():
    s = summarize(synth(n=10, sigmas=(0,)), n_boot=20)
    sec = bins_table(s["groups"], ["g"])
    assert sec[0] == "table" and len(sec[2]) == 7  # 7 bins, the empty overflow row left out
    md = render_md([sec])
    assert md.startswith("| entropy bin (nats) | g |\n|---|---|\n| [0, 0.1] |")


def test_single_report_files(tmp_path):
    samples = synth(temps=(0.7, 1.0))
    s = summarize(samples, n_boot=100)
    s["missing_images"] = {"count": 1, "ids": [99], "files": ["gone.png"]}
    files = write_report(tmp_path, s, samples, name="sft-model")
    html = files["html"].read_text()
    imgs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    # trend + 4 figures × 2 temperatures + temperature sweep = 10 embedded PNGs
    assert len(imgs) == 10 and all(base64.b64decode(b)[:8] == PNG_MAGIC for b in imgs)
    assert "<table>" in html and "gone.png" in html and "sft-model" in html
    md = files["md"].read_text()
    assert "| degradation | T | n | accuracy [95 % CI] |" in md
    links = re.findall(r"!\[[^\]]*\]\((plots/[^)]+\.png)\)", md)
    assert len(links) == 10 and all((tmp_path / p).read_bytes()[:8] == PNG_MAGIC for p in links)
    assert "| noise:30 | 0.7 | 40 |" in md  # headline row of σ = 30, T = 0.7
    assert "| 1 | noise | 0, 30, 50 |" in md  # trend row of T = 1


def test_report_with_no_samples(tmp_path):
    files = write_report(tmp_path, summarize([], n_boot=10), [], name="empty")
    assert "No samples to summarise" in files["html"].read_text()


def test_compare_report(tmp_path):
    loaded = [(name, {"run": {"model": f"/m/{name}", "questions": "q.json", "questions_sha256": "abc"}},
               synth(seed=k)) for k, name in enumerate(["SFT", "GRPO", "HERO"])]
    runs = summarize_runs(loaded, n_boot=50)
    files = write_compare(tmp_path, runs, ["/r/sft", "/r/grpo", "/r/hero"])
    html = files["html"].read_text()
    assert len(re.findall(r"data:image/png;base64,", html)) == 5  # trend + 4 figures, one temperature
    md = files["md"].read_text()
    assert "| run | degradation | T | n |" in md and "| SFT | none | 1 | 40 |" in md
    assert "| HERO | noise:50 | 1 | 40 |" in md
    assert "| entropy bin (nats) | SFT | GRPO | HERO |" in md
    data = json.loads(files["json"].read_text())
    assert [r["name"] for r in data["runs"]] == ["SFT", "GRPO", "HERO"] and data["runs"][0]["dir"] == "/r/sft"
    assert list(data["paired"]) == ["GRPO vs SFT", "HERO vs SFT"]
    assert list(data["paired"]["HERO vs SFT"]) == ["degrade=none,T=1.0", "degrade=noise:30,T=1.0",
                                                   "degrade=noise:50,T=1.0"]
    assert "| runs | group | n | diff | 95 % CI | p (McNemar) | only B / only A right |" in md


def test_compare_pairs_the_same_questions():
    from hero.trap.compare import paired_results

    def rows(correct):  # one group (σ = 0, T = 1); question i right or wrong
        return [{"id": i, "sigma": 0, "temperature": 1.0, "correct": c} for i, c in enumerate(correct)]

    a = rows([True, True, False, False, True])
    b = rows([True, False, True, True, True])[1:]  # B skipped question 0: pairs on questions 1-4 only
    res = paired_results([("A", {}, a), ("B", {}, b)])["B vs A"]["degrade=none,T=1.0"]
    # on questions 1-4: A right on {1, 4}, B right on {2, 3, 4} → diff = 3/4 − 2/4 = 0.25; only B: {2, 3}; only A: {1}
    assert (res["n"], res["diff"], res["a_only"], res["b_only"]) == (4, 0.25, 2, 1)
    assert res["p_mcnemar"] == 1.0  # 2 · (C(3,0) + C(3,1)) / 2³ = 1


def test_compare_refuses_mixed_settings_and_duplicate_names(tmp_path):
    a = ("A", summarize(synth(n=10), n_boot=20), synth(n=10))
    b = ("B", summarize(synth(n=10), n_boot=20, threshold=0.2), synth(n=10))
    with pytest.raises(ValueError, match="trap_threshold"):
        write_compare(tmp_path, [a, b])
    with pytest.raises(ValueError, match="distinct"):
        write_compare(tmp_path, [a, a])
