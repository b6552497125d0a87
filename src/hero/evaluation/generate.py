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

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from hero.degrade import Degradation
from hero.io import InputError
from hero.mathutil import gumbel_perturb
from hero.seeding import derive_seed

DECODINGS = ("greedy", "sample", "vcd")
DTYPES = ("float32", "bfloat16", "float16")


@dataclass
class DecodingConfig:
    """How `hero eval` generates."""

    decoding: str = "greedy"
    """greedy | sample | vcd."""
    temperature: float | None = None
    """Sampling temperature; None = the decoding's default (greedy 0, sample 1, vcd 1 as the official VCD code).
    0 with vcd = greedy VCD."""
    vcd_alpha: float = 1.0
    """VCD contrast strength α (≥ 0; 0 = plain decoding inside the β cut-off)."""
    vcd_beta: float = 0.1
    """VCD plausibility cut-off β in (0, 1]: keep tokens with p(y|v,x) ≥ β·max p."""
    vcd_step: int = 500
    """VCD diffusion noise step t in 0..999 of the official 1000-step schedule."""
    degrade: str | float | None = None
    """hero.degrade spec applied to every image before the processor ('noise:30', 'blur:1', 'noise:30+blur:1';
    a number = noise σ on the 0–255 scale); None / 'none' / 0 = clean. Stored canonical, None for clean."""
    max_new_tokens: int = 128
    """Longest generation in tokens."""
    batch_size: int = 16
    """Requests per `generate` call (outputs are flushed per batch)."""
    seed: int = 0
    """Seeds the image noise, the sampling draws and the VCD noise (each per request)."""
    device: str = "auto"
    """Where the model runs: auto (cuda if available, else cpu), cpu, cuda, cuda:1, ..."""
    dtype: str = "auto"
    """Model weights dtype: auto (bfloat16 on cuda, float32 on cpu), float32, bfloat16 or float16."""

    def __post_init__(self) -> None:
        self._resolve_device()
        if self.decoding not in DECODINGS:
            raise ValueError(f"--decoding {self.decoding!r}: choose one of {', '.join(DECODINGS)}")
        if self.temperature is None:
            self.temperature = 0.0 if self.decoding == "greedy" else 1.0
        t = float(self.temperature)
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"--temperature {t} must be a finite number ≥ 0")
        if self.decoding == "greedy" and t != 0:
            raise ValueError(f"--temperature {t} with greedy decoding: use --decoding sample (or vcd) to sample")
        if self.decoding == "sample" and t == 0:
            raise ValueError("--decoding sample needs --temperature > 0 (0 is greedy: use --decoding greedy)")
        self.temperature = t
        if self.vcd_alpha < 0 or not 0 < self.vcd_beta <= 1:
            raise ValueError(f"VCD needs --vcd-alpha ≥ 0 and 0 < --vcd-beta ≤ 1, got {self.vcd_alpha}, "
                             f"{self.vcd_beta}")
        if not 0 <= self.vcd_step < 1000:
            raise ValueError(f"--vcd-step {self.vcd_step} must be in 0..999 (1000-step diffusion schedule)")
        try:
            spec = Degradation.parse(self.degrade)
        except ValueError as e:
            raise ValueError(f"--degrade {self.degrade!r}: {e}") from None
        self.degrade = None if spec.is_identity else str(spec)
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise ValueError("--max-new-tokens and --batch-size must be ≥ 1")

    def _resolve_device(self) -> None:
        if self.device == "auto":
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"--device {self.device!r}: use auto, cpu or cuda[:N]")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"--device {self.device}: no CUDA device is available; use --device cpu")
        if self.dtype == "auto":
            self.dtype = "bfloat16" if self.device.startswith("cuda") else "float32"
        if self.dtype not in DTYPES:
            raise ValueError(f"--dtype {self.dtype!r}: choose auto or one of {', '.join(DTYPES)}")

    def identity(self) -> dict:
        """Settings that change what is generated (not the batch size — draws are per request — nor the device)."""
        d = asdict(self)
        d.pop("batch_size")
        d.pop("device")
        sigma = Degradation.parse(d.pop("degrade")).sigma
        d.update({"noise": sigma} if sigma is not None else {"degrade": self.degrade})  # older runs kept "noise"
        if self.decoding != "vcd":
            for k in ("vcd_alpha", "vcd_beta", "vcd_step"):
                d.pop(k)
        return d


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
        from hero.decoding.vcd import VCDLogitsProcessor, diffusion_noise

        cfg, procs = self.cfg, []
        if cfg.decoding == "vcd":
            pix = enc["pixel_values"]  # (B, ...)
            noisy = torch.cat([diffusion_noise(pix[b: b + 1].float(), cfg.vcd_step, torch.Generator().manual_seed(
                request_seed(cfg.seed, r.image, r.prompt, "vcd"))) for b, r in enumerate(requests)])  # (B, ...)
            extra = {k: v for k, v in enc.items() if k not in ("input_ids", "attention_mask")}
            procs.append(VCDLogitsProcessor(self.model, enc["input_ids"], enc["attention_mask"],
                                            {**extra, "pixel_values": noisy.to(pix.dtype)}, cfg.vcd_alpha,
                                            cfg.vcd_beta))
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


def load_generator(model_dir: str | Path, cfg: DecodingConfig, images_dir: str | Path) -> Generator:
    """A `Generator` over a model folder (validated by `hero.model.load.load_vlm`)."""
    from hero.model.load import load_vlm

    model, processor = load_vlm(model_dir, dtype=getattr(torch, cfg.dtype))
    return Generator(model.to(cfg.device), processor, cfg, images_dir)
