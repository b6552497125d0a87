"""The model fingerprint of `hero trap` / `hero eval` run identities: every byte counts, subfolders too, and the
per-file digest cache makes a rerun a stat() per file (keyed by path, size, mtime, ctime, inode)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from hero.io import InputError
from hero.trap import fingerprint as fp
from hero.trap.fingerprint import SCHEME, cache_path, model_fingerprint


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.delenv("HERO_CACHE_DIR", raising=False)  # conftest's; here the XDG rule is what is tested
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def _model(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "config.json").write_bytes(b"{}")
    (root / "w.bin").write_bytes(b"ab")
    (root / "sub" / "s.bin").write_bytes(b"c")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_bytes(b"x")  # dot-names are skipped
    return root


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_fingerprint_is_sha256_over_path_size_and_byte_digest(tmp_path):
    m = _model(tmp_path / "m")
    lines = (f"config.json\0{2}\0{_sha(b'{}')}\n" f"sub/s.bin\0{1}\0{_sha(b'c')}\n" f"w.bin\0{2}\0{_sha(b'ab')}\n")
    assert model_fingerprint(m) == f"{SCHEME}:{_sha(lines.encode())}"
    one = "w.bin\0" "2\0" + _sha(b"ab") + "\n"
    assert model_fingerprint(m / "w.bin") == f"{SCHEME}:{_sha(one.encode())}"


def test_a_same_size_weight_change_changes_the_fingerprint(tmp_path):
    m = _model(tmp_path / "m")
    before = model_fingerprint(m)
    (m / "w.bin").write_bytes(b"aB")  # same name, same size
    assert model_fingerprint(m) != before
    (m / "w.bin").write_bytes(b"ab")
    assert model_fingerprint(m) == before
    (m / "sub" / "s.bin").write_bytes(b"d")  # a shard in a subfolder
    assert model_fingerprint(m) != before


def _stale(path: Path) -> None:
    """Wait until the file's ctime is older than the racy window (monkeypatched to 50 ms)."""
    time.sleep(0.06)


def test_rerun_reads_nothing_and_a_write_with_restored_mtime_is_seen(tmp_path, monkeypatch, cache_home):
    monkeypatch.setattr(fp, "RACY_NS", 50_000_000)
    m = _model(tmp_path / "m")
    reads: list[str] = []
    real = fp.hash_file
    monkeypatch.setattr(fp, "hash_file", lambda p: reads.append(Path(p).name) or real(p))
    _stale(m)
    first = model_fingerprint(m)
    assert sorted(reads) == ["config.json", "s.bin", "w.bin"]
    assert cache_path() == cache_home / "hero" / "fingerprints.json"
    cached = json.loads(cache_path().read_text())
    assert cached["scheme"] == SCHEME and len(cached["files"]) == 3
    reads.clear()
    assert model_fingerprint(m) == first and reads == []  # a stat() per file, no read
    w = m / "w.bin"
    st = w.stat()
    w.write_bytes(b"aB")
    os.utime(w, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime restored; ctime moves on
    assert w.stat().st_mtime_ns == st.st_mtime_ns and w.stat().st_ctime_ns != st.st_ctime_ns
    assert model_fingerprint(m) != first and reads == ["w.bin"]


def test_a_freshly_written_file_is_not_cached(tmp_path, cache_home):
    m = _model(tmp_path / "m")  # written just now: inside the 2 s racy window
    model_fingerprint(m)
    assert not cache_path().exists()


def test_a_broken_cache_file_is_ignored_and_rewritten(tmp_path, monkeypatch):
    monkeypatch.setattr(fp, "RACY_NS", 50_000_000)
    m = _model(tmp_path / "m")
    _stale(m)
    want = model_fingerprint(m)
    for junk in ("{oops", "[]", json.dumps({"scheme": "other/0", "files": {}}),
                 json.dumps({"scheme": SCHEME, "files": {str((m / "w.bin").resolve()): {"sha256": 3}}})):
        cache_path().write_text(junk)
        assert model_fingerprint(m) == want
        assert json.loads(cache_path().read_text())["scheme"] == SCHEME


def test_a_file_changing_while_read_is_an_error(tmp_path, monkeypatch):
    m = _model(tmp_path / "m")
    real = fp.hash_file

    def racing(p):
        out = real(p)
        Path(p).write_bytes(b"longer bytes")
        return out

    monkeypatch.setattr(fp, "hash_file", racing)
    with pytest.raises(InputError, match="changed while it was being fingerprinted"):
        model_fingerprint(m)


def test_missing_model_names_the_flag(tmp_path):
    with pytest.raises(InputError, match=r"model not found \(pass --model DIR\)"):
        model_fingerprint(tmp_path / "nope")


def test_trap_resume_after_a_same_size_weight_swap_is_refused(tmp_path):
    from test_trap_run import cfg_of, fake_score, make_inputs

    from hero.trap.run import run_trap

    paths = make_inputs(tmp_path)
    weights = Path(paths["model"]) / "model.safetensors"
    weights.write_bytes(b"\x00" * 64)
    run_trap(cfg_of(paths), fake_score, report=False)
    weights.write_bytes(b"\x01" * 64)  # same name, same size, other bytes
    with pytest.raises(InputError, match=r"files changed since \(a file name, size or byte differs\)"):
        run_trap(cfg_of(paths), fake_score, report=False)


def test_run_folders_of_the_old_scheme_are_refused_with_the_reason(tmp_path):
    from test_trap_run import cfg_of, fake_score, make_inputs

    from hero.evaluation.runner import check_manifest as eval_check
    from hero.trap.run import run_trap

    paths = make_inputs(tmp_path)
    run_trap(cfg_of(paths), fake_score, report=False)
    manifest = Path(paths["out"]) / "manifest.json"
    old = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**old, "model_fingerprint": _sha(b"names and sizes")}))
    with pytest.raises(InputError, match="older model fingerprint .* use a new --out folder"):
        run_trap(cfg_of(paths), fake_score, report=False)
    with pytest.raises(InputError, match="older model fingerprint .* use a new --out folder"):
        eval_check(Path(paths["out"]), {**old, "schema": "hero.eval.run/1"})
