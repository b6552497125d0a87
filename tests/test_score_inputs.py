"""`hero score` input validation through the CLI: wrong-typed fields, located messages (file:line and field),
the duplicate-id rule, missing files and folders. Every error is one line `error: ...` with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hero.cli.main import app

runner = CliRunner()


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _error(args) -> str:
    r = runner.invoke(app, ["score", *map(str, args)])
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    return lines[0][len("error: "):]


# ---------------------------------------------------------------------------------------------- POPE
def _pope(tmp_path, labels, answers):
    return ["pope", "--labels", _jsonl(tmp_path / "labels.jsonl", labels),
            "--answers", _jsonl(tmp_path / "answers.jsonl", answers)]


def test_pope_int_labels_are_an_error_not_a_score(tmp_path):
    # before: str(1) = "1" and str(0) = "0" are both "not 'no'" -> every label yes -> perfect answers scored 0.5
    labels = [{"question_id": 1, "text": "q", "label": 1}, {"question_id": 2, "text": "q", "label": 0}]
    msg = _error(_pope(tmp_path, labels, [{"question": "q", "answer": "Yes"}, {"question": "q", "answer": "No"}]))
    assert msg == f"{tmp_path / 'labels.jsonl'}:1: field 'label' must be a string (\"yes\"/\"no\"), got int 1"


def test_pope_wrong_types_name_file_line_and_field(tmp_path):
    labels = [{"question_id": i, "text": "q", "label": "yes"} for i in (1, 2)]
    msg = _error(_pope(tmp_path, labels, [{"question": "q", "answer": "Yes"}, {"question": "q", "answer": True}]))
    assert msg == f"{tmp_path / 'answers.jsonl'}:2: field 'answer' must be a string, got bool true"
    msg = _error(_pope(tmp_path, labels, [{"question_id": 1, "text": "Yes"}, {"question_id": [2], "text": "No"}]))
    assert msg == f"{tmp_path / 'answers.jsonl'}:2: field 'question_id' must be an integer or a string, got list [2]"
    split = [{"question_id": 1, "text": "Yes", "category": 3}]
    msg = _error(_pope(tmp_path, labels, split) + ["--split-field", "category"])
    assert msg == f"{tmp_path / 'answers.jsonl'}:1: field 'category' must be a string, got int 3"


def test_pope_missing_field_names_the_file(tmp_path):
    # before: "pope row 2: missing field 'answer'" (which file?)
    labels = [{"question_id": i, "text": "q", "label": "yes"} for i in (1, 2)]
    msg = _error(_pope(tmp_path, labels, [{"question": "q", "answer": "Yes"}, {"question": "q"}]))
    assert msg == f"{tmp_path / 'answers.jsonl'}:2: missing field 'answer'"
    msg = _error(_pope(tmp_path, [{"question_id": 1}], [{"question_id": 1, "text": "Yes"}]))
    assert msg == f"{tmp_path / 'labels.jsonl'}:1: missing field 'label'"


def test_pope_duplicate_ids_name_both_lines(tmp_path):
    labels = [{"question_id": i, "text": "q", "label": "yes"} for i in (1, 2, 1)]
    msg = _error(_pope(tmp_path, labels, [{"question": "q", "answer": "Yes"}] * 3))
    assert msg.startswith(f"{tmp_path / 'labels.jsonl'}:3: duplicate question_id 1 (first at "
                          f"{tmp_path / 'labels.jsonl'}:1)")
    answers = [{"question_id": 2, "text": "Yes"}, {"question_id": 2, "text": "No"}]
    msg = _error(_pope(tmp_path, labels[:2], answers))
    assert msg.startswith(f"{tmp_path / 'answers.jsonl'}:2: duplicate question_id 2 (first at "
                          f"{tmp_path / 'answers.jsonl'}:1)")


def test_pope_label_path_that_is_a_folder(tmp_path):
    answers = _jsonl(tmp_path / "a.jsonl", [{"question": "q", "answer": "Yes"}])
    assert _error(["pope", "--labels", tmp_path, "--answers", answers]) == f"{tmp_path}: a folder, expected a file (--labels)"
    assert _error(["pope", "--labels", tmp_path / "no.json", "--answers", answers]) == \
        f"{tmp_path / 'no.json'}: file not found (--labels)"


# ---------------------------------------------------------------------------------------------- AMBER
COUNTERS = [f"{k}_{s}" for k in ("chair", "safe_cover", "hallu_cover", "non_hallu") for s in ("score", "num")] + [
    f"{p}qa_{k}_{s}" for p in ("", "as_", "an_", "aa_", "asso_", "ha_") for k in ("correct", "no", "ans_no")
    for s in ("score", "num")]


def _amber_data(d: Path, annotations=None, relation=None, metrics=None) -> Path:
    d.mkdir(exist_ok=True)
    ann = annotations or [{"id": 1, "type": "generative", "truth": ["dog"], "hallu": ["cat"]},
                          {"id": 2, "type": "discriminative-hallucination", "truth": "yes"},
                          {"id": 3, "type": "relation", "truth": "no"}]
    (d / "annotations.json").write_text(json.dumps(ann, indent=1))
    (d / "relation.json").write_text(json.dumps(relation or {"dog": [], "cat": []}))
    (d / "safe_words.txt").write_text("orange\n")
    (d / "metrics.txt").write_text(metrics or "".join(f"{k}={'0.001' if k.endswith('num') else '0'}\n"
                                                      for k in COUNTERS))
    return d


def _amber(tmp_path, responses, *extra):
    r = tmp_path / "responses.json"
    r.write_text("[\n" + ",\n".join(json.dumps(x) for x in responses) + "\n]\n")
    return ["amber", "--responses", r, "--amber-data", _amber_data(tmp_path / "data"), *extra]


def test_amber_int_response_is_an_error_not_a_wrong_answer(tmp_path):
    # before: 1 == "Yes" is False -> silently wrong, every metric 0.0
    msg = _error(_amber(tmp_path, [{"id": 2, "response": 1}, {"id": 3, "response": "No"}], "--type", "d"))
    assert msg == f"{tmp_path / 'responses.json'}:2 (item 1): field 'response' must be a string, got int 1"
    msg = _error(_amber(tmp_path, [{"id": 2, "response": "Yes"}, {"id": "3", "response": "No"}], "--type", "d"))
    assert msg == f"{tmp_path / 'responses.json'}:3 (item 2): field 'id' must be an integer, got str '3'"
    msg = _error(_amber(tmp_path, [{"id": 2}], "--type", "d"))
    assert msg == f"{tmp_path / 'responses.json'}:2 (item 1): missing field 'response'"


def test_amber_duplicate_ids_name_both_items(tmp_path):
    # before: the official loop counts id 3 twice
    msg = _error(_amber(tmp_path, [{"id": 3, "response": "No"}, {"id": 2, "response": "Yes"},
                                   {"id": 3, "response": "No"}], "--type", "d"))
    assert msg.startswith(f"{tmp_path / 'responses.json'}:4 (item 3): duplicate id 3 (first at "
                          f"{tmp_path / 'responses.json'}:2 (item 1))")


@pytest.mark.parametrize("entry,field,got", [
    ({"id": 2, "type": "relation", "truth": 1}, "truth", 'a string ("yes"/"no"), got int 1'),
    ({"id": 2, "type": 7, "truth": "no"}, "type", "a string, got int 7"),
    ({"id": 2, "type": "generative", "truth": "dog", "hallu": []}, "truth", "a list of strings, got str 'dog'"),
    ({"id": 2, "type": "generative", "truth": ["dog"], "hallu": [1]}, "hallu", "a list of strings, got list [1]"),
])
def test_amber_annotation_types_are_checked(tmp_path, entry, field, got):
    ann = [{"id": 1, "type": "relation", "truth": "no"}, entry]
    _amber_data(tmp_path / "data", annotations=ann)
    (tmp_path / "r.json").write_text(json.dumps([{"id": 1, "response": "No"}]))
    msg = _error(["amber", "--responses", tmp_path / "r.json", "--amber-data", tmp_path / "data", "--type", "d"])
    assert msg == f"{tmp_path / 'data' / 'annotations.json'}:7 (item 2): field '{field}' must be {got}"


def test_amber_data_file_errors_name_the_file(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps([{"id": 1, "response": "No"}]))
    args = ["amber", "--responses", tmp_path / "r.json", "--amber-data", tmp_path / "data", "--type", "d"]
    _amber_data(tmp_path / "data", relation={"dog": ["puppy", 3]})
    assert _error(args) == (f"{tmp_path / 'data' / 'relation.json'}: word 'dog': field 'associations' must be a "
                            "list of strings, got list [\"puppy\", 3]")
    _amber_data(tmp_path / "data", metrics="chair_num='x'\n")
    assert _error(args) == f"{tmp_path / 'data' / 'metrics.txt'}:1: counter 'chair_num' must be a number, got str 'x'"
    (tmp_path / "data" / "metrics.txt").unlink()
    (tmp_path / "data" / "metrics.txt").mkdir()
    assert _error(args) == f"{tmp_path / 'data' / 'metrics.txt'}: a folder, expected a file (--amber-data)"


def test_amber_zero_counter_is_a_located_error(tmp_path):
    # metrics.txt starts chair_num at 0 (the official file: 0.001) and no generative response is scored:
    # CHAIR = 0 / 0 — inference.py raises ZeroDivisionError; before: a traceback here too
    metrics = "".join(f"{k}={'0' if k in ('chair_num',) else '0.001' if k.endswith('num') else '0'}\n"
                      for k in COUNTERS)
    _amber_data(tmp_path / "data", metrics=metrics)
    (tmp_path / "r.json").write_text(json.dumps([{"id": 2, "response": "Yes"}]))
    msg = _error(["amber", "--responses", tmp_path / "r.json", "--amber-data", tmp_path / "data", "--type", "a"])
    assert msg.startswith(f"{tmp_path / 'data' / 'metrics.txt'}:2: CHAIR divides by counter chair_num = 0")


# ---------------------------------------------------------------------------------------------- CHAIR
def _coco(d: Path, instances=None, captions=None) -> Path:
    d.mkdir(exist_ok=True)
    (d / "instances_val2014.json").write_text(json.dumps(instances or {
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
        "annotations": [{"image_id": 1, "category_id": 18}]}))
    (d / "captions_val2014.json").write_text(json.dumps(captions or {"annotations": [
        {"image_id": 1, "caption": "A boy."}]}))
    (d / "synonyms.txt").write_text("person, girl, boy, man, woman\ndog, puppy\ncat, kitten\n")
    return d


def _chair(tmp_path, captions, text=None):
    c = tmp_path / "caps.json"
    c.write_text(text if text is not None else json.dumps(captions))
    return ["chair", "--captions", c, "--coco", _coco(tmp_path / "coco")]


def test_chair_caption_types_and_locations(tmp_path):
    caps = tmp_path / "caps.json"
    msg = _error(_chair(tmp_path, {"overall": {}, "imgToEval": {"1": {"image_id": "1", "caption": "A dog."}}}))
    # before: str '1' never matches COCO's int 1 -> empty ground truth, every mention counted as hallucinated
    assert msg == f"{caps}: imgToEval['1']: field 'image_id' must be an integer, got str '1'"
    msg = _error(_chair(tmp_path, [{"image_id": 1, "caption": "A dog."}, {"image_id": 2, "caption": 5}]))
    assert msg == f"{caps}:1 (item 2): field 'caption' must be a string, got int 5"
    msg = _error(_chair(tmp_path, [{"image_id": 1}]))
    assert msg == f"{caps}:1 (item 1): missing field 'caption'"


def test_chair_duplicate_image_ids(tmp_path):
    caps = tmp_path / "caps.json"
    # before: both captions of image 1 were counted (CHAIR_s over 2 captions)
    two = {"overall": {}, "imgToEval": {"1": {"image_id": 1, "caption": "A dog."},
                                        "01": {"image_id": 1, "caption": "A cat."}}}
    assert _error(_chair(tmp_path, two)).startswith(
        f"{caps}: imgToEval['01']: duplicate image_id 1 (first at {caps}: imgToEval['1'])")
    # the same key twice in imgToEval: json.load keeps the last one silently
    text = '{"overall": {}, "imgToEval": {"1": {"image_id": 1, "caption": "A dog."}, "1": {"image_id": 1, "caption": "x"}}}'
    assert _error(_chair(tmp_path, None, text)).startswith(f"{caps}: key '1' appears twice in one JSON object")


@pytest.mark.parametrize("instances,captions,expected", [
    ({"categories": [{"id": 18, "name": "dog"}], "annotations": [{"image_id": 1, "category_id": "18"}]}, None,
     "instances_val2014.json: annotations item 1: field 'category_id' must be an integer, got str '18'"),
    ({"categories": [{"id": 18, "name": "dog"}], "annotations": [{"image_id": 1, "category_id": 9}]}, None,
     "instances_val2014.json: annotations item 1: category_id 9 is not one of the file's categories"),
    ({"annotations": []}, None, "instances_val2014.json: missing field 'categories'"),
    (None, {"annotations": [{"image_id": 1, "caption": None}]},
     "captions_val2014.json: annotations item 1: field 'caption' must be a string, got null"),
])
def test_chair_coco_files_are_checked(tmp_path, instances, captions, expected):
    _coco(tmp_path / "coco", instances, captions)
    (tmp_path / "caps.json").write_text(json.dumps([{"image_id": 1, "caption": "A dog."}]))
    msg = _error(["chair", "--captions", tmp_path / "caps.json", "--coco", tmp_path / "coco"])
    assert msg == f"{tmp_path / 'coco'}/{expected}"


def test_chair_missing_coco_folder_and_category_names_the_files(tmp_path):
    (tmp_path / "caps.json").write_text(json.dumps([{"image_id": 1, "caption": "A dog."}]))
    msg = _error(["chair", "--captions", tmp_path / "caps.json", "--coco", tmp_path / "nosuchdir"])
    assert msg == f"{tmp_path / 'nosuchdir'}: folder not found (--coco)"
    _coco(tmp_path / "coco", {"categories": [{"id": 3, "name": "zebra"}], "annotations": [
        {"image_id": 1, "category_id": 3}]})
    msg = _error(["chair", "--captions", tmp_path / "caps.json", "--coco", tmp_path / "coco"])
    assert msg == (f"{tmp_path / 'coco' / 'instances_val2014.json'}: COCO category 'zebra' (id 3) is not in the "
                   f"synonyms file {tmp_path / 'coco' / 'synonyms.txt'}")
    (tmp_path / "coco" / "captions_x.json").mkdir()     # a folder matching the glob is not read as a file
    (tmp_path / "coco" / "instances_val2014.json").write_text(json.dumps({"categories": [], "annotations": []}))
    r = runner.invoke(app, ["score", "chair", "--captions", str(tmp_path / "caps.json"), "--coco",
                            str(tmp_path / "coco")])
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------------------------------------- THRONE
def _throne(tmp_path, files: dict, coco=None, raw: dict | None = None):
    (tmp_path / "coco.json").write_text(json.dumps(coco or {
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        "annotations": [{"image_id": 7, "category_id": 1}]}))
    ev = tmp_path / "ev"
    ev.mkdir(exist_ok=True)
    for name, content in files.items():
        (ev / name).write_text(json.dumps(content))
    for name, text in (raw or {}).items():
        (ev / name).write_text(text)
    return ["throne", "--coco-annotations", tmp_path / "coco.json", "--evaluations", ev, "--thresholds", "1"]


def test_throne_int_answers_are_an_error_not_a_no(tmp_path):
    # before: 1 is not a string -> counted as "no"
    msg = _error(_throne(tmp_path, {"a.json": {"7": ["yes", 1]}}))
    assert msg == (f"{tmp_path / 'ev' / 'a.json'}: image '7': answer 2 (prompt format 1, category 'dog') must be a "
                   "string (\"yes\"/\"no\"), got int 1")


def test_throne_duplicate_image_ids(tmp_path):
    ev = tmp_path / "ev" / "a.json"
    # before: "7" and "07" are both image 7 -> its votes were added twice (2 votes of V = 1)
    msg = _error(_throne(tmp_path, {"a.json": {"7": ["yes", "no"], "07": ["yes", "no"]}}))
    assert msg.startswith(f"{ev}: image '07': duplicate image id 7 (first at {ev}: image '7')")
    msg = _error(_throne(tmp_path, {}, raw={"a.json": '{"7": ["yes", "no"], "7": ["no", "no"]}'}))
    assert msg.startswith(f"{ev}: key '7' appears twice in one JSON object")


def test_throne_coco_file_is_checked_and_folders_are_skipped(tmp_path):
    coco = {"categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
            "annotations": [{"image_id": 7, "category_id": 3}]}
    msg = _error(_throne(tmp_path, {"a.json": {"7": ["yes", "no"]}}, coco=coco))
    # before: "malformed input (KeyError: 3)"
    assert msg == f"{tmp_path / 'coco.json'}: annotations item 1: category_id 3 is not one of the file's categories"
    (tmp_path / "ev" / "sub.json").mkdir()
    r = runner.invoke(app, ["score", *map(str, _throne(tmp_path, {"a.json": {"7": ["yes", "no"]}}))])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["evaluation_files"] == ["a.json"]


# ---------------------------------------------------------------------------------------------- --out / --details
def test_out_pointing_at_an_input_is_refused_before_writing(tmp_path):
    args = _pope(tmp_path, [{"question_id": 1, "text": "q", "label": "yes"}], [{"question": "q", "answer": "Yes"}])
    answers, before = tmp_path / "answers.jsonl", (tmp_path / "answers.jsonl").read_text()
    # before: --out answers.jsonl overwrote the answers with the metrics
    msg = _error(args + ["--out", answers, "--details", tmp_path / "d.jsonl"])
    assert msg == (f"{answers}: this is the input file {answers} (--answers); refusing to overwrite an input — "
                   "write --out elsewhere")
    assert answers.read_text() == before and not (tmp_path / "d.jsonl").exists()
    (tmp_path / "link.json").symlink_to(tmp_path / "labels.jsonl")
    msg = _error(args + ["--details", tmp_path / "link.json"])
    assert msg.startswith(f"{tmp_path / 'link.json'}: this is the input file {tmp_path / 'labels.jsonl'} (--labels)")


def test_out_inside_an_input_folder_or_a_folder(tmp_path):
    args = _throne(tmp_path, {"a.json": {"7": ["yes", "no"]}})
    ev = tmp_path / "ev"
    # before: the result landed in the evaluations folder and was read as a 2nd evaluator on the next run
    assert _error(args + ["--out", ev / "m.json"]) == \
        f"{ev / 'm.json'}: inside the input folder {ev} (--evaluations); write --out elsewhere"
    assert _error(args + ["--out", tmp_path]) == \
        f"{tmp_path}: a folder, expected a file (--out); give a file name, e.g. {tmp_path / 'scores.json'}"
    assert _error(args + ["--details", tmp_path / "coco.json" / "d.jsonl"]) == \
        f"{tmp_path / 'coco.json' / 'd.jsonl'}: {tmp_path / 'coco.json'} is a file, not a folder (--details)"
    assert _error(args + ["--out", tmp_path / "x.json", "--details", tmp_path / "x.json"]) == \
        f"{tmp_path / 'x.json'}: --out and --details name the same file; give two different files"


def test_empty_or_non_object_inputs_name_the_file(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    answers = _jsonl(tmp_path / "a.jsonl", [{"question": "q", "answer": "Yes"}])
    # before: "pope: 1 answers but 0 labels" (which file?)
    assert _error(["pope", "--labels", tmp_path / "empty.jsonl", "--answers", answers]) == \
        f"{tmp_path / 'empty.jsonl'}: no labels (the file is empty) (--labels)"
    (tmp_path / "r.json").write_text("[1]")
    args = ["amber", "--responses", tmp_path / "r.json", "--amber-data", _amber_data(tmp_path / "data")]
    assert _error(args) == (f"{tmp_path / 'r.json'}: item 1: expected a JSON object ({{'id': int, 'response': str}}), "
                            "got int 1")
    assert _error(["amber", "--responses", tmp_path / "r.json", "--amber-data", tmp_path / "nodir"]) == \
        f"{tmp_path / 'nodir'}: folder not found (--amber-data)"
