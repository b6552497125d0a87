"""Exact verifier for yes/no answers.

A completion's answer is the LAST "answer: yes|no" / "answer is yes|no" in it (case-insensitive; CoT completions end
with it), or else the whole completion when it is a bare "yes"/"no" (punctuation around it allowed). Anything else
is unparseable: reward 0, counted in `unparseable` and logged as `yes_no_unparseable_frac`.
"""

from __future__ import annotations

import re

from hero.rewards.checks import completion_text

_ANSWER = re.compile(r"\banswer\s*(?::|is)?\s*(yes|no)\b", re.IGNORECASE)
_BARE = re.compile(r"^\W*(yes|no)\W*$", re.IGNORECASE)


def parse_yes_no(text: str) -> str | None:
    """'yes', 'no' or None (unparseable)."""
    found = _ANSWER.findall(text)
    if found:
        return found[-1].lower()
    bare = _BARE.match(text)
    return bare.group(1).lower() if bare else None


class YesNoReward:
    """TRL reward function: 1.0 if the parsed answer equals the reference column `answer_column`, else 0.0."""

    low, high = 0.0, 1.0

    def __init__(self, answer_column: str = "answer"):
        self.answer_column = answer_column
        self.unparseable = 0
        self.total = 0
        self.__name__ = "yes_no_exact"

    def __call__(self, prompts, completions, log_metric=None, **kwargs):
        if self.answer_column not in kwargs:
            raise ValueError(
                f"YesNoReward needs the dataset column {self.answer_column!r} (the reference yes/no answer); "
                f"the batch has columns {sorted(k for k in kwargs if not k.startswith(('trainer_', 'log_')))}"
            )
        rewards, bad = [], 0
        for i, (completion, ref) in enumerate(zip(completions, kwargs[self.answer_column], strict=True)):
            want = parse_yes_no(str(ref))
            if want is None:
                raise ValueError(f"sample {i}: reference answer {ref!r} in column {self.answer_column!r} is not "
                                 "yes/no; fix the dataset")
            got = parse_yes_no(completion_text(completion))
            bad += got is None
            rewards.append(1.0 if got == want else 0.0)
        self.unparseable += bad
        self.total += len(rewards)
        if log_metric is not None and rewards:
            log_metric("yes_no_unparseable_frac", bad / len(rewards))
        return rewards
