"""TRL 1.16's multimodal path accepts the tiny VLM: GRPOTrainer generates from list-of-parts prompts with images."""

import torch
from PIL import Image

from hero.model.build import build_model, save


def test_grpo_two_steps_with_images(tmp_path):
    import datasets
    from trl import GRPOConfig, GRPOTrainer

    model, processor = build_model("tiny", ["red", "green"], ["circle", "square"], 32)
    save(model, processor, tmp_path / "m")
    imgs = [Image.new("RGB", (32, 32), (200, 40, 40)), Image.new("RGB", (32, 32), (40, 190, 60))]
    ds = datasets.Dataset.from_dict({
        "prompt": [[{"role": "user", "content": [{"type": "image"},
                                                 {"type": "text", "text": "Is there a red circle in the image?"}]}]] * 4,
        "image": [imgs[i % 2] for i in range(4)]})

    def reward(completions, **kw):
        texts = [c[0]["content"] if isinstance(c, list) else c for c in completions]
        return [1.0 if "yes" in t else 0.0 for t in texts]

    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=2,
                      max_completion_length=4, max_steps=2, bf16=False, use_cpu=True, report_to=[],
                      gradient_checkpointing=False, logging_steps=1, save_strategy="no", beta=0.0)
    trainer = GRPOTrainer(model=str(tmp_path / "m"), reward_funcs=reward, args=args, train_dataset=ds,
                          processing_class=processor)
    trainer.train()
    assert trainer.state.global_step == 2
    assert torch.isfinite(torch.tensor(trainer.state.log_history[-1]["train_loss"]))
