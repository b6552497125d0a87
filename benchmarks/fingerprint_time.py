"""Cost of the run identity's model fingerprint (`hero.trap.fingerprint.model_fingerprint`, issue 15 bad #3).

A model folder with one weight file of --mb MiB is fingerprinted twice: the first run reads and hashes every byte
(SHA-256), the rerun finds each file's digest in the cache (one stat() per file). Baseline, side by side: reading
the same bytes without hashing (the disk / page-cache floor). Prints throughput, the first-run / read ratio, the
rerun time and the extrapolated first-run cost of a 15 GB checkpoint. The file is in the page cache after it is
written, so the numbers are page-cache numbers; a cold disk adds its own read time.
Run: python benchmarks/fingerprint_time.py [--mb 1024]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _read_all(path: Path, chunk: int = 1 << 20) -> None:
    buf = bytearray(chunk)
    with open(path, "rb") as f:
        while f.readinto(buf):
            pass


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1024, help="size of the weight file in MiB")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        os.environ["HERO_CACHE_DIR"] = str(Path(d) / "cache")  # a fresh digest cache, not the user's
        from hero.trap.fingerprint import model_fingerprint

        model = Path(d) / "model"
        model.mkdir()
        (model / "config.json").write_text("{}")
        block = os.urandom(1 << 20)
        with open(model / "model.safetensors", "wb") as f:
            for _ in range(args.mb):
                f.write(block)
        time.sleep(2.1)  # files younger than 2 s are not cached (a writer may still be busy)
        size_gb = args.mb * (1 << 20) / 1e9
        read_s = _timed(lambda: _read_all(model / "model.safetensors"))
        first_s = _timed(lambda: model_fingerprint(model))
        rerun_s = _timed(lambda: model_fingerprint(model))
    print(f"weight file: {args.mb} MiB ({size_gb:.2f} GB)")
    print(f"read only (baseline):        {read_s:.3f} s  {size_gb / read_s:.2f} GB/s")
    print(f"fingerprint, first run:      {first_s:.3f} s  {size_gb / first_s:.2f} GB/s  "
          f"(ratio to read only: {first_s / read_s:.2f})")
    print(f"fingerprint, rerun (cached): {rerun_s * 1000:.2f} ms")
    print(f"15 GB checkpoint, first run: ≈ {15 / (size_gb / first_s):.1f} s from the page cache")


if __name__ == "__main__":
    main()
