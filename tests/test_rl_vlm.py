"""HeroGRPOTrainer on the tiny LLaVA-style VLM (hero.model): pixel_values ride through the gate's row selection,
the extra entropy pass and the loss. Skipped while hero.model is not available."""

import numpy as np
import pytest
import torch

build = pytest.importorskip("hero.model.build")


def half_constant_reward(prompts, completions, **kwargs):
    return [1.0 if "circle" in str(p) else float(i % 2 == 0) for i, p in enumerate(prompts)]


@pytest.mark.parametrize("weight_mode, source", [("neg_exp", "answer"), ("softmax", "mean")])
def test_hero_trains_a_vlm_with_gated_rows(tmp_path, weight_mode, source):
    from datasets import Dataset
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from hero.rl.hero_config import HeroConfig
    from hero.rl.trainer import HeroGRPOTrainer

    model, processor = build.build_model("tiny", ["red", "green", "blue"], ["circle", "square"], 32, seed=0)
    build.save(model, processor, tmp_path / "vlm")
    model = AutoModelForImageTextToText.from_pretrained(tmp_path / "vlm")
    processor = AutoProcessor.from_pretrained(tmp_path / "vlm")
    rng = np.random.default_rng(0)
    rows = [{"prompt": [{"role": "user", "content": f"Is there a {q} in the image?"}],
             "image": Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)), "answer": "yes"}
            for q in ["red circle", "blue square"] * 4]
    args = HeroConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=16, num_generations=8,
                      max_completion_length=6, max_steps=2, bf16=False, gradient_checkpointing=False, use_cpu=True,
                      report_to=[], logging_steps=1, learning_rate=1e-3, save_strategy="no", seed=0,
                      shuffle_dataset=False, disable_tqdm=True, weight_mode=weight_mode, entropy_source=source)
    trainer = HeroGRPOTrainer(model=model, reward_funcs=half_constant_reward, args=args,
                              train_dataset=Dataset.from_list(rows), processing_class=processor)
    drops = []
    drop = trainer._hero_drop
    trainer._hero_drop = lambda out, keep: drops.append(drop(out, keep)) or drops[-1]
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train()
    assert [d["completion_ids"].size(0) for d in drops] == [8, 8]  # circle group gated, square group kept
    assert all(d["pixel_values"].size(0) == 8 for d in drops)  # one image per kept row
    logs = trainer.state.log_history[:-1]
    assert [h["hero/gated_frac"] for h in logs] == [0.5, 0.5]
    assert all(np.isfinite(h["hero/entropy_wrong"]) and h["hero/weight_mean"] > 0 for h in logs)
    assert any(not torch.equal(x, y) for x, y in zip(before, trainer.model.parameters()))
