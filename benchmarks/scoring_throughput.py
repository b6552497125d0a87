"""Scoring throughput: hero.scoring (batched, one forward per batch) vs one-question-at-a-time generation with
answer parsing, the way LLaVA's POPE scripts evaluate (model.generate per question, decode, look for "yes"/"no" in
the text), and vs HF batched `generate` + the same parsing at the same batch size (what lmms-eval does with a
batch size > 1).

    python benchmarks/scoring_throughput.py [--model DIR | --arch qwen2_5_vl] [--world DIR] [--n 256]
                                            [--threads 2] [--profile]

Without --model a random-init `tiny` model of family --arch (default llava) is built, saved and reloaded the way
`hero model init --arch` writes it (throughput does not depend on the weights for an
answer-style model: the one-at-a-time baseline is capped at --max-new-tokens, 2 by default = "yes" + end token, the
best case for the baseline). Without --world the questions come from an in-memory world (the scene API).
Prints samples/s of each and the ratios (wall clock, and CPU time as a cross-check), and checks that all three give
the same answers. Measure on an idle machine: under load the one-at-a-time path suffers more and the ratio inflates.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def world_questions(world: str | None, n: int):
    """n (id, PIL image, question, label) from the world's POPE adversarial test file, or generated."""
    if world:
        path = Path(world) / "test" / "pope" / "world_test_pope_adversarial.json"
        rows = [json.loads(line) for line in path.read_text().splitlines()[:n]]
        return [(str(r["question_id"]), Image.open(Path(world) / "test" / "images" / r["image"]).convert("RGB"),
                 r["text"], r["label"]) for r in rows], json.loads((Path(world) / "world.json").read_text())["config"]
    from hero.world import WorldConfig, render, sample_scene
    from hero.world.scene import image_rng
    from hero.world.text import question

    cfg = WorldConfig()
    out = []
    for i in range(n):
        objs = sample_scene(cfg, image_rng(cfg.seed, 2, i))
        cats = [o.category for o in objs]
        asked = cats[0] if i % 2 == 0 else next(c for c in cfg.categories if c not in cats)
        out.append((f"q{i}", render(cfg, objs), question(asked), "yes" if i % 2 == 0 else "no"))
    return out, cfg.to_dict()


def one_at_a_time(model, processor, items, max_new_tokens: int) -> list[str]:
    """The lmms-eval / LLaVA eval loop: per question, processor → generate → decode → parse."""
    answers = []
    with torch.inference_mode():
        for _, image, text, _ in items:
            msg = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
            prompt = processor.apply_chat_template(msg, add_generation_prompt=True)
            enc = processor(text=prompt, images=image, return_tensors="pt")
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
            reply = processor.tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            answers.append(parse_reply(reply))
    return answers


def batched_generate(model, processor, items, max_new_tokens: int, batch_size: int) -> list[str]:
    """lmms-eval's batched loop: per batch, processor (left padding) → generate → decode → parse each reply."""
    answers, tok = [], processor.tokenizer
    tok.padding_side = "left"
    with torch.inference_mode():
        for s in range(0, len(items), batch_size):
            chunk = items[s: s + batch_size]
            prompts = [processor.apply_chat_template(
                [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": t}]}],
                add_generation_prompt=True) for _, _, t, _ in chunk]
            enc = processor(text=prompts, images=[[im] for _, im, _, _ in chunk], padding=True, return_tensors="pt")
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
            for row in out[:, enc["input_ids"].shape[1]:]:
                answers.append(parse_reply(tok.decode(row, skip_special_tokens=True)))
    return answers


def parse_reply(reply: str) -> str:
    """lmms-eval's POPE parsing: 'no' if the reply says no / not, else 'yes' if it says yes, else ''."""
    words = reply.lower().replace(".", " ").replace(",", " ").split()
    return "no" if "no" in words or "not" in words else "yes" if "yes" in words else ""


def build(arch: str, wcfg: dict):
    """Random-init tiny model of `arch`, saved and reloaded as `hero model init --arch` writes it."""
    import tempfile

    from hero.model.build import build_model, save
    from hero.model.load import load_vlm

    model, processor = build_model("tiny", wcfg["colours"], wcfg["shapes"], wcfg["image_size"], arch=arch)
    with tempfile.TemporaryDirectory() as tmp:
        save(model, processor, tmp)
        return load_vlm(tmp)


def profile(scorer, reqs) -> None:
    """Where the batched path spends its time: cProfile of one scoring pass, top functions by own time."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    scorer.score(reqs)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(r"scoring/(engine|encode|positions).py|processing_|image_processing|get_rope_index|"
                                                r"forward|degrade", 14)
    stats.sort_stats("tottime").print_stats(12)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model folder (default: random-init tiny model of --arch)")
    ap.add_argument("--arch", default="llava", help="family of the random-init model (hero model init --arch)")
    ap.add_argument("--profile", action="store_true", help="also profile one batched scoring pass")
    ap.add_argument("--world", help="world folder (default: in-memory world)")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--max-new-tokens", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats of each (median reported)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from hero.scoring import ScoreRequest, Scorer, ScoringConfig

    items, wcfg = world_questions(a.world, a.n)
    if a.model:
        from hero.model.load import load_vlm

        model, processor = load_vlm(a.model)
    else:
        model, processor = build(a.arch, wcfg)
    model.eval()
    scorer = Scorer(model, processor, ScoringConfig(mode="answer", batch_size=a.batch_size))
    reqs = [ScoreRequest(i, img, q) for i, img, q, _ in items]
    scorer.score(reqs[: a.batch_size])  # warm-up
    one_at_a_time(model, processor, items[:8], a.max_new_tokens)

    batched_generate(model, processor, items[: a.batch_size], a.max_new_tokens, a.batch_size)

    runs = {"batched": lambda: scorer.score(reqs).samples,
            "single": lambda: one_at_a_time(model, processor, items, a.max_new_tokens),
            "generate": lambda: batched_generate(model, processor, items, a.max_new_tokens, a.batch_size)}
    wall, cpu, out = {k: [] for k in runs}, {k: [] for k in runs}, {}
    for _ in range(a.repeats):  # interleaved repeats; the median of each resists other jobs on the shared cores
        for name, fn in runs.items():
            t0, c0 = time.perf_counter(), time.process_time()
            out[name] = fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    t_batched, t_single, t_gen = (float(np.median(wall[k])) for k in runs)
    c_batched, c_single, c_gen = (float(np.median(cpu[k])) for k in runs)
    batched, single, generated = out["batched"], out["single"], out["generate"]

    agree = np.mean([b["answer"] == s for b, s in zip(batched, single)])
    agree_gen = np.mean([b["answer"] == g for b, g in zip(batched, generated)])
    acc = np.mean([b["answer"] == it[3] for b, it in zip(batched, items)])
    print(f"questions: {len(items)}  threads: {a.threads}  model: {a.model or f'random-init tiny {a.arch}'}  "
          f"median of {a.repeats} repeats")
    print(f"hero.scoring batched (batch {a.batch_size}):  {len(items) / t_batched:8.1f} samples/s  ({t_batched:.2f}s)")
    print(f"one at a time, generate + parse:       {len(items) / t_single:8.1f} samples/s  ({t_single:.2f}s)")
    print(f"HF batched generate + parse (batch {a.batch_size}): {len(items) / t_gen:8.1f} samples/s  ({t_gen:.2f}s)")
    print(f"ratio vs one at a time: {t_single / t_batched:.1f}x   vs batched generate: {t_gen / t_batched:.2f}x")
    print(f"CPU-time ratios (process time of all threads; less sensitive to other jobs, not to thread spinning): "
          f"{c_single / c_batched:.1f}x   {c_gen / c_batched:.2f}x")
    print(f"answers agree: one at a time {agree:.3f}, batched generate {agree_gen:.3f}   accuracy (batched): {acc:.3f}")
    if a.profile:
        profile(scorer, reqs)


if __name__ == "__main__":
    main()
