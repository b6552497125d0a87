"""`hero eval --backend vllm`: generation with vLLM's offline engine (CUDA; `pip install hero-vlm[vllm]`).

The same requests, prompts and images as the HF backend: the chat template renders [image, text] with the generation
prompt, images are degraded in memory by `hero.degrade.apply` seeded by (seed, image name), sampling is seeded per
request by (seed, image, prompt). The texts are vLLM's, not transformers' (kernels and sampling differ), so the
backend is part of the run folder's identity.

Not yet verified: written against vLLM's documented `LLM.generate` API (prompt + multi_modal_data, one
SamplingParams per prompt) on a machine without a GPU; benchmarks/gpu_check.sh runs it first (docs/gpu.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hero.evaluation.generate import Request, request_seed
from hero.hardware import require


class VllmGenerator:
    """A vLLM engine + the model's processor (for the chat template) under one DecodingConfig."""

    def __init__(self, model_dir, cfg, images_dir, gpu_memory_utilization: float = 0.85):
        from hero.model.load import load_processor

        self.vllm = require("vllm", "--backend vllm")
        self.cfg, self.images_dir = cfg, Path(images_dir)
        self.processor = load_processor(model_dir)
        self.llm = self.vllm.LLM(model=str(model_dir), dtype=cfg.dtype, seed=cfg.seed,
                                 gpu_memory_utilization=gpu_memory_utilization, limit_mm_per_prompt={"image": 1})
        self._prompts: dict[str, str] = {}

    def prompt(self, text: str) -> str:
        if text not in self._prompts:
            msg = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
            self._prompts[text] = self.processor.apply_chat_template(msg, add_generation_prompt=True, tokenize=False)
        return self._prompts[text]

    def image(self, name: str):
        from PIL import Image

        from hero.degrade import apply

        img = Image.open(self.images_dir / name).convert("RGB")
        return apply(img, self.cfg.degrade, seed=self.cfg.seed, image_id=name) if self.cfg.degrade else img

    def params(self, r: Request):
        t = self.cfg.temperature
        return self.vllm.SamplingParams(max_tokens=self.cfg.max_new_tokens, temperature=t, skip_special_tokens=True,
                                        seed=request_seed(self.cfg.seed, r.image, r.prompt, "sample") if t else None)

    def generate(self, requests: Sequence[Request]) -> list[dict]:
        """One batch → [{"image", "prompt", "text", "n_tokens", "stop": "eos"|"length"}] in request order."""
        inputs = [{"prompt": self.prompt(r.prompt), "multi_modal_data": {"image": self.image(r.image)}}
                  for r in requests]
        outs = self.llm.generate(inputs, sampling_params=[self.params(r) for r in requests], use_tqdm=False)
        return [{"image": r.image, "prompt": r.prompt, "text": o.outputs[0].text.strip(),
                 "n_tokens": len(o.outputs[0].token_ids),
                 "stop": "length" if o.outputs[0].finish_reason == "length" else "eos"}
                for r, o in zip(requests, outs)]


def load_vllm_generator(model_dir, cfg, images_dir) -> VllmGenerator:
    """The `vllm` entry of hero.evaluation.backends.BACKENDS."""
    return VllmGenerator(model_dir, cfg, images_dir)
