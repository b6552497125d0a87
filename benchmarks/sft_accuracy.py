"""SFT accuracy within a time budget: `hero model init` → `hero train sft` → accuracy on the world's held-out
POPE test split (adversarial by default) at σ = 0, scored by hero.scoring (greedy).

    python benchmarks/sft_accuracy.py --world DIR [--style answer|cot|both] [--budget-min 5] [--preset tiny]
                                      [--split adversarial] [--threads 0] [--out DIR] [--sft-arg KEY=VALUE ...]

Prints, per style: accuracy (overall and by question kind: pos, bind1 / bind2 = negatives sharing the colour or
the shape / both with objects present, neg = neither), unparseable count, training seconds (wall clock, data
rendering included), steps, examples, threads, precision, and the machine's load average during the run (2 shared cores: other jobs slow training down).
Appends one JSON line per run to OUT/sft_accuracy.jsonl. Without --world, a world is built under OUT first.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def question_kind(label: str, asked: str, present: list[str]) -> str:
    """pos (label yes); bind2 (asked colour and asked shape both present, on different objects); bind1 (one of
    them present); neg (neither). question_kind("no", "red circle", ["red square", "blue circle"]) = "bind2"."""
    if label == "yes":
        return "pos"
    colour, shape = asked.split(" ", 1)
    has_c, has_s = any(p.split(" ", 1)[0] == colour for p in present), any(p.split(" ", 1)[1] == shape for p in present)
    return "bind2" if has_c and has_s else "bind1" if has_c or has_s else "neg"


def evaluate(model_dir: Path, world: Path, split: str, style: str, world_split: str = "test") -> dict:
    from hero.io import read_jsonl
    from hero.scoring import ScoreRequest, load_scorer
    from hero.world.build import load_annotations, load_world, pope_path
    from hero.world.text import question

    rows = read_jsonl(pope_path(world, world_split, split))
    scorer = load_scorer(model_dir, mode=style, batch_size=128, max_new_tokens=64)
    reqs = [ScoreRequest(str(r["question_id"]), str(world / world_split / "images" / r["image"]), r["text"])
            for r in rows]
    t0 = time.perf_counter()
    run = scorer.score(reqs)
    if run.errors:
        raise SystemExit(f"unreadable images: {run.errors[:3]}")
    present = {Path(a["file"]).name: [o["category"] for o in a["objects"]]
               for a in load_annotations(world, world_split)}
    asked_by_text = {question(c): c for c in load_world(world)[0].categories}  # the world's own question wording
    totals, hits = {}, {}
    for s, r in zip(run.samples, rows):
        kind = question_kind(r["label"], asked_by_text[r["text"]], present[r["image"]])
        totals[kind] = totals.get(kind, 0) + 1
        hits[kind] = hits.get(kind, 0) + (s["answer"] == r["label"])
    correct = sum(hits.values())
    return {"accuracy": correct / len(rows), "n": len(rows), "unparseable": run.n_unparseable,
            "by_kind": {k: {"accuracy": round(hits[k] / totals[k], 4), "n": totals[k]} for k in sorted(totals)},
            "eval_seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world")
    ap.add_argument("--style", default="both", choices=["answer", "cot", "both"])
    ap.add_argument("--budget-min", type=float, default=5.0)
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--split", default="adversarial", choices=["random", "popular", "adversarial"])
    ap.add_argument("--eval-split", default="test", choices=["val", "test"],
                    help="world split whose POPE file is scored (tune on val, report test)")
    ap.add_argument("--threads", type=int, default=0, help="0 = auto (see SFTRunConfig.threads)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/bench_sft")
    ap.add_argument("--sft-arg", action="append", default=[], help="extra SFTRunConfig field, e.g. lr=0.004")
    a = ap.parse_args()
    import torch

    from hero.model.build import build_model, save
    from hero.sft.pipeline import run_sft
    from hero.sft.settings import SFTRunConfig
    from hero.world import load_world

    if a.threads:
        torch.set_num_threads(a.threads)
    out = Path(a.out)
    world = Path(a.world) if a.world else out / "world"
    if not (world / "world.json").exists():
        from hero.world import WorldConfig
        from hero.world.build import build_world

        build_world(WorldConfig(), world, progress=False)
    wcfg, _ = load_world(world)
    extra = {}
    for kv in a.sft_arg:
        k, _, v = kv.partition("=")
        extra[k] = type(getattr(SFTRunConfig, k, ""))(v) if not isinstance(getattr(SFTRunConfig, k, ""), bool) \
            else v.lower() in ("1", "true", "yes")
    for style in (["answer", "cot"] if a.style == "both" else [a.style]):
        init_dir, sft_dir = out / f"init_{a.preset}", out / f"sft_{style}"
        model, processor = build_model(a.preset, wcfg.colours, wcfg.shapes, wcfg.image_size, seed=a.seed)
        save(model, processor, init_dir)
        load0 = os.getloadavg()[0]
        cfg = SFTRunConfig(model=str(init_dir), world=str(world), style=style, out=str(sft_dir),
                           budget_min=a.budget_min, seed=a.seed, threads=a.threads, progress=False, **extra)
        summary = run_sft(cfg)
        res = {"style": style, "preset": a.preset, "budget_min": a.budget_min, "split": a.split, **summary,
               **evaluate(sft_dir, world, a.split, style, a.eval_split), "eval_split": a.eval_split,
               "load_avg_start": round(load0, 2),
               "load_avg_end": round(os.getloadavg()[0], 2), "extra": extra}
        print(f"{style:6s} accuracy {res['accuracy']:.4f} on {res['n']} {a.eval_split} {a.split} questions "
              f"(unparseable {res['unparseable']}), trained {res['seconds']}s, {res['steps']} steps, "
              f"{res['examples']} examples, {res['threads']} thread(s), {res['precision']}, "
              f"load avg {res['load_avg_start']}→{res['load_avg_end']}", flush=True)
        kinds = ", ".join(f"{k} {v['accuracy']:.3f} (n={v['n']})" for k, v in res["by_kind"].items())
        print(f"       by kind: {kinds}", flush=True)
        with open(out / "sft_accuracy.jsonl", "a") as f:
            f.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
