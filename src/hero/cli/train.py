"""`hero train` — training commands. Each trainer registers its command on `app` from its own module."""

from __future__ import annotations


from hero import options

app = options.group(
    help="Train models: `sft` (supervised, answer or CoT), `grpo` / `hero` / `dpo` (RL and preference baselines), `nli`.",
    no_args_is_help=True,
)

# Command modules register themselves on `app` (import for side effect). Add new trainers here.
from hero.cli import sft as _sft  # noqa: E402,F401
from hero.cli import rl as _rl  # noqa: E402,F401
from hero.cli import nli as _nli  # noqa: E402,F401
