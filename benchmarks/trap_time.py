"""`hero trap` wall time for 3 σ levels × 1,000 questions on the tiny answer-style model (goal < 60 s on 2 cores).

Builds a small world, an answer-style tiny model (random init is enough for timing: the work per question is the
same), 1,000 POPE questions, then times `run_trap` end to end (scoring with on-the-fly noise, summary, report).
Run: python benchmarks/trap_time.py [--model DIR --questions FILE --images DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--questions")
    ap.add_argument("--images")
    args = ap.parse_args()
    from hero.scoring import make_trap_scorer
    from hero.trap.run import TrapConfig, run_trap

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        model, questions, images = args.model, args.questions, args.images
        if model is None:
            from hero.model.build import build_model, save
            from hero.world import WorldConfig, build_world, pope_path

            cfg = WorldConfig(train_images=0, val_images=0, test_images=700)
            build_world(cfg, d / "world", progress=False)
            m, p = build_model("tiny", cfg.colours, cfg.shapes, cfg.image_size)
            save(m, p, d / "model")
            lines = pope_path(d / "world", "test", "random").read_text().splitlines()[:1000]
            (d / "q.json").write_text("\n".join(lines) + "\n")
            model, questions, images = str(d / "model"), str(d / "q.json"), str(d / "world" / "test" / "images")
        n = len(Path(questions).read_text().splitlines())
        t0 = time.perf_counter()
        res = run_trap(TrapConfig(model=model, questions=questions, images=images, out=str(d / "run")),
                       make_trap_scorer(model, mode="answer"))
        dt = time.perf_counter() - t0
    total = res.summary["n_samples"]
    print(f"hero trap, answer-style tiny model: {n} questions × 3 σ = {total} samples in {dt:.1f} s "
          f"({total / dt:.0f} samples/s, incl. model load, summary and report); goal < 60 s: "
          f"{'met' if dt < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
