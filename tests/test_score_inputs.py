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
