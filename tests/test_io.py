"""hero.io: atomic writes keep normal permissions and never leave partial files; JSONL errors name file:line."""

from __future__ import annotations

import os
import stat

import pytest

from hero.io import InputError, atomic_path, read_jsonl, write_text_atomic


def test_atomic_write_mode_and_no_partial_file(tmp_path):
    p = tmp_path / "a.txt"
    write_text_atomic(p, "hi")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "b.txt") as tmp:
            tmp.write_text("half")
            raise RuntimeError
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.txt"]


def test_read_jsonl_errors(tmp_path):
    p = tmp_path / "q.jsonl"
    p.write_text('{"a": 1}\n\n[1]\n')
    with pytest.raises(InputError, match=r"q.jsonl:3: expected a JSON object"):
        read_jsonl(p)
    p.write_text('[{"a": 1}, {"a": 2}]')
    assert read_jsonl(p) == [{"a": 1}, {"a": 2}]


def test_guard_malformed_explains_a_broken_structure():
    from hero.io import guard_malformed

    assert guard_malformed(lambda rows, k: rows[0][k], [{"a": 1}], k="a") == 1
    with pytest.raises(ValueError, match=r"^malformed input \(KeyError: 'label'\); check the file formats in "
                                         r"docs/benchmarks.md$"):
        guard_malformed(lambda rows: rows[0]["label"], [{"answer": "yes"}])


def test_live_lock_message_says_which_file_to_delete(tmp_path):
    from hero.io import RunLock

    (tmp_path / ".lock").write_text(str(os.getppid()))  # a live process that is not us
    with pytest.raises(InputError) as e:
        with RunLock(tmp_path, tool="hero train sft"):
            pass
    assert str(e.value) == (f"{tmp_path} is in use by another hero train sft (pid {os.getppid()}); wait for it, use "
                            f"another --out folder, or — if no run is active (the pid was reused) — delete "
                            f"{tmp_path / '.lock'}")
