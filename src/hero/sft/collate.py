"""Turn SFT examples into model batches without per-example processor calls.

The prompt goes through the processor's chat template exactly once per distinct user text (cached), and the
image placeholder is expanded to the model's image-token count, as `LlavaProcessor` does. Pixels are normalised
in torch with the image processor's own rescale/mean/std: for images already at the model's size this equals
the processor's output (tests check it), at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from hero.model.tokenizer import END, IMAGE

IGNORE = -100


def user_message(text: str, images: int = 1) -> list[dict]:
    """A one-turn user message in TRL's list-of-parts form: `images` image placeholders (in the order the images
    are given), then the text, as TRL writes it. user_message("Q?", 2) → [{"role": "user", "content":
    [{"type": "image"}, {"type": "image"}, {"type": "text", "text": "Q?"}]}]."""
    if images < 1:
        raise ValueError(f"images={images}: a prompt shows at least one image")
    return [{"role": "user", "content": [*({"type": "image"} for _ in range(images)), {"type": "text", "text": text}]}]


def normalise_pixels(images: np.ndarray, rescale: float, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(B, H, W, 3) uint8 → (B, 3, H, W) float32: (x · rescale − mean) / std per channel."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() * rescale  # (B, 3, H, W)
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return (x - m) / s


class SFTCollator:
    """Examples (image, prompt, target) → input_ids, attention_mask, labels (prompt masked), pixel_values (one
    row per image: an example with several images has as many placeholders and rows, in order).

    Sequences are right-padded for training (the loss ignores pads; RoPE makes the offset irrelevant anyway).
    """

    def __init__(self, processor, image_tokens: int):
        self.tok = processor.tokenizer
        ip = processor.image_processor
        self.pix = (float(ip.rescale_factor), list(ip.image_mean), list(ip.image_std))
        self.image_tokens = image_tokens
        self.processor = processor
        self._prompts: dict[tuple[str, int], list[int]] = {}
        self._targets: dict[str, list[int]] = {}

    def prompt_ids(self, text: str, images: int = 1) -> list[int]:
        if (text, images) not in self._prompts:
            rendered = self.processor.apply_chat_template(user_message(text, images), add_generation_prompt=True)
            rendered = rendered.replace(IMAGE, IMAGE * self.image_tokens)
            self._prompts[text, images] = self.tok(rendered, add_special_tokens=False)["input_ids"]
        return self._prompts[text, images]

    def target_ids(self, text: str) -> list[int]:
        if text not in self._targets:
            self._targets[text] = self.tok(text + END, add_special_tokens=False)["input_ids"]
        return self._targets[text]

    def __call__(self, examples) -> dict[str, torch.Tensor]:
        prompts = [self.prompt_ids(e.prompt, len(e.images)) for e in examples]
        targets = [self.target_ids(e.target) for e in examples]
        lengths = [len(p) + len(t) for p, t in zip(prompts, targets)]
        T = max(lengths)
        ids = torch.full((len(examples), T), self.tok.pad_token_id, dtype=torch.long)  # (B, T)
        labels = torch.full((len(examples), T), IGNORE, dtype=torch.long)  # (B, T)
        mask = torch.zeros((len(examples), T), dtype=torch.long)  # (B, T)
        for b, (p, t) in enumerate(zip(prompts, targets)):  # B ≤ a few hundred short lists: negligible
            ids[b, : len(p) + len(t)] = torch.tensor(p + t)
            labels[b, len(p): len(p) + len(t)] = torch.tensor(t)
            mask[b, : len(p) + len(t)] = 1
        pixels = normalise_pixels(np.stack([im for e in examples for im in e.images]), *self.pix)  # (ΣN, 3, H, W)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels, "pixel_values": pixels}


class ProcessorCollator:
    """The same batches for any model family: the processor renders and expands each (image, prompt + target)
    — Qwen's image grids, Idefics' image splitting — and the labels keep only the target's tokens (its tail).
    Used for every family but LLaVA, whose fixed-size fast path is `SFTCollator`."""

    def __init__(self, processor):
        self.processor, self.tok = processor, processor.tokenizer
        self._targets: dict[str, list[int]] = {}

    def prompt(self, text: str, images: int = 1) -> str:
        return self.processor.apply_chat_template(user_message(text, images), add_generation_prompt=True)

    def target_ids(self, text: str) -> list[int]:
        if text not in self._targets:
            self._targets[text] = self.tok(text + self.tok.eos_token, add_special_tokens=False)["input_ids"]
        return self._targets[text]

    def __call__(self, examples) -> dict[str, torch.Tensor]:
        from PIL import Image

        texts = [self.prompt(e.prompt, len(e.images)) + e.target + self.tok.eos_token for e in examples]
        images = [[Image.fromarray(np.asarray(im)) for im in e.images] for e in examples]  # one list per prompt
        enc = dict(self.processor(text=texts, images=images, padding=True, padding_side="right",
                                  return_tensors="pt"))
        labels = torch.full_like(enc["input_ids"], IGNORE)  # (B, T)
        for b, e in enumerate(examples):
            target = self.target_ids(e.target)
            end = int(enc["attention_mask"][b].sum())
            if enc["input_ids"][b, end - len(target): end].tolist() != target:
                raise ValueError(f"target {e.target!r} does not tokenize the same alone as after its prompt; "
                                 "the labels cannot be located")
            labels[b, end - len(target): end] = torch.tensor(target)
        enc["labels"] = labels
        return enc


def fixed_size(model) -> bool:
    """Whether `model` takes the fixed-size fast path (`SFTCollator`: LLaVA, a constant number of image tokens and a
    plain (B, 3, H, W) pixel tensor); every other family goes through its processor (`ProcessorCollator`)."""
    return model.config.model_type == "llava"


def make_collator(processor, model, image_size: int | None):
    """The SFT collator for `model`: SFTCollator for images of `image_size` pixels, or ProcessorCollator."""
    from hero.model.presets import num_image_tokens

    if fixed_size(model):
        return SFTCollator(processor, num_image_tokens(image_size, model.config.vision_config.patch_size))
    return ProcessorCollator(processor)
