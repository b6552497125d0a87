"""Reward functions for HERO's RL trainers, in TRL's reward-function form
`f(prompts, completions, **dataset_columns) -> list[float]`:

- `verifier.YesNoReward`: exact verifier for yes/no answers (reward 1/0; unparseable answers score 0 and are counted);
- `nli.NLIReward`: claims of the completion scored by an NLI model against a reference premise, mean p(entail) − p(contradict);
- `registry`: reward functions by name for `hero train grpo|hero --set reward=...` ("yes_no", "nli", "yes_no+nli",
  a user's "module:function"; `register_reward` adds one);
- `checks.checked`: wraps any reward function so NaN/inf or an out-of-range reward raises an error naming the function
  and the sample.
"""

from hero.rewards.checks import checked, completion_text
from hero.rewards.verifier import YesNoReward, parse_yes_no

__all__ = ["checked", "completion_text", "YesNoReward", "parse_yes_no"]
