"""The wall-clock training budget of `hero train sft` and `hero train grpo|hero|dpo`: a clock of training seconds
(pausable, so probe evaluations do not count; carried across a resume) and the per-checkpoint state file
`hero_state.json` that carries it ({"seconds": used, "step": ..., plus whatever else the run keeps there}).

    clock = BudgetClock(budget_s=90.0, max_steps=0, used_s=read_state(ckpt).get("seconds", 0.0))
    clock.start(); ...; clock.spent()            # True once 90 s of training are used
    write_state(ckpt, {"seconds": clock.elapsed(), "step": 12})
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from hero.io import InputError, write_json_atomic

STATE_FILE = "hero_state.json"
"""Per-checkpoint run state, written next to the trainer's own files in checkpoint-N/."""
OLD_STATE_FILES = ("hero_run.json",)
"""Names RL checkpoints used before; read when STATE_FILE is absent, so older runs resume with their clock."""


class BudgetClock:
    """Training seconds used so far: `used_s` from earlier sessions plus the running interval since `start()`."""

    def __init__(self, budget_s: float, max_steps: int = 0, used_s: float = 0.0):
        if budget_s <= 0:
            raise ValueError(f"budget_s={budget_s}: the training budget must be > 0 seconds")
        self.budget_s, self.max_steps, self.used = float(budget_s), int(max_steps), float(used_s)
        self.step = 0
        self._t: float | None = None

    def start(self) -> None:
        self._t = time.perf_counter()

    def pause(self) -> None:
        if self._t is not None:
            self.used += time.perf_counter() - self._t
            self._t = None

    def elapsed(self) -> float:
        return self.used + (time.perf_counter() - self._t if self._t is not None else 0.0)

    def frac_done(self) -> float:
        """Fraction of the run done: time used / budget, or step / max_steps when that is further (max_steps > 0)."""
        return frac_done(self.elapsed(), self.budget_s, self.step, self.max_steps)

    def spent(self) -> bool:
        """True once the time budget is used (the step limit is the trainer's own `max_steps`)."""
        return self.elapsed() >= self.budget_s


def frac_done(seconds: float, budget_s: float, step: int = 0, max_steps: int = 0) -> float:
    """max(seconds / budget_s, step / max_steps) (the second only when max_steps > 0); not clamped.
    frac_done(30, 120) = 0.25; frac_done(30, 120, step=5, max_steps=10) = 0.5."""
    frac = seconds / budget_s
    return max(frac, step / max_steps) if max_steps else frac


def write_state(ckpt: Path | str, state: dict) -> None:
    """Write `state` to ckpt/hero_state.json atomically (a crash never leaves half a file for --resume to read)."""
    write_json_atomic(Path(ckpt) / STATE_FILE, state)


def read_state(ckpt: Path | str | None) -> dict:
    """The state saved in a checkpoint folder; {} for a fresh run (None) or a checkpoint without the file."""
    if ckpt is None:
        return {}
    path = next((Path(ckpt) / n for n in (STATE_FILE, *OLD_STATE_FILES) if (Path(ckpt) / n).is_file()), None)
    if path is None:
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: malformed JSON ({e.msg}); delete the checkpoint folder "
                         f"{Path(ckpt).name} to resume from the one before") from None
    if not isinstance(state, dict):
        raise InputError(f"{path}: expected a JSON object of run state, got {type(state).__name__}")
    return state
