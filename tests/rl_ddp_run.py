"""Run by tests/test_rl_trainer.py::test_two_processes_uneven_gate under torchrun (2 CPU processes, gloo).

Half the prompts get a constant reward, so the gate keeps different row counts on the two ranks; training must not
hang or crash, and both ranks must end with the same β.
"""

import json
import os
import sys

import torch
import torch.distributed as dist

from hero.rl.testing import tiny_trainer, yes_no_dataset


def reward(prompts, completions, **kwargs):
    return [1.0 if "circle" in p else float(i % 2 == 0) for i, p in enumerate(prompts)]


def main(out_dir: str) -> None:
    ds = yes_no_dataset(32, 0)
    rank_dir = f"{out_dir}/rank{os.environ['LOCAL_RANK']}"  # each rank writes/reloads its own model copy: no race
    trainer = tiny_trainer(rank_dir, reward=reward, dataset=ds, per_device_train_batch_size=8, num_generations=4,
                           max_steps=4, ddp_backend="gloo", beta_min=0.0399)
    counts = []
    drop = trainer._hero_drop

    def spy(out, keep):
        counts.append(trainer.accelerator.gather(keep.sum().reshape(1)).tolist())
        return drop(out, keep)

    trainer._hero_drop = spy
    trainer.train()
    betas = [None, None]
    dist.all_gather_object(betas, (trainer.beta, trainer.hero_state.steps))
    if dist.get_rank() == 0:
        gated = [h["hero/gated_frac"] for h in trainer.state.log_history if "hero/gated_frac" in h]
        json.dump({"betas": betas, "gated": gated, "counts": counts}, open(f"{out_dir}/ddp_result.json", "w"))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(sys.argv[1])
