"""CHAIR's opt-in synonym bigrams: multi-word categories of the world's synonyms.txt are found; default official."""

from __future__ import annotations

from hero.official.chair import DOUBLE_WORDS, Synonyms, caption_to_words, evaluate_chair, synonym_bigram_table

WORLD = "red circle, red circles\nblue square, blue squares\ngreen triangle, green triangles\n"


def test_world_bigrams_found_only_when_opted_in():
    caption = "There are two red circles, a blue square and no green star."
    official = Synonyms.from_text(WORLD)
    assert official.double_words is DOUBLE_WORDS
    assert caption_to_words(caption, official)[0] == []  # "red" and "circle" alone are not in the vocabulary
    opted = Synonyms.from_text(WORLD, synonym_bigrams=True)
    words, nodes, idxs, merged = caption_to_words(caption, opted)
    # tokens: there are two red circles , a blue square and no green star .  → singular, then pairs merged
    assert merged == ["there", "are", "two", "red circle", ",", "a", "blue square", "and", "no", "green", "star", "."]
    assert words == ["red circle", "blue square"] and nodes == ["red circle", "blue square"] and idxs == [3, 6]


def test_bigram_table_keeps_official_entries_first():
    table = synonym_bigram_table(["toilet seat", "red circle", "red circles", "motor bike"])
    assert table == {"toilet seat": "toilet seat", "red circle": "red circle", "motor bike": "motor bike"}
    syn = Synonyms.from_text("toilet, toilet seat\nred circle, red circles\n", synonym_bigrams=True)
    assert syn.double_words["toilet seat"] == "toilet"  # the official rule wins over the file's entry
    assert syn.double_words["red circle"] == "red circle"


def test_chair_counts_on_world_bigrams():
    syn = Synonyms.from_text(WORLD, synonym_bigrams=True)
    caps = [{"image_id": 1, "caption": "There is a red circle and a green triangle."},
            {"image_id": 2, "caption": "There is a blue square."}]
    gt = {1: {"red circle"}, 2: {"blue square"}}
    metrics, _ = evaluate_chair(caps, gt, syn)
    # mentions: red circle ✓, green triangle ✗ (image 1), blue square ✓ → CHAIR_i = 1/3, CHAIR_s = 1/2
    assert metrics["n_mentions"] == 3 and metrics["n_hallucinated_mentions"] == 1
    assert metrics["CHAIRi"] == 33.3 and metrics["CHAIRs"] == 50.0
