"""Time `hero world build` of 2,000 train images (+ 500 val + 500 test) on this machine; goal < 20 s for 2,000.

Run: python benchmarks/world_build_time.py
"""

import tempfile
import time

from hero.world import WorldConfig, build_world


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        cfg = WorldConfig(train_images=2000, val_images=0, test_images=0)
        t0 = time.perf_counter()
        build_world(cfg, d, progress=False)
        t_train = time.perf_counter() - t0
        cfg = WorldConfig(train_images=2000, val_images=500, test_images=500)
        t0 = time.perf_counter()
        build_world(cfg, d + "/full", progress=False)
        t_full = time.perf_counter() - t0
    print(f"world build, 2,000 images:                  {t_train:.2f} s  (goal < 20 s: {'met' if t_train < 20 else 'NOT met'})")
    print(f"world build, 2,000 + 500 + 500 with POPE:   {t_full:.2f} s")


if __name__ == "__main__":
    main()
