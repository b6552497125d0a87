"""Image names in benchmark files may not leave the image folder (`hero trap`, `hero eval`): '..', absolute paths
and symlinks out are refused with file, line and field, never echoing a file's contents, unless
--allow-outside-images is given. One rule: `hero.io.ImageFolder.file`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hero.evaluation.tasks import amber_selected, coco_images
from hero.io import ImageFolder, InputError
from hero.trap.questions import load_questions

SECRET = "root:x:0:0:SECRET"


def _folder(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    images.mkdir()
    (images / "in.png").write_bytes(b"x")
    (tmp_path / "outside.png").write_text(SECRET)
    (images / "link.png").symlink_to(tmp_path / "outside.png")
    (images / "sub").mkdir()
    (images / "sub" / "deep.png").write_bytes(b"x")
    return images


@pytest.mark.parametrize("name,how", [
    ("../outside.png", "climbs out with '..'"),
    ("sub/../../outside.png", "climbs out with '..'"),
    ("ABS", "is an absolute path"),
    ("link.png", "is a symlink that leads out"),
])
def test_names_leaving_the_folder_are_refused_with_place_and_fix(tmp_path, name, how):
    images = _folder(tmp_path)
    name = str(tmp_path / "outside.png") if name == "ABS" else name
    with pytest.raises(InputError) as e:
        ImageFolder(images).file(name, "q.jsonl:3")
    msg = str(e.value)
    assert msg == (f"q.jsonl:3: field 'image' {how} of the image folder {images} (--images); images must lie under "
                   "--images — move the file there, or pass --allow-outside-images to read it anyway")
    assert SECRET not in msg
    assert ImageFolder(images, allow_outside=True).file(name, "q.jsonl:3") == images / name


def test_names_inside_are_kept_and_a_command_without_the_flag_does_not_offer_it(tmp_path):
    images = _folder(tmp_path)
    assert ImageFolder(images).file("sub/deep.png", "w") == images / "sub" / "deep.png"
    assert ImageFolder(images).file("sub/../in.png", "w") == images / "sub" / ".." / "in.png"
    with pytest.raises(InputError, match=r"\(--world\); images must lie under --world — move the file there$"):
        ImageFolder(images, "--world", allow_flag=None).file("/etc/passwd", "w")


def _questions(tmp_path: Path, image: str) -> Path:
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"question_id": 1, "image": "in.png", "text": "Is there?", "label": "yes"}) + "\n"
                 + json.dumps({"question_id": 2, "image": image, "text": "Is there?", "label": "no"}) + "\n")
    return q


def test_trap_question_loader_refuses_and_allows(tmp_path):
    images = _folder(tmp_path)
    q = _questions(tmp_path, "/etc/passwd")
    with pytest.raises(InputError, match=rf"^{q}:2: field 'image' is an absolute path .*--allow-outside-images"):
        load_questions(q, images)
    q = _questions(tmp_path, "../outside.png")
    ok, missing = load_questions(q, ImageFolder(images, allow_outside=True))
    assert [x["image_path"] for x in ok] == [str(images / "in.png"), str(images / "../outside.png")] and not missing


def test_eval_loaders_refuse_with_item_and_field(tmp_path):
    images = ImageFolder(_folder(tmp_path))
    ann = [{"type": "generative"}]
    with pytest.raises(InputError, match=r"^q.json: item 1: field 'image' climbs out"):
        amber_selected([{"id": 1, "image": "../outside.png", "query": "Describe."}], ann, "a", "q.json", images)
    inst = [{"images": [{"id": 5, "file_name": "in.png"}, {"id": 7, "file_name": "link.png"}]}]
    with pytest.raises(InputError, match=r"^inst.json: image id 7: field 'file_name' is a symlink that leads out"):
        coco_images(inst, images, "inst.json")


def test_trap_cli_refuses_before_the_model_loads_and_allows_with_the_flag(tmp_path, monkeypatch):
    from test_trap_cli import _args, _fake_scoring, runner
    from test_trap_run import make_inputs

    from hero.cli.main import app

    calls: list = []
    _fake_scoring(monkeypatch, calls)
    p = make_inputs(tmp_path, missing=())
    (tmp_path / "secret.png").write_text(SECRET)
    lines = Path(p["questions"]).read_text().splitlines()
    lines[1] = lines[1].replace("img2.png", "../secret.png")
    Path(p["questions"]).write_text("\n".join(lines) + "\n")
    r = runner.invoke(app, _args(p))
    assert r.exit_code == 2 and calls == [] and not Path(p["out"]).exists()
    assert f"{p['questions']}:2: field 'image' climbs out with '..'" in r.output and SECRET not in r.output
    r = runner.invoke(app, _args(p, "--allow-outside-images"))
    assert r.exit_code == 0, r.output
    assert len(calls) == 1 and "scored 16 new samples" in r.output


def test_eval_pope_cli_refuses_before_the_model_loads(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import hero.evaluation.generate as generate
    from hero.cli.main import app

    def no_model(*a, **k):
        raise AssertionError("the model must not load")

    monkeypatch.setattr(generate, "load_generator", no_model)
    monkeypatch.setattr("hero.evaluation.tasks.load_generator", no_model)
    images = _folder(tmp_path)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    q = _questions(tmp_path, str(tmp_path / "outside.png"))
    r = CliRunner().invoke(app, ["eval", "pope", "--model", str(tmp_path / "model"), "--images", str(images),
                                 "--questions", str(q), "--out", str(tmp_path / "run"), "--no-progress"])
    assert r.exit_code == 2 and not (tmp_path / "run").exists()
    assert f"{q}:2: field 'image' is an absolute path" in r.stderr and "--allow-outside-images" in r.stderr
    assert SECRET not in r.output
