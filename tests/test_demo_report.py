"""Demo report pieces: replication table cells from hand-made rows, trap cells from a summary, curves PNG."""

from __future__ import annotations

import pytest

from hero.demo.report import ema, replication_table, training_curves, trap_cells


def test_trap_cells_and_table():
    summary = {"groups": [
        {"degrade": "none", "sigma": 0, "temperature": 1.0, "accuracy": 0.9, "mean_entropy": 0.2,
         "trap": {"accuracy": 0.95, "ci": [0.9, 0.99], "share": 0.8, "count": 80}},
        {"degrade": "noise:50", "sigma": 50, "temperature": 1.0, "accuracy": 0.6, "mean_entropy": 0.1,
         "trap": {"accuracy": 0.5, "ci": [0.4, 0.6], "share": 0.9, "count": 90}},
        {"degrade": "blur:1", "sigma": None, "temperature": 1.0, "accuracy": 0.2, "mean_entropy": 0.1,
         "trap": {"accuracy": 0.1, "ci": [0.0, 0.2], "share": 0.9, "count": 90}},
        {"degrade": "none", "sigma": 0, "temperature": 1.5, "accuracy": 0.1, "mean_entropy": 0.6,
         "trap": {"accuracy": None, "ci": None, "share": 0.0, "count": 0}}]}
    cells = trap_cells(summary)
    assert set(cells) == {"0", "50"} and cells["50"]["accuracy"] == 0.5
    grain = {"groups": [{**summary["groups"][1], "degrade": "grain:50", "sigma": None}]}  # grain's σ = 50 level
    assert trap_cells(grain)["50"]["accuracy"] == 0.5
    assert trap_cells(summary, 1.5)["0"]["accuracy"] is None
    kind, headers, body = replication_table({"SFT": {"trap": cells, "pope": {"random": {"accuracy": 0.8, "f1": 0.75}},
                                                     "amber": {"CHAIR": 12.3}, "train_minutes": 1.5}})
    row = dict(zip(headers, body[0]))
    assert row["trap acc σ=50 [95% CI] (share)"] == "0.500 [0.400, 0.600] (0.90)"
    assert row["trap acc σ=30 [95% CI] (share)"] == "—"  # not measured is not 0
    assert row["POPE ran acc / F1"] == "0.800 / 0.750" and row["POPE adv acc / F1"] == "—"
    assert row["AMBER CHAIR"] == "12.3" and row["train min"] == "1.50" and row["THRONE F½ (P / R)"] == "—"


def test_throne_cells_take_the_majority_threshold():
    from hero.demo.run import throne_cells

    scores = {"micro": {"thresholds": {"3": {"P": 0.9, "R": 0.5, "F0_5": 0.7}, "2": {"P": 0.8, "R": 0.6, "F0_5": 0.75}}}}
    assert throne_cells(scores) == {"P": 0.8, "R": 0.6, "F0_5": 0.75}  # 2 of 3 votes: the lowest threshold
    assert throne_cells(None) == {} and throne_cells({"micro": {}}) == {}
    _, headers, body = replication_table({"HERO": {"throne": throne_cells(scores)}})
    assert dict(zip(headers, body[0]))["THRONE F½ (P / R)"] == "0.750 (0.800 / 0.600)"


def test_training_curves_png():
    png = training_curves({"HERO": [{"step": 1, "reward": 0.5, "hero/beta": 0.04}, {"step": 2, "reward": 0.6},
                                    {"step": 3, "reward": float("nan"), "kl": None}]})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_ema_is_bias_corrected():
    # weights 0.5: s1 = (0.5·0 + 10) / 1.5 = 6.667; s2 = (0.25·0 + 0.5·10 + 10) / 1.75 = 8.571
    assert ema([0, 10, 10], 0.5) == pytest.approx([0.0, 10 / 1.5, 15 / 1.75])
    assert ema([3.0, 3.0, 3.0]) == pytest.approx([3.0, 3.0, 3.0])  # a constant stays constant from the first step
    assert ema([1.0, 2.0], 0.0) == [1.0, 2.0] and ema([]) == []  # weight 0 = the raw values
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        ema([1.0], 1.0)


def test_rl_row_and_section():
    from hero.demo.report import rl_row, rl_section

    summary = {"steps": 12, "beta": 0.041, "gated_share": 0.25, "kl_final": 0.03, "kl_mean": 0.02,
               "hard_negative_share": None, "seconds": 9.0}
    row = rl_row(summary)
    assert row == {"steps": 12, "gated_share": 0.25, "hard_negative_share": None, "beta": 0.041, "kl_final": 0.03,
                   "kl_mean": 0.02}
    assert rl_row(None) == dict.fromkeys(row)
    (_, title), _, (kind, heads, body) = rl_section({"hero": row, "dpo": rl_row({"steps": 5, "beta": 0.1})})
    assert title == "RL runs" and kind == "table" and heads[:3] == ["RL run", "steps", "gated share"]
    assert body[0][:3] == ["hero", "12", "0.250"] and body[0][3] == "—" and body[1][2] == "—"
