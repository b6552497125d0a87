"""CHAIR scoring: singularisation quirks of pattern, the bigram table, the toilet/seat rule, the official synonyms
file, and hand-computed CHAIR_s / CHAIR_i."""

from __future__ import annotations

from pathlib import Path

import pytest

from hero.official.chair import (
    DOUBLE_WORDS,
    Synonyms,
    caption_to_words,
    evaluate_chair_files,
    ground_truth_objects,
    parse_caption_file,
    score_chair,
    singularize,
)

SYNONYMS = Path(__file__).parents[2] / "shared" / "benchmarks" / "chair" / "synonyms.txt"

MINI = Synonyms.from_text("person, girl, boy, man, woman\nbus, minibus\ncat, kitten\ndog, puppy\n"
                          "couch, sofa\ntoilet, urinal\nchair, seat, stool\nhot dog\nwine glass\n")


@pytest.fixture(scope="module")
def syn():
    if not SYNONYMS.exists():
        pytest.skip(f"official CHAIR synonyms file not found at {SYNONYMS}")
    return Synonyms.from_text(SYNONYMS.read_text())


@pytest.mark.parametrize("word,singular", [
    ("bus", "bu"), ("buses", "bus"), ("glass", "glas"), ("glasses", "glass"), ("ties", "ty"),
    ("people", "person"), ("children", "child"), ("skis", "ski"), ("sheep", "sheep"), ("scissors", "scissors"),
    ("canoes", "cano"), ("dogs", "dog"), ("men", "man"), ("knives", "knife"), ("mice", "mouse"), ("a", "a"),
])
def test_singularize_follows_pattern(word, singular):
    assert singularize(word) == singular


def test_double_word_table():
    assert DOUBLE_WORDS["baby elephant"] == "elephant" and DOUBLE_WORDS["adult cub"] == "cub"
    assert DOUBLE_WORDS["passenger jet"] == "jet" and DOUBLE_WORDS["bow tie"] == "tie"
    assert DOUBLE_WORDS["toilet seat"] == "toilet" and DOUBLE_WORDS["wine glas"] == "wine glass"
    assert DOUBLE_WORDS["train track"] == "train track" and DOUBLE_WORDS["home plate"] == "home plate"
    assert len(DOUBLE_WORDS) == 26 + 24 + 2 + 3   # 26 doubles + baby/adult x 12 + 2 passenger + 3 special


def test_official_synonyms_file_loads(syn):
    assert len(SYNONYMS.read_text().splitlines()) == 80
    assert syn.node["kitten"] == "cat" and syn.node["people"] == "person" and syn.node["ski"] == "skis"
    assert " motor bike" in syn.vocab and "motor bike" not in syn.vocab   # leading space: never matches
    assert syn.node["toilet"] == "toilet"


def test_bus_is_never_counted_buses_is(syn):
    words, nodes, _, merged = caption_to_words("A bus next to two buses.", syn)
    assert words == ["bus"] and nodes == ["bus"]      # 'bus' -> 'bu' dropped, 'buses' -> 'bus' counted
    assert merged[:2] == ["a", "bu"]


def test_bigrams_and_seat_rule(syn):
    # "toilet seat" -> toilet; then every other 'seat' goes because 'toilet' is present
    assert caption_to_words("A toilet seat and a seat.", syn)[0] == ["toilet"]
    assert caption_to_words("A chair with a seat.", syn)[1] == ["chair", "chair"]
    # 'wine glasses' -> 'wine glass'; singular 'wine glass' -> 'wine glas' -> 'wine glass' via the table
    assert caption_to_words("Wine glasses and a wine glass.", syn)[0] == ["wine glass", "wine glass"]
    # 'baby elephant' -> elephant (not person); 'bow tie' -> tie; plural 'ties' -> 'ty' is not counted
    assert caption_to_words("A baby elephant wears a bow tie and ties.", syn)[1] == ["elephant", "tie"]
    # ' motor bike' has a leading space in synonyms.txt: never matched; 'motorbike' is
    assert caption_to_words("A motor bike and a motorbike.", syn)[1] == ["motorcycle"]
    # people -> person, children -> child (-> person), skis -> ski (-> skis)
    assert caption_to_words("People and children on skis.", syn)[1] == ["person", "person", "skis"]


COCO_INSTANCES = {
    "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}, {"id": 6, "name": "bus"}],
    "annotations": [{"image_id": 1, "category_id": 1}, {"image_id": 1, "category_id": 18},
                    {"image_id": 2, "category_id": 6}, {"image_id": 9, "category_id": 18}],
}
COCO_CAPTIONS = {"annotations": [{"image_id": 1, "caption": "A man with a kitten."},
                                 {"image_id": 2, "caption": "A red bus."}]}


def test_ground_truth_from_instances_and_captions():
    gt = ground_truth_objects({1, 2}, [COCO_INSTANCES], [COCO_CAPTIONS], MINI)
    assert gt == {1: {"person", "dog", "cat"}, 2: {"bus"}}     # 'kitten' in a reference caption adds cat


def test_chair_hand_computed():
    caps = {"overall": {"CIDEr": 1.0}, "imgToEval": {
        "1": {"image_id": 1, "caption": "A woman and a dog on a couch."},            # couch hallucinated (1 of 3)
        "2": {"image_id": 2, "caption": "A bus and two buses near a toilet seat."},  # bus ok, toilet hal (1 of 2)
    }}
    more = [{"image_id": 9, "caption": "A dog and a puppy."}]                         # 0 of 2 (image 9: dog)
    m, details = evaluate_chair_files(caps, [COCO_INSTANCES], [COCO_CAPTIONS], MINI)
    # CHAIR_s = 2/2; CHAIR_i = 2 / (3 + 2) = 0.4
    assert (m["chair_s"], m["chair_i"], m["CHAIRs"], m["CHAIRi"]) == (1.0, 0.4, 100.0, 40.0)
    assert m["caption_metrics"] == {"CIDEr": 1.0}
    assert details[1]["mscoco_hallucinated_words"] == [("toilet", "toilet")]
    assert details[0]["metrics"] == {"CHAIRs": 1, "CHAIRi": 1 / 3}
    m = score_chair(list(caps["imgToEval"].values()) + more, [COCO_INSTANCES], [COCO_CAPTIONS], MINI)
    # CHAIR_s = 2/3 -> 66.7; CHAIR_i = 2/7 = 0.2857 -> 28.6
    assert (m["chair_s"], m["chair_i"], m["CHAIRs"], m["CHAIRi"]) == (2 / 3, 2 / 7, 66.7, 28.6)


def test_no_coco_words_gives_zero_and_warning():
    m = score_chair([{"image_id": 2, "caption": "Nothing here."}], [COCO_INSTANCES], [COCO_CAPTIONS], MINI)
    assert m["chair_i"] == 0.0 and m["CHAIRs"] == 0.0 and "ZeroDivisionError" in m["warnings"][0]


def test_bad_caption_files():
    with pytest.raises(ValueError, match="no captions"):
        parse_caption_file({"overall": {}, "imgToEval": {}})
    with pytest.raises(ValueError, match="no captions"):
        parse_caption_file([])
    with pytest.raises(ValueError, match="imgToEval"):
        parse_caption_file({"captions": []})
    # one caption per image (the duplicate-id rule): a second caption of image 1 is an error naming both
    with pytest.raises(ValueError, match=r"^caps.json: caption 2: duplicate image_id 1 \(first at caps.json: "
                                         r"caption 1\)"):
        parse_caption_file([{"image_id": 1, "caption": "A dog."}, {"image_id": 1, "caption": "A cat."}], "caps.json")

def test_image_without_ground_truth_counts_all_mentions_and_warns():
    # the official code starts every caption image with an empty object list: all mentions are hallucinations
    m = score_chair([{"image_id": 5, "caption": "A dog."}], [COCO_INSTANCES], [COCO_CAPTIONS], MINI)
    assert (m["chair_s"], m["chair_i"]) == (1.0, 1.0)
    assert "1 caption image(s) have no COCO annotation" in m["warnings"][0]


def test_bundled_synonyms_are_the_official_table():
    from hero.official.configs import BUNDLED_SYNONYMS

    text = BUNDLED_SYNONYMS.read_text()
    bundled = Synonyms.from_text(text)
    # 80 lines (one per COCO category), 416 ', '-separated entries, 403 distinct (a word on several lines counts once)
    assert len(text.splitlines()) == 80
    assert sum(len(line.strip().split(", ")) for line in text.splitlines()) == 416
    assert (len(bundled.vocab), len(set(bundled.node.values()))) == (403, 80)
    if SYNONYMS.exists():
        assert text == SYNONYMS.read_text()
        official = Synonyms.from_text(SYNONYMS.read_text())
        assert bundled.node == official.node and bundled.vocab == official.vocab


def test_bundled_synonyms_ship_in_the_wheel():
    import fnmatch
    import tomllib

    from hero.official.configs import BUNDLED_SYNONYMS

    root = Path(__file__).parents[1]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package_dir = root / "src" / "hero" / "official"
    for f in (BUNDLED_SYNONYMS, package_dir / "data" / "README.md"):
        rel = f.relative_to(package_dir).as_posix()
        assert any(fnmatch.fnmatch(rel, p) for p in patterns["hero.official"]), rel


def test_chair_config_defaults_to_the_bundled_table(tmp_path):
    from hero.official.configs import BUNDLED_SYNONYMS, ChairConfig

    assert Path(ChairConfig(coco=str(tmp_path)).synonyms) == BUNDLED_SYNONYMS
    (tmp_path / "synonyms.txt").write_text("dog, puppy\n")      # the embedded world exports one here
    assert ChairConfig(coco=str(tmp_path)).synonyms == str(tmp_path / "synonyms.txt")
