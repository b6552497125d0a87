"""The CLI edge (hero.errors): every class of failure a bad input can cause is one located line with exit code 2;
an internal bug is one line plus a log with the traceback (exit 1); nothing half-written remains."""

from __future__ import annotations

import errno
import json
import os

import pytest
from typer.testing import CliRunner

from hero.cli.main import app
from hero.errors import at_cli_edge, describe
from hero.io import InputError, read_json, read_jsonl, read_text, staged_folder

runner = CliRunner()


@pytest.mark.parametrize("exc, line", [
    (FileNotFoundError(errno.ENOENT, "No such file", "/d/a.json"), "/d/a.json: not found; check the path"),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "/d"), "/d: is a folder, but a file is expected here"),
    (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/f/x"), "/f/x: is not a folder (a file is in the way)"),
    (PermissionError(errno.EACCES, "Permission denied", "/root/q.jsonl"), "/root/q.jsonl: permission denied"),
    (FileExistsError(errno.EEXIST, "File exists", "/o"), "/o: already exists; choose another path"),
    (OSError(errno.ENOSPC, "No space left on device", "/o/samples.jsonl"), "/o/samples.jsonl: no space left"),
    (InputError("q.jsonl:3: field 'image' missing"), "q.jsonl:3: field 'image' missing"),
    (RecursionError("maximum recursion depth exceeded"), "an input file is nested too deeply"),
    (UnicodeDecodeError("utf-8", b"ab\xff", 2, 3, "invalid start byte"), "an input file is not UTF-8 text (byte 0xff at offset 2)"),
])
def test_each_input_failure_class_is_one_located_line(exc, line):
    assert describe(exc).startswith(line) and "\n" not in describe(exc)


@pytest.mark.parametrize("exc", [KeyError("x"), TypeError("bad operand"), RuntimeError("shape mismatch")])
def test_internal_bugs_are_not_described_as_input_errors(exc):
    assert describe(exc) is None


def _raise(e):
    raise e


def test_edge_exit_codes_and_the_internal_error_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HERO_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("HERO_DEBUG", raising=False)
    with pytest.raises(SystemExit) as e:
        at_cli_edge(_raise, IsADirectoryError(errno.EISDIR, "Is a directory", "/data"))
    assert e.value.code == 2 and capsys.readouterr().err.startswith("error: /data: is a folder")
    with pytest.raises(SystemExit) as e:
        at_cli_edge(_raise, KeyError("hero_style"))
    err = capsys.readouterr().err
    (log,) = (tmp_path / "logs").iterdir()
    assert e.value.code == 1 and err.count("\n") == 1
    assert err.startswith("internal error: KeyError: 'hero_style' — a bug in hero") and str(log) in err
    assert "Traceback (most recent call last)" in log.read_text() and "KeyError: 'hero_style'" in log.read_text()
    with pytest.raises(SystemExit) as e:
        at_cli_edge(_raise, KeyboardInterrupt())
    assert e.value.code == 130 and "finished results are kept" in capsys.readouterr().err
    monkeypatch.setenv("HERO_DEBUG", "1")
    with pytest.raises(KeyError):
        at_cli_edge(_raise, KeyError("x"))


def test_readers_name_the_file_for_folder_encoding_and_nesting(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(InputError, match=r"^.*/d: is a folder, but a file is expected; pass the file inside it$"):
        read_json(tmp_path / "d")
    with pytest.raises(InputError, match=r"none.txt: questions file not found$"):
        read_text(tmp_path / "none.txt", "questions file")
    latin = tmp_path / "latin1.jsonl"
    latin.write_bytes(  # {"q": "caf = 10 bytes, so é (0xe9) sits at offset 10
        '{"q": "caf\u00e9"}\n'.encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.jsonl: not UTF-8 text \(byte 0xe9 at offset 10\); save the file "
                                         r"as UTF-8$"):
        read_jsonl(latin)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=r"deep.json: JSON nested too deeply to read"):
        read_json(deep)
    deep_line = tmp_path / "deep.jsonl"
    deep_line.write_text('{"a": 1}\n{"b": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(InputError, match=r"deep.jsonl:2: JSON nested too deeply"):
        read_jsonl(deep_line)
    secret = tmp_path / "secret.jsonl"
    secret.write_text("password=hunter2\n")
    with pytest.raises(InputError) as e:
        read_jsonl(secret)
    assert "hunter2" not in str(e.value)  # never echo file contents


def test_a_config_file_that_is_a_folder_or_not_utf8_is_one_line(tmp_path):
    (tmp_path / "cfg").mkdir()
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "w"), "--config", str(tmp_path / "cfg")])
    assert r.exit_code == 2 and "cfg: is a folder, but a config file is expected" in r.output
    bad = tmp_path / "c.yaml"
    bad.write_bytes(b"seed: \xff\n")
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "w"), "--config", str(bad)])
    assert r.exit_code == 2 and "c.yaml: not UTF-8 text (byte 0xff at offset 6)" in r.output
    assert not (tmp_path / "w").exists()


def test_failed_world_build_leaves_nothing_and_a_rebuild_keeps_foreign_files(tmp_path):
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "w"), "--seed", "-5"])
    assert r.exit_code == 2 and "seed=-5 must be ≥ 0" in r.output
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "f").write_text("x")
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "f"), "--images", "2", "--eval-images", "2"])
    assert r.exit_code == 2 and "f: is a file, but a folder is expected" in r.output
    w = tmp_path / "w"
    assert runner.invoke(app, ["world", "build", "--out", str(w), "--images", "2", "--eval-images", "2"]).exit_code == 0
    (w / "notes.txt").write_text("mine")
    r = runner.invoke(app, ["world", "build", "--out", str(w), "--images", "3", "--eval-images", "2"])
    assert r.exit_code == 0, r.output
    assert (w / "notes.txt").read_text() == "mine" and len(list((w / "train/images").iterdir())) == 3
    assert json.loads((w / "world.json").read_text())["splits"]["train"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "w"]  # no temporary folder left


def test_staged_folder_failure_keeps_the_old_folder(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "done.json").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(out, last="done.json") as tmp:
            (tmp / "done.json").write_text("new")
            raise RuntimeError("killed")
    assert (out / "done.json").read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    dead = tmp_path / ".o.999999999.abc.tmp"  # left by a run killed with -9 (no such pid)
    dead.mkdir()
    mine = tmp_path / f".o.{os.getppid()}.abc.tmp"  # a live process's: kept
    mine.mkdir()
    with staged_folder(out) as tmp:
        (tmp / "x").write_text("1")
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "o"]


def test_truncated_weights_are_one_line_naming_the_folder(tmp_path):
    from hero.model.build import build_model, save
    from hero.model.load import load_vlm

    model, processor = build_model("tiny", ["red", "blue"], ["circle", "square"], 32)
    save(model, processor, tmp_path / "m")
    weights = tmp_path / "m/model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(InputError, match=r"m: could not load the model \(SafetensorError: Error while deserializing "
                                         r"header: .*\); if a weight file is truncated or corrupt"):
        load_vlm(tmp_path / "m")


def test_cache_dir_precedence(tmp_path, monkeypatch):
    from hero.errors import log_dir
    from hero.io import cache_dir

    monkeypatch.setenv("HERO_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c" and log_dir() == tmp_path / "c/logs"
    monkeypatch.delenv("HERO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x/hero"
    monkeypatch.setenv("HERO_LOG_DIR", str(tmp_path / "l"))
    assert log_dir() == tmp_path / "l"


def test_out_that_is_a_file_and_questions_that_are_a_folder_are_named_before_loading(tmp_path):
    (tmp_path / "f").write_text("x")
    (tmp_path / "qdir").mkdir()
    for args in (["train", "sft", "--style", "cot"], ["train", "grpo"], ["train", "nli"]):
        r = runner.invoke(app, [*args, "--model", "m", "--world", "w", "--out", str(tmp_path / "f")]
                          if args[1] != "nli" else [*args, "--world", "w", "--out", str(tmp_path / "f")])
        assert (r.exit_code, r.output) == (2, f"error: {tmp_path / 'f'}: is a file, but a folder is expected (--out); "
                                              "pass a new folder path\n"), args
    (tmp_path / "m").mkdir()
    (tmp_path / "m/config.json").write_text("{}")
    r = runner.invoke(app, ["trap", "--model", str(tmp_path / "m"), "--questions", str(tmp_path / "qdir"),
                            "--images", str(tmp_path),
                            "--out", str(tmp_path / "t")])
    assert r.exit_code == 2 and "qdir: is a folder, but a question file is expected (--questions)" in r.output
