"""Batched free-text generation for (image, prompt) requests with any Hugging Face VLM + processor.

Decodings (`DecodingConfig.decoding`):
* ``greedy`` — argmax every step;
* ``sample`` — categorical sampling at `temperature`, drawn by the Gumbel-max trick with uniforms from a generator
  seeded per request by (seed, image, prompt): a request's text never depends on the batch it ran in, so a resumed
  run equals an uninterrupted one;
* ``vcd`` — Visual Contrastive Decoding (`hero.decoding.vcd`): per step (1+α)·ℓ(y|v,x) − α·ℓ(y|v',x), restricted to
  tokens with p(y|v,x) ≥ β·max p; v' = the preprocessed pixels after diffusion noise at step t, ε seeded per
  request. Temperature 0 = greedy VCD; > 0 = sampled VCD (the official VCD scripts sample at T = 1).
Images may be degraded on the fly (`degrade`: one hero.degrade spec such as 'noise:30', 'blur:1' or
'noise:30+blur:1'; a number means noise σ; seeded by (seed, image name, op, level) — the same degraded image
`hero trap` sees). One spec per run: the spec is part of the run's identity (for noise-only specs stored as
"noise": σ, as before specs existed, so older run folders resume); evaluate several degradations with one run
folder each. Image loading, degradation and the chat prompt ([image, text], generation
prompt added) are `hero.scoring.Scorer`'s. Generation uses a fresh `GenerationConfig` (no model-default penalties
or warpers), left padding and `torch.inference_mode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from hero.evaluation.config import DECODINGS, DTYPES, DecodingConfig  # noqa: F401 (re-export)
from hero.io import InputError
from hero.mathutil import gumbel_perturb
from hero.seeding import derive_seed

@dataclass(frozen=True)
class Request:
    """One generation: an image (file name under the images folder — also its noise key) and a prompt."""

    image: str
    prompt: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.image, self.prompt)


def request_seed(seed: int, image: str, prompt: str, stream: str) -> int:
    """63-bit seed from (seed, stream, image, prompt) via SHA-256; stable across processes."""
    return derive_seed(int(seed), stream, image, prompt)


class SeededGumbelSampler:
    """Logits processor that turns greedy `generate` into per-row seeded sampling (see `gumbel_perturb`)."""

    def __init__(self, seeds: Sequence[int], temperature: float):
        self.gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
        self.temperature = temperature

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        V = scores.shape[-1]
        u = torch.stack([torch.rand(V, generator=g, dtype=torch.float64) for g in self.gens])  # (B, V)
        u = u.clamp(1e-12, 1 - 1e-12).to(scores.device)
        return gumbel_perturb(scores.double(), u, self.temperature).to(scores.dtype)


def new_tokens(out: torch.Tensor, prompt_len: int, eos_ids: Sequence[int]) -> list[tuple[list[int], bool]]:
    """Each row's generated ids up to (not incl.) the first EOS, and whether an EOS ended it. (B, T) → B pairs."""
    new = out[:, prompt_len:]  # (B, N)
    rows = []
    for row in new.tolist():
        cut = next((i for i, t in enumerate(row) if t in eos_ids), None)
        rows.append((row if cut is None else row[:cut], cut is not None))
    return rows


class Generator:
    """A model + processor that turns batches of `Request`s into texts under one `DecodingConfig`."""

    def __init__(self, model, processor, cfg: DecodingConfig, images_dir: str | Path):
        from hero.scoring import Scorer, ScoringConfig

        self.model, self.cfg, self.images_dir = model.eval(), cfg, Path(images_dir)
        self.helper = Scorer(model, processor, ScoringConfig(
            degrade=cfg.degrade, seed=cfg.seed, batch_size=cfg.batch_size))
        self.tok = self.helper.tok
        self.eos_ids = self.helper.eos_ids
        self.pad_id = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.eos_ids[0]

    def _encode(self, requests: Sequence[Request]) -> dict:
        from hero.scoring import ScoreRequest

        reqs = [ScoreRequest(id=f"{r.image}|{r.prompt}", image=str(self.images_dir / r.image), question=r.prompt,
                             image_id=r.image) for r in requests]
        good, images, errors = self.helper.load_images(reqs)
        if errors:
            raise InputError("unreadable image(s): " + "; ".join(f"{e['file']}: {e['error']}" for e in errors[:5]))
        enc = {k: v.to(self.model.device) if isinstance(v, torch.Tensor) else v
               for k, v in self.helper.encode([r.question for r in good], images).items()}
        enc["pixel_values"] = enc["pixel_values"].to(self.model.dtype)
        return enc

    def _processors(self, enc: dict, requests: Sequence[Request]) -> list:
        from hero.decoding.vcd import VCDLogitsProcessor, distorted_pixels

        cfg, procs = self.cfg, []
        if cfg.decoding == "vcd":
            noisy = distorted_pixels(enc["pixel_values"], [request_seed(cfg.seed, r.image, r.prompt, "vcd")
                                                           for r in requests], cfg.vcd_step, "--decoding vcd",
                                     type(self.model).__name__, "use --decoding greedy or sample with this model")
            extra = {k: v for k, v in enc.items() if k not in ("input_ids", "attention_mask")}
            procs.append(VCDLogitsProcessor(self.model, enc["input_ids"], enc["attention_mask"],
                                            {**extra, "pixel_values": noisy}, cfg.vcd_alpha, cfg.vcd_beta))
        if cfg.temperature > 0:
            procs.append(SeededGumbelSampler([request_seed(cfg.seed, r.image, r.prompt, "sample")
                                              for r in requests], cfg.temperature))
        return procs

    @torch.inference_mode()
    def generate(self, requests: Sequence[Request]) -> list[dict]:
        """One batch → [{"image", "prompt", "text", "n_tokens", "stop": "eos"|"length"}] in request order."""
        import warnings

        from transformers import GenerationConfig, LogitsProcessorList

        enc = self._encode(requests)
        image_token = getattr(self.model.config, "image_token_id", None)  # never generate an image placeholder
        gen_cfg = GenerationConfig(max_new_tokens=self.cfg.max_new_tokens, do_sample=False, num_beams=1,
                                   eos_token_id=list(self.eos_ids), pad_token_id=self.pad_id,
                                   suppress_tokens=[image_token] if image_token is not None else None)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)  # past_key_values naming in VCD's branch
            out = self.model.generate(**enc, generation_config=gen_cfg,
                                      logits_processor=LogitsProcessorList(self._processors(enc, requests)))
        rows = []
        for r, (ids, ended) in zip(requests, new_tokens(out, enc["input_ids"].shape[1], self.eos_ids)):
            text = self.tok.decode(ids, skip_special_tokens=True).strip()
            rows.append({"image": r.image, "prompt": r.prompt, "text": text, "n_tokens": len(ids),
                         "stop": "eos" if ended else "length"})
        return rows


def load_generator(model_dir: str | Path, cfg: DecodingConfig, images_dir: str | Path):
    """The generator of `cfg.backend` (hero.evaluation.backends: hf = `Generator` below, vllm, ...)."""
    from hero.evaluation.backends import load

    return load(model_dir, cfg, images_dir)


def load_hf_generator(model_dir: str | Path, cfg: DecodingConfig, images_dir: str | Path) -> Generator:
    """A `Generator` over a model folder (validated by `hero.model.load.load_vlm`): the `hf` backend."""
    from hero.model.load import load_vlm

    model, processor = load_vlm(model_dir, dtype=getattr(torch, cfg.dtype))
    return Generator(model.to(cfg.device), processor, cfg, images_dir)
