"""The offline DPO baseline (`hero train dpo`): preference pairs from the start model's own samples, trained with
TRL's DPOTrainer (which supports this LLaVA-style VLM through its `DataCollatorForVisionPreference`).

1. Prompts: the same world questions and noisy images as GRPO/HERO (`hero.rl.world_data`), shuffled with the seed,
   the first `dpo_prompts` of them.
2. Sampling: `dpo_samples` completions per prompt at `dpo_temperature`, batched through `hero.scoring`'s prompt
   encoding and generation (the model's own chat prompt, image on the fly); stops early, with the pairs found so far,
   once `dpo_sampling_share` of the budget is used.
3. Pairs (`build_pairs`, pure): for each prompt with both, chosen = a completion the exact yes/no verifier marks
   right, rejected = one it marks wrong (unparseable counts as wrong), matched in sampling order.
4. DPOTrainer on the pairs with the same budget clock, seed, checkpoints and logs as the other methods.
The pairs are written to OUT/dpo_pairs.jsonl (by the main process; other ranks read it), so a resumed run trains on
the same pairs without sampling again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hero.io import InputError, read_jsonl, write_jsonl_atomic
from hero.rl.settings import RLRunConfig
from hero.seeding import derive_seed

PAIRS_FILE = "dpo_pairs.jsonl"


def build_pairs(completions: Sequence[Sequence[str]], labels: Sequence[str], max_pairs: int = 1) -> list[dict]:
    """Preference pairs from sampled completions: for prompt i, its right completions (parsed answer == labels[i])
    and wrong ones (other answer or unparseable), duplicates dropped in order, matched first-with-first up to
    `max_pairs`. Returns [{"index": i, "chosen": right, "rejected": wrong}] in prompt order.
    completions [["Answer: yes.", "Answer: no.", "Answer: no."]], labels ["no"] → one pair (chosen "Answer: no.",
    rejected "Answer: yes."); a prompt whose samples are all right (or all wrong) gives none."""
    from hero.rewards.verifier import parse_yes_no

    pairs = []
    for i, (samples, label) in enumerate(zip(completions, labels, strict=True)):
        want = parse_yes_no(str(label))
        if want is None:
            raise ValueError(f"prompt {i}: label {label!r} is not yes/no")
        unique = list(dict.fromkeys(samples))
        right = [c for c in unique if parse_yes_no(c) == want]
        wrong = [c for c in unique if parse_yes_no(c) != want]
        pairs += [{"index": i, "chosen": c, "rejected": r} for c, r in list(zip(right, wrong))[:max_pairs]]
    return pairs


def _seed(seed: int, key: str) -> int:
    return derive_seed(seed, "dpo", key)


def sample_completions(model, processor, rows: Sequence[dict], run: RLRunConfig, deadline: float,
                       batch_size: int = 64) -> list[list[str]]:
    """`run.dpo_samples` sampled completions (decoded text) per row, in row order; rows not reached before
    `deadline` (time.perf_counter()) are left out. Degraded image as in RL (the row's spec)."""
    from hero.rl.world_data import load_image
    from hero.model.load import model_style
    from hero.scoring import Scorer, ScoringConfig
    from hero.scoring.cot import generate

    k = run.dpo_samples
    scorer = Scorer(model, processor, ScoringConfig(mode=model_style(model), temperature=run.dpo_temperature,
                                                    max_new_tokens=run.dpo_max_new_tokens))
    per_batch = max(1, batch_size // k)
    out: list[list[str]] = []
    for s in range(0, len(rows), per_batch):
        if time.perf_counter() >= deadline:
            break
        chunk = rows[s: s + per_batch]
        images = [load_image(r["image_path"], r["image_id"], r.get("degrade", r["sigma"]), run.seed) for r in chunk]
        enc = scorer.encode([r["question"] for r in chunk for _ in range(k)], [im for im in images for _ in range(k)])
        ids = generate(model, enc, scorer.cfg, scorer.eos_ids, scorer.tok.pad_token_id, _seed(run.seed, str(s)))
        texts = [scorer.tok.decode(g, skip_special_tokens=True) for g in ids]
        out += [texts[j * k: (j + 1) * k] for j in range(len(chunk))]
    return out


def make_pairs(model, processor, run: RLRunConfig, rows: list[dict], budget_s: float) -> dict:
    """Sample, build pairs and write OUT/dpo_pairs.jsonl; returns {"pairs", "prompts_sampled", "seconds"}."""
    t0 = time.perf_counter()
    order = np.random.default_rng((run.seed, 11)).permutation(len(rows))[: run.dpo_prompts]
    chosen_rows = [rows[i] for i in order]
    was_training = model.training
    completions = sample_completions(model, processor, chosen_rows, run, t0 + budget_s * run.dpo_sampling_share)
    model.train(was_training)
    sampled = chosen_rows[: len(completions)]
    pairs = build_pairs(completions, [r["answer"] for r in sampled], run.dpo_pairs_per_prompt)
    records = [{**sampled[p["index"]], "chosen": p["chosen"], "rejected": p["rejected"]} for p in pairs]
    seconds = time.perf_counter() - t0
    Path(run.out).mkdir(parents=True, exist_ok=True)
    write_jsonl_atomic(Path(run.out) / PAIRS_FILE, [{"meta": {"prompts_sampled": len(sampled),
                                                              "samples_per_prompt": run.dpo_samples,
                                                              "seconds": seconds}}] + records)
    return {"pairs": len(records), "prompts_sampled": len(sampled), "seconds": seconds}


def read_pairs(path: Path) -> tuple[dict, list[dict]]:
    rows = read_jsonl(path)
    if not rows or "meta" not in rows[0]:
        raise InputError(f"{path}:1: not a dpo_pairs.jsonl written by `hero train dpo` (no meta line); delete it")
    return rows[0]["meta"], rows[1:]


def pair_dataset(records: list[dict], seed: int):
    """`datasets.Dataset` with prompt (conversational, image placeholder), chosen / rejected (assistant turns) and
    image (the noisy image the completions were sampled on): the format of TRL's vision preference collator."""
    from datasets import Dataset

    from hero.rl.world_data import load_image
    from hero.sft.collate import user_message

    return Dataset.from_list([{"prompt": user_message(r["question"]),
                               "chosen": [{"role": "assistant", "content": r["chosen"]}],
                               "rejected": [{"role": "assistant", "content": r["rejected"]}],
                               "image": load_image(r["image_path"], r["image_id"], r.get("degrade", r["sigma"]),
                                                   seed)}
                              for r in records])


def run_dpo(run: RLRunConfig, plan, extra_callbacks=None) -> dict:
    """Sample pairs from the start model (or reuse OUT/dpo_pairs.jsonl when resuming), then train with DPOTrainer.
    `plan`: the checked run (`hero.rl.run_parts.Plan`; trainer config with remove_unused_columns=False)."""
    from accelerate import PartialState
    from trl import DPOTrainer

    from hero.rl.run_parts import (load_start_model, lora_config, make_callbacks, quiet, save_final, summarize,
                                   write_config)

    model, processor, _ = load_start_model(run)
    path = Path(run.out) / PAIRS_FILE
    state = PartialState()
    if state.is_main_process and not (plan.resume_from and path.exists()):
        make_pairs(model, processor, run, plan.rows, run.budget_min * 60.0)
    state.wait_for_everyone()
    meta, records = read_pairs(path)
    if not records:
        raise InputError(f"{path}: no prompt among the {meta['prompts_sampled']} sampled had both a right and a "
                         f"wrong completion in {meta['samples_per_prompt']} samples; raise dpo_samples / dpo_prompts "
                         "or dpo_temperature, or start from a model that is sometimes right")
    callbacks, clock = make_callbacks(run, plan.used_s or meta["seconds"], plan.tensorboard, extra_callbacks)
    trainer = DPOTrainer(model=model, args=plan.args, train_dataset=pair_dataset(records, run.seed),
                         processing_class=processor, callbacks=callbacks, peft_config=lora_config(run))
    quiet(trainer, run)
    write_config(run, plan.args)
    trainer.train(resume_from_checkpoint=str(plan.resume_from) if plan.resume_from else None)
    summary = summarize(run, trainer, clock, plan.resume_from, len(plan.rows), pairs=len(records),
                        prompts_sampled=meta["prompts_sampled"], sampling_seconds=round(meta["seconds"], 1))
    summary["beta"] = plan.args.beta
    save_final(trainer, processor, run, summary)
    return summary
