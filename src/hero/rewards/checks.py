"""Guards around reward functions: a NaN/inf reward or one outside the declared range is an error, never a silent
training signal. The error names the reward function and the sample (index, prompt and completion)."""

from __future__ import annotations

import math
from collections.abc import Callable


def completion_text(completion) -> str:
    """The text of a completion: a string, or TRL's conversational form [{"role": ..., "content": str | parts}]."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        parts = []
        for message in completion:
            content = message.get("content", "") if isinstance(message, dict) else message
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            parts.append(str(content))
        return " ".join(parts)
    raise TypeError(f"cannot read a completion of type {type(completion).__name__}: {completion!r:.80}")


def _snippet(x, n: int = 80) -> str:
    text = completion_text(x) if isinstance(x, (str, list)) else repr(x)
    return text if len(text) <= n else text[: n - 3] + "..."


def validate_rewards(name: str, rewards: list, prompts: list, completions: list, low: float, high: float) -> None:
    """Raise ValueError at the first reward that is NaN/inf or outside [low, high]; None (not applicable) passes."""
    if len(rewards) != len(completions):
        raise ValueError(f"reward function {name!r} returned {len(rewards)} rewards for {len(completions)} completions")
    for i, r in enumerate(rewards):
        if r is None:
            continue
        where = f"sample {i} (prompt {_snippet(prompts[i])!r}, completion {_snippet(completions[i])!r})"
        if not math.isfinite(float(r)):
            raise ValueError(f"reward function {name!r} returned {r} for {where}; rewards must be finite numbers")
        if not low <= float(r) <= high:
            raise ValueError(
                f"reward function {name!r} returned {r} for {where}, outside its declared range [{low}, {high}]"
            )


def callable_name(func) -> str:
    """A reward function's display name as TRL derives it: partials unwrapped, instances by `__name__` or class."""
    import functools

    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", type(func).__name__)


class checked:  # noqa: N801 - used like a function: checked(f, 0, 1)
    """Wrap `func` so its rewards are validated against the declared range [low, high]; keeps `func`'s name for
    TRL's logs (`rewards/<name>/mean`)."""

    def __init__(self, func: Callable, low: float, high: float, name: str | None = None):
        if not low < high:
            raise ValueError(f"declared reward range [{low}, {high}] is empty; need low < high")
        self.func, self.low, self.high = func, low, high
        self.__name__ = name or callable_name(func)

    def __call__(self, prompts, completions, **kwargs):
        rewards = list(self.func(prompts=prompts, completions=completions, **kwargs))
        validate_rewards(self.__name__, rewards, prompts, completions, self.low, self.high)
        return rewards


def guard_reward_funcs(funcs):
    """Wrap each plain reward callable in `checked`: its declared range from `low` / `high` attributes when it has
    them (YesNoReward, NLIReward), else (−inf, inf), i.e. NaN/inf only. Model ids (str), reward models (nn.Module),
    async callables and already-checked functions pass through unchanged. Accepts one function or a list."""
    import functools
    import inspect

    def wrap(f):
        if isinstance(f, (str, checked)) or not callable(f) or hasattr(f, "forward"):
            return f
        call = f
        while isinstance(call, functools.partial):
            call = call.func
        if inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(getattr(call, "__call__", None)):
            return f
        return checked(f, getattr(f, "low", -math.inf), getattr(f, "high", math.inf))

    if funcs is None:
        return None
    return [wrap(f) for f in funcs] if isinstance(funcs, list) else wrap(funcs)
