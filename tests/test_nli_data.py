"""NLI pairs for the world: claim rendering, closed-world labels, the neutral class, balance, vocabulary."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from hero.rewards.nli import split_claims
from hero.rewards.nli_data import (
    ATTRIBUTES,
    CON,
    ENT,
    NEU,
    RELATIONS,
    Claim,
    claim_options,
    heldout_pairs,
    label_claim,
    nli_words,
    pair_stream,
    premise,
    sample_claim,
    scene_pairs,
)

WORLD4 = ["red circle", "red square", "blue circle", "blue square"]
SCENE = ["red circle", "blue square"]


def test_claim_text_is_what_the_reward_hands_the_model():
    assert Claim("exists", ("red circle",)).text() == "There is a red circle"
    assert Claim("exists", ("red circle", "blue square", "yellow circle"), "I see").text() == \
        "I see a red circle, a blue square and a yellow circle"
    assert Claim("not_exists", ("red circle",)).text() == "There is no red circle"
    assert Claim("attribute", ("red circle",), "at the top").text() == "The red circle is at the top"
    assert Claim("relation", ("red circle", "blue square"), "above").text() == "The red circle is above the blue square"
    # a rendered claim survives the reward's sentence splitter unchanged (the premise keeps its period)
    for c in ("There is a red circle", "I see a red circle, a blue square and a yellow circle"):
        assert split_claims(c + ".") == [c]
    assert premise(SCENE) == "There is a red circle and a blue square."
    with pytest.raises(ValueError, match="unknown claim kind"):
        Claim("colour", ("red circle",)).text()


def test_closed_world_labels_on_a_hand_made_scene():
    # scene: red circle, blue square (world of 4); absent: red square, blue circle
    expected = [
        (Claim("exists", ("red circle",)), ENT),
        (Claim("exists", ("blue circle",)), CON),  # not listed ⇒ absent (closed world)
        (Claim("exists", ("red circle", "blue square"), "I see"), ENT),
        (Claim("exists", ("red circle", "red square")), CON),  # one absent object suffices
        (Claim("not_exists", ("red square",)), ENT),
        (Claim("not_exists", ("blue square",)), CON),
        (Claim("attribute", ("red circle",), "large"), NEU),  # sizes are never described
        (Claim("attribute", ("blue circle",), "large"), CON),  # presupposes an absent object
        (Claim("relation", ("blue square", "red circle"), "above"), NEU),
        (Claim("relation", ("blue square", "blue circle"), "above"), CON),
        (Claim("relation", ("red square", "blue circle"), "next to"), CON),
    ]
    assert [label_claim(SCENE, c) for c, _ in expected] == [y for _, y in expected]


def test_claim_options_per_class():
    assert claim_options(SCENE, ["red square", "blue circle"], ENT) == ["exists_p", "exists_pp", "not_exists_a"]
    assert claim_options(SCENE, ["red square", "blue circle"], NEU) == ["attribute_p", "relation_pp"]
    assert claim_options(SCENE, ["red square", "blue circle"], CON) == \
        ["exists_a", "exists_mixed", "not_exists_p", "attribute_a", "relation_a"]
    # one object, nothing absent: no pair-of-present or absent recipes
    assert claim_options(["red circle"], [], ENT) == ["exists_p"]
    assert claim_options(["red circle"], [], NEU) == ["attribute_p"]
    assert claim_options(["red circle"], [], CON) == ["not_exists_p"]
    with pytest.raises(ValueError, match="at least one object"):
        sample_claim(random.Random(0), [], ["red circle"], NEU)


def test_every_claim_of_a_one_object_scene_exactly():
    # scene [red circle] in the world {red circle, blue circle}: the complete claim sets per class
    rng, absent = random.Random(0), ["blue circle"]
    drawn = {y: {sample_claim(rng, ["red circle"], absent, y).text() for _ in range(3000)} for y in (ENT, NEU, CON)}
    both = ["a red circle and a blue circle", "a blue circle and a red circle"]
    assert drawn[ENT] == {"There is a red circle", "I see a red circle", "There is no blue circle"}
    assert drawn[NEU] == {f"The red circle is {a}" for a in ATTRIBUTES}
    assert drawn[CON] == ({"There is a blue circle", "I see a blue circle", "There is no red circle"}
                          | {f"{p} {b}" for p in ("There is", "I see") for b in both}
                          | {f"The blue circle is {a}" for a in ATTRIBUTES}
                          | {f"The {x} is {r} the {y}" for r in RELATIONS
                             for x, y in (("red circle", "blue circle"), ("blue circle", "red circle"))})


def test_scene_pairs_and_heldout_are_exactly_balanced_and_correct():
    pairs = scene_pairs(random.Random(3), SCENE, WORLD4, per_label=2)
    assert [y for _, _, y in pairs] == [ENT, ENT, NEU, NEU, CON, CON]
    assert {p for p, _, _ in pairs} == {"There is a red circle and a blue square."}
    held = heldout_pairs([SCENE, ["blue circle"], WORLD4[:3]], WORLD4, seed=1, per_label=2)
    assert len(held) == 18 and Counter(y for _, _, y in held) == {ENT: 6, NEU: 6, CON: 6}
    assert held == heldout_pairs([SCENE, ["blue circle"], WORLD4[:3]], WORLD4, seed=1, per_label=2)  # seeded


def test_pair_stream_is_balanced_seeded_and_labels_agree():
    scenes = [SCENE, ["blue circle"], ["red square", "blue circle", "red circle"]]
    stream = pair_stream(scenes, WORLD4, seed=0)
    draws = [next(stream) for _ in range(3000)]
    counts = Counter(y for _, _, y in draws)
    assert all(900 <= counts[y] <= 1100 for y in (ENT, NEU, CON)), counts  # 1000 ± 3.9 sd
    again = pair_stream(scenes, WORLD4, seed=0)
    assert [next(again) for _ in range(50)] == draws[:50]
    # the first round visits every scene once
    assert sorted(p for p, _, _ in draws[:3]) == sorted(premise(s) for s in scenes)
    with pytest.raises(ValueError, match="train split is empty"):
        next(pair_stream([], WORLD4, seed=0))


def test_nli_words_cover_every_premise_and_claim():
    import re

    from hero.world import WorldConfig
    from hero.world.text import WORD_RE

    cfg = WorldConfig()
    words = set(nli_words(cfg.colours, cfg.shapes))
    stream = pair_stream([cfg.categories[:4], cfg.categories[5:6], cfg.categories[-3:]], cfg.categories, seed=0)
    for _ in range(500):
        p, c, _ = next(stream)
        assert set(re.findall(WORD_RE, (p + " " + c).lower())) <= words
