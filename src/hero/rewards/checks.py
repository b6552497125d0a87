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


class checked:  # noqa: N801 - used like a function: checked(f, 0, 1)
    """Wrap `func` so its rewards are validated against the declared range [low, high]; keeps `func`'s name for
    TRL's logs (`rewards/<name>/mean`)."""

    def __init__(self, func: Callable, low: float, high: float, name: str | None = None):
        if not low < high:
            raise ValueError(f"declared reward range [{low}, {high}] is empty; need low < high")
        self.func, self.low, self.high = func, low, high
        self.__name__ = name or getattr(func, "__name__", type(func).__name__)

    def __call__(self, prompts, completions, **kwargs):
        rewards = list(self.func(prompts=prompts, completions=completions, **kwargs))
        validate_rewards(self.__name__, rewards, prompts, completions, self.low, self.high)
        return rewards
