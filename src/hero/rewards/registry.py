"""Reward functions by name, for `hero train grpo|hero --set reward=...`.

A reward spec is one or more parts joined by "+" (their rewards are summed by TRL): a registered name ("yes_no",
"nli") or a user's function "package.module:function", imported. Every part becomes a TRL-form reward
`f(prompts, completions, **dataset_columns) -> list[float]`.

    reward_functions("yes_no")                          # [YesNoReward("answer")]
    reward_functions("yes_no+nli", nli_model="runs/nli")  # [YesNoReward, NLIReward]
    reward_functions("my_rewards:length_penalty")       # [my_rewards.length_penalty]

Register a builder with `@register_reward("name", needs=("nli_model",))`: it receives the run's reward options
(`nli_model`) as keywords and returns the reward function; `needs` names the options that must be set.
"""

from __future__ import annotations

import importlib
import inspect

from hero.registry import Registry

REWARDS = Registry("reward")
OPTIONS = ("nli_model",)
"""The run options a reward builder may read (fields of RLRunConfig)."""


def register_reward(name: str, *, needs: tuple[str, ...] = (), replace: bool = False):
    """Decorator: register `builder(**options) -> reward function` under `name` (no "+" or ":" in it)."""
    if "+" in name or ":" in name:
        raise ValueError(f"reward name {name!r}: '+' joins rewards and ':' marks module:function; pick a plain name")
    unknown = [n for n in needs if n not in OPTIONS]
    if unknown:
        raise ValueError(f"reward {name!r} needs {unknown}, which are not reward options; use some of {OPTIONS}")
    return REWARDS.register(name, replace=replace, needs=tuple(needs))


@register_reward("yes_no")
def _yes_no(**options):
    """Exact verifier of the parsed yes/no answer against the dataset column "answer" (1 right, 0 otherwise)."""
    from hero.rewards.verifier import YesNoReward

    return YesNoReward("answer")


@register_reward("nli", needs=("nli_model",))
def _nli(nli_model=None, **options):
    """NLI claims reward of the completion against the ground-truth caption (dataset column "reference")."""
    from hero.rewards.nli import NLIReward

    return NLIReward.from_pretrained(nli_model, premise_column="reference")


def spec_parts(spec: str) -> list[str]:
    """"yes_no+nli" → ["yes_no", "nli"]; ValueError for an empty spec or an empty part."""
    parts = [p.strip() for p in str(spec).split("+")]
    if not spec or not all(parts):
        raise ValueError(f"reward={spec!r}: give registered names ({', '.join(REWARDS.names())}) or "
                         "module:function, joined by '+', e.g. 'yes_no+nli'")
    return parts


def load_user_reward(part: str):
    """The function `function` of module `module` named by "module:function", checked to be a TRL-form reward."""
    module_name, _, attr = part.partition(":")
    if not module_name or not attr:
        raise ValueError(f"reward {part!r}: write module:function, e.g. my_rewards:length_penalty")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(f"reward {part!r}: cannot import module {module_name!r} ({e}); put its folder on "
                         "PYTHONPATH or fix the module name") from None
    func = module
    for name in attr.split("."):
        if not hasattr(func, name):
            public = sorted(n for n in vars(module) if not n.startswith("_") and callable(getattr(module, n)))
            raise ValueError(f"reward {part!r}: module {module_name!r} ({getattr(module, '__file__', '?')}) has no "
                             f"attribute {attr!r}; its callables: {', '.join(public) or '(none)'}")
        func = getattr(func, name)
    check_trl_form(func, part)
    return func


def check_trl_form(func, part: str) -> None:
    """ValueError unless `func` can be called as f(prompts=..., completions=..., **dataset_columns)."""
    if not callable(func):
        raise ValueError(f"reward {part!r} is not a function (it is the {type(func).__name__} {func!r:.40}); a "
                         "reward is f(prompts, completions, **kwargs) -> list[float]")
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return  # builtins without a signature: TRL's call is the test
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    missing = [n for n in ("prompts", "completions") if n not in names and not var_kw]
    if missing or not var_kw:
        raise ValueError(f"reward {part!r}: TRL calls it as f(prompts=..., completions=..., **dataset_columns); "
                         f"its signature {inspect.signature(func)} lacks "
                         f"{' and '.join(missing + ([] if var_kw else ['**kwargs']))}. Write def f(prompts, "
                         "completions, **kwargs) -> list[float]")


def check_spec(spec: str, **options) -> None:
    """Validate a reward spec without building anything heavy: names registered (the error lists them), user
    functions importable and TRL-form, the options each registered part needs set."""
    for part in spec_parts(spec):
        if ":" in part:
            load_user_reward(part)
            continue
        if part not in REWARDS:
            raise ValueError(f"reward {part!r} is not registered; registered: {', '.join(REWARDS.names())}, or "
                             "give a function as module:function")
        unset = [n for n in REWARDS.meta(part)["needs"] if not options.get(n)]
        if unset:
            raise ValueError(f"reward {part!r} needs {' and '.join(f'{n}=<...>' for n in unset)} (nli_model: the "
                             "folder of an NLI classifier, e.g. from `hero train nli`)")


def reward_functions(spec: str, **options) -> list:
    """The reward functions of `spec`, in order (see the module docstring); `options`: nli_model."""
    check_spec(spec, **options)
    return [load_user_reward(p) if ":" in p else REWARDS.get(p)(**options) for p in spec_parts(spec)]
