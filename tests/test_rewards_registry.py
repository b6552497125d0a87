"""hero.rewards.registry: reward functions by name, '+' composition and a user's module:function."""

import sys

import pytest

from hero.rewards.nli import NLIReward
from hero.rewards.registry import REWARDS, check_spec, register_reward, reward_functions
from hero.rewards.verifier import YesNoReward
from hero.rl.settings import RLRunConfig

from test_rewards import tiny_nli


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A module `my_rewards` in tmp_path on sys.path, with a TRL-form reward and a function of the wrong form."""
    (tmp_path / "my_rewards.py").write_text(
        "def short(prompts, completions, **kwargs):\n"
        "    return [1.0 if len(c) <= 3 else 0.0 for c in completions]\n\n"
        "def no_kwargs(prompts, completions):\n"
        "    return [0.0 for _ in completions]\n\n"
        "LIMIT = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_rewards"
    sys.modules.pop("my_rewards", None)


def test_registered_names():
    assert REWARDS.names()[:2] == ["yes_no", "nli"] and REWARDS.meta("nli") == {"needs": ("nli_model",)}
    [f] = reward_functions("yes_no")
    assert isinstance(f, YesNoReward)
    assert f(["q", "q"], ["Answer: yes.", "no"], answer=["yes", "yes"]) == [1.0, 0.0]


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(ValueError, match=r"reward 'exact' is not registered; registered: yes_no, nli"):
        reward_functions("yes_no+exact")
    with pytest.raises(ValueError, match=r"reward 'exact' is not registered; registered: yes_no, nli"):
        RLRunConfig(method="hero", model="m", world="w", out="o", reward="exact")
    with pytest.raises(ValueError, match=r"reward='yes_no\+': give registered names"):
        check_spec("yes_no+")
    RLRunConfig(method="dpo", model="m", world="w", out="o", reward="exact")  # dpo has no reward functions


def test_yes_no_plus_nli_composes_in_order(tmp_path):
    model, tok = tiny_nli({0: "entailment", 1: "neutral", 2: "contradiction"})
    model.save_pretrained(tmp_path / "nli")
    tok.save_pretrained(tmp_path / "nli")
    with pytest.raises(ValueError, match=r"reward 'nli' needs nli_model=<...>"):
        reward_functions("yes_no+nli")
    funcs = reward_functions("yes_no+nli", nli_model=str(tmp_path / "nli"))
    assert [type(f) for f in funcs] == [YesNoReward, NLIReward] and funcs[1].premise_column == "reference"


def test_user_module_function(user_module):
    [f] = reward_functions(f"{user_module}:short")
    assert f(prompts=["p", "p"], completions=["yes", "maybe"]) == [1.0, 0.0]
    funcs = reward_functions(f"yes_no+{user_module}:short")
    assert isinstance(funcs[0], YesNoReward) and funcs[1] is f


def test_user_module_errors(user_module):
    with pytest.raises(ValueError, match=r"cannot import module 'no_such_rewards' .*PYTHONPATH"):
        reward_functions("no_such_rewards:f")
    with pytest.raises(ValueError, match=r"module 'my_rewards' \(.*my_rewards.py\) has no attribute 'long'; its "
                                         r"callables: no_kwargs, short"):
        reward_functions(f"{user_module}:long")
    with pytest.raises(ValueError, match=r"lacks \*\*kwargs. Write def f\(prompts, completions, \*\*kwargs\)"):
        reward_functions(f"{user_module}:no_kwargs")
    with pytest.raises(ValueError, match=r"'my_rewards:LIMIT' is not a function \(it is the int 3\)"):
        reward_functions(f"{user_module}:LIMIT")
    with pytest.raises(ValueError, match=r"write module:function"):
        reward_functions("my_rewards:")


def test_register_a_reward_by_name():
    @register_reward("test_always_one")
    def build(**options):
        return lambda prompts, completions, **kw: [1.0] * len(completions)

    try:
        [f] = reward_functions("test_always_one")
        assert f(["p"], ["c"]) == [1.0]
    finally:
        REWARDS.unregister("test_always_one")
    with pytest.raises(ValueError, match=r"'\+' joins rewards"):
        register_reward("a+b")
    with pytest.raises(ValueError, match=r"needs \['gpu'\], which are not reward options"):
        register_reward("x", needs=("gpu",))
