"""hero.budget: the training clock and the per-checkpoint state file shared by SFT and RL."""

import pytest

from hero.budget import STATE_FILE, BudgetClock, frac_done, read_state, write_state
from hero.io import InputError


def test_frac_done_time_or_steps_whichever_is_further():
    assert frac_done(30.0, 120.0) == 0.25  # 30 / 120
    assert frac_done(30.0, 120.0, step=5, max_steps=10) == 0.5  # max(0.25, 5 / 10)
    assert frac_done(90.0, 120.0, step=5, max_steps=10) == 0.75  # max(0.75, 0.5)


def test_clock_counts_used_seconds_while_paused():
    clock = BudgetClock(120.0, max_steps=10, used_s=60.0)  # never started: elapsed is exactly the carried time
    assert clock.elapsed() == 60.0 and clock.frac_done() == 0.5 and not clock.spent()
    clock.step = 8
    assert clock.frac_done() == 0.8  # max(60 / 120, 8 / 10)
    assert BudgetClock(120.0, used_s=120.0).spent()
    with pytest.raises(ValueError, match="must be > 0"):
        BudgetClock(0.0)


def test_state_round_trip_and_errors(tmp_path):
    assert read_state(None) == {} and read_state(tmp_path) == {}
    write_state(tmp_path, {"seconds": 12.5, "step": 3})
    assert read_state(tmp_path) == {"seconds": 12.5, "step": 3}
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]  # no temporary file left behind
    (tmp_path / STATE_FILE).write_text('{"seconds": ')
    with pytest.raises(InputError, match=r"hero_state.json:1: malformed JSON"):
        read_state(tmp_path)


def test_read_state_falls_back_to_the_old_rl_state_file(tmp_path):
    from hero.budget import read_state

    (tmp_path / "hero_run.json").write_text('{"seconds": 12.5, "step": 3}')
    assert read_state(tmp_path) == {"seconds": 12.5, "step": 3}
    (tmp_path / "hero_state.json").write_text('{"seconds": 1.0}')
    assert read_state(tmp_path) == {"seconds": 1.0}
