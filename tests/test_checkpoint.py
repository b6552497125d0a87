"""hero.checkpoint: --resume takes the newest complete checkpoint; cut saves are skipped with a warning."""

from __future__ import annotations

import json
import struct

import pytest
import torch
from safetensors.torch import save_file

from hero.checkpoint import checkpoint_problem, resume_checkpoint, safetensors_problem
from hero.io import InputError


def _header(ends: list[int]) -> bytes:
    header = json.dumps({f"t{i}": {"dtype": "U8", "shape": [e], "data_offsets": [0, e]}
                         for i, e in enumerate(ends)}).encode()
    return struct.pack("<Q", len(header)) + header


def test_safetensors_problem_by_header_arithmetic():
    head = _header([4, 10])
    n = len(head) - 8
    assert safetensors_problem(head, 8 + n + 10) is None  # 8 + n + max(end) = 8 + n + 10 bytes: complete
    assert safetensors_problem(head, 8 + n + 9) == f"{8 + n + 9} bytes, the header needs {8 + n + 10}"
    assert safetensors_problem(head[:5], 5) == "5 bytes, shorter than the 8-byte header length"
    assert safetensors_problem(head, 8 + n - 1) == f"header length {n} does not fit in {8 + n - 1} bytes"
    assert safetensors_problem(struct.pack("<Q", 3) + b"{x]", 11) == "header is not JSON"


def _ckpt(root, step: int, *, state=True, hero=True, weights=True):
    d = root / f"checkpoint-{step}"
    d.mkdir(parents=True)
    if weights:
        save_file({"w": torch.arange(64, dtype=torch.float32)}, str(d / "model.safetensors"))
    if state:
        (d / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    if hero:
        (d / "hero_state.json").write_text(json.dumps({"seconds": 1.0, "step": step}))
    return d


def test_checkpoint_problem_names_what_is_missing(tmp_path):
    assert checkpoint_problem(_ckpt(tmp_path, 1)) is None
    assert checkpoint_problem(_ckpt(tmp_path, 2, state=False)) == "no trainer_state.json"
    assert checkpoint_problem(_ckpt(tmp_path, 3, hero=False)) == "no hero_state.json"
    assert checkpoint_problem(_ckpt(tmp_path, 4, weights=False)) == (
        "no weight file (model.safetensors, adapter_model.safetensors, pytorch_model.bin)")
    cut = _ckpt(tmp_path, 5)
    data = (cut / "model.safetensors").read_bytes()
    (cut / "model.safetensors").write_bytes(data[:-1])
    assert checkpoint_problem(cut) == f"model.safetensors: {len(data) - 1} bytes, the header needs {len(data)}"
    (cut / "model.safetensors").write_bytes(data)
    (cut / "trainer_state.json").write_text('{"global_step": 5')
    assert checkpoint_problem(cut) == "trainer_state.json is cut"
    torch_zip = _ckpt(tmp_path, 6, weights=False)
    torch.save({"w": torch.zeros(3)}, torch_zip / "pytorch_model.bin")
    assert checkpoint_problem(torch_zip) is None
    (torch_zip / "pytorch_model.bin").write_bytes((torch_zip / "pytorch_model.bin").read_bytes()[:-30])
    assert checkpoint_problem(torch_zip) == "pytorch_model.bin: cut (no zip end record)"


def test_sharded_checkpoint_needs_every_shard(tmp_path):
    d = _ckpt(tmp_path, 7, weights=False)
    save_file({"a": torch.zeros(4)}, str(d / "model-00001-of-00002.safetensors"))
    (d / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    assert checkpoint_problem(d) == "model-00002-of-00002.safetensors: missing"
    save_file({"b": torch.zeros(4)}, str(d / "model-00002-of-00002.safetensors"))
    assert checkpoint_problem(d) is None


def test_resume_falls_back_past_cut_saves_with_one_warning_each(tmp_path):
    _ckpt(tmp_path, 10)
    _ckpt(tmp_path, 20, state=False)  # killed before trainer_state.json
    _ckpt(tmp_path, 30, hero=False)   # killed before HERO's state file
    (tmp_path / "checkpoint-x").mkdir()  # not a trainer folder: ignored
    warned = []
    assert resume_checkpoint(tmp_path, warned.append) == tmp_path / "checkpoint-10"
    assert warned == [f"--resume skips {tmp_path / 'checkpoint-30'}: incomplete (no hero_state.json), a save was "
                      "cut off",
                      f"--resume skips {tmp_path / 'checkpoint-20'}: incomplete (no trainer_state.json), a save was "
                      "cut off"]


def test_resume_without_a_complete_checkpoint_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no checkpoint-\\* folder there; drop --resume to start"):
        resume_checkpoint(tmp_path / "none", lambda m: None)
    _ckpt(tmp_path, 5, weights=False)
    with pytest.raises(InputError) as e:
        resume_checkpoint(tmp_path, lambda m: None)
    assert str(e.value) == (f"{tmp_path}: --resume given but no checkpoint there is complete (checkpoint-5: no weight "
                            "file (model.safetensors, adapter_model.safetensors, pytorch_model.bin)); drop --resume "
                            "to start over")


def test_rl_and_sft_resume_skip_a_cut_save(tmp_path, capsys):
    from hero.rl.run_parts import resume_point
    from hero.rl.settings import RLRunConfig

    ckpts = tmp_path / "out" / "checkpoints"
    _ckpt(ckpts, 10)
    _ckpt(ckpts, 20, state=False)
    run = RLRunConfig(method="grpo", model="m", world="w", out=str(tmp_path / "out"), resume=True)
    assert resume_point(run) == (ckpts / "checkpoint-10", 1.0)
    assert capsys.readouterr().err == (f"warning: --resume skips {ckpts / 'checkpoint-20'}: incomplete (no "
                                       "trainer_state.json), a save was cut off\n")
    from hero.sft.pipeline import resume_state
    from hero.sft.settings import SFTRunConfig

    cfg = SFTRunConfig(model="m", world="w", style="cot", out=str(tmp_path / "out"), resume=True)
    assert resume_state(cfg) == (ckpts / "checkpoint-10", {"seconds": 1.0, "step": 10})
    assert "skips" in capsys.readouterr().err


def test_a_fresh_start_over_earlier_checkpoints_says_so(tmp_path, capsys):
    from hero.rl.run_parts import resume_point
    from hero.rl.settings import RLRunConfig

    run = RLRunConfig(method="hero", model="m", world="w", out=str(tmp_path / "out"))
    assert resume_point(run) == (None, 0.0) and capsys.readouterr().err == ""
    _ckpt(tmp_path / "out" / "checkpoints", 4)
    _ckpt(tmp_path / "out" / "checkpoints", 8)
    assert resume_point(run) == (None, 0.0)
    assert capsys.readouterr().err == (f"warning: starting over without --resume; {tmp_path / 'out' / 'checkpoints'} "
                                       "still holds checkpoint-8, checkpoint-4 of an earlier session (the trainer "
                                       "rotates them out; a later --resume takes the newest complete one)\n")

