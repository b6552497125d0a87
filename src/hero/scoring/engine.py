"""Batched yes/no scoring of (image, question) pairs with any Hugging Face image-text-to-text model.

Answer-style models: one forward pass per batch; the answer position is the first generated position, which with
left padding is the last column for every row. CoT models: batched generation (greedy or sampled), then the
position right after the last "Answer:" in each reasoning is located and the whole batch is scored teacher-forced
in one more forward pass. Per-sample Python is limited to text parsing of CoT outputs.

Temperature T sets the answer distribution: p_yes, p_no, entropy_binary and entropy_full are computed from
softmax(logits / T) at the answer position (T = 1: the model's own probabilities; T = 0, greedy, also reads them at
T = 1), and sampled answers / CoT reasoning are drawn at the same T. Degradation and temperature are per call
(`Scorer.score(requests, degrade, temperature)`); None takes the config's default, and the config is never mutated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from hero import mathutil
from hero.scoring import core
from hero.scoring.encode import BatchEncoder
from hero.scoring.positions import RopePositions, VisionMeta
from hero.seeding import derive_seed


@dataclass
class ScoreRequest:
    """One question: its id, the image (a PIL image, or a path to load) and the question text."""

    id: str
    image: object
    question: str
    image_id: str = ""
    """Key that seeds the image's degradation (default: the file name or the id): same image, same noise."""


@dataclass
class ScoringConfig:
    """How to score."""

    mode: str = "answer"
    """'answer': the answer is the first generated token; 'cot': generate reasoning, answer after 'Answer:'."""
    temperature: float = 0.0
    """0 = greedy; > 0 = sampling at this temperature."""
    max_new_tokens: int = 64
    """Longest CoT generation (answer mode generates nothing)."""
    batch_size: int = 64
    """Questions per forward pass."""
    degrade: str | None = None
    """Default hero.degrade spec applied on the fly ('noise:30', 'noise:30+blur:1', ...); None or 'none' = clean.
    Stored canonical (validated by hero.degrade); a number means noise σ."""
    seed: int = 0
    """Seeds the degradation (with each image id) and the sampling."""
    vcd_alpha: float | None = None
    """None = plain decoding; a number α ≥ 0 = VCD (hero.decoding.vcd): the answer distribution is softmax of the
    contrastive logits (1 + α)·ℓ(v) − α·ℓ(v') with the β cut-off, v' the diffusion-noised image (CoT: the reasoning
    is generated with VCD too)."""
    vcd_beta: float = 0.1
    """VCD plausibility cut-off β in (0, 1]."""
    vcd_step: int = 500
    """VCD diffusion noise step t in 0..999."""

    def __post_init__(self) -> None:
        if self.mode not in ("answer", "cot"):
            raise ValueError(f"mode={self.mode!r}; use 'answer' (yes/no first) or 'cot' (reasoning then 'Answer:')")
        if self.temperature < 0:
            raise ValueError(f"temperature={self.temperature} must be ≥ 0 (0 = greedy)")
        if self.batch_size < 1 or self.max_new_tokens < 1:
            raise ValueError("batch_size and max_new_tokens must be ≥ 1")
        if self.vcd_alpha is not None and (self.vcd_alpha < 0 or not 0 < self.vcd_beta <= 1
                                           or not 0 <= self.vcd_step < 1000):
            raise ValueError(f"VCD needs vcd_alpha ≥ 0, 0 < vcd_beta ≤ 1 and vcd_step in 0..999, got "
                             f"{self.vcd_alpha}, {self.vcd_beta}, {self.vcd_step}")
        if self.degrade is not None:
            from hero.degrade import Degradation

            spec = Degradation.parse(self.degrade)
            self.degrade = None if spec.is_identity else str(spec)

    def at(self, degrade=None, temperature: float | None = None) -> "ScoringConfig":
        """A validated copy with this call's degradation / temperature (None keeps the default); self unchanged."""
        from dataclasses import replace

        return replace(self, degrade=self.degrade if degrade is None else degrade,
                       temperature=self.temperature if temperature is None else float(temperature))


@dataclass
class ScoringRun:
    """Per-sample results (contract fields) in request order for the good requests, and the bad ones."""

    samples: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    """{"id", "file", "error"} for every request whose image could not be read; those are not scored."""

    @property
    def n_unparseable(self) -> int:
        return sum(s["parse_status"] == "unparseable" for s in self.samples)


class Scorer:
    """Holds a model + processor and scores batches. Build with `hero.scoring.load_scorer(path)` or directly."""

    def __init__(self, model, processor, cfg: ScoringConfig | None = None):
        self.model, self.processor = model.eval(), processor
        self.cfg = cfg or ScoringConfig()
        self.tok = processor.tokenizer
        self.tok.padding_side = "left"
        self.yes_ids, self.no_ids = core.resolve_answer_tokens(self.tok)
        self.eos_ids = _eos_ids(model, self.tok)
        self.marker_ids = self.tok(" " + core.ANSWER_MARKER, add_special_tokens=False)["input_ids"]
        self._prompts: dict[str, str] = {}
        self._rope, self._vision = RopePositions(model), VisionMeta(model)
        self._encoder = BatchEncoder(processor, self.tok.pad_token_id if self.tok.pad_token_id is not None else 0)

    # -- inputs ------------------------------------------------------------------------------------------------
    def prompt(self, question: str) -> str:
        """The chat-template rendering of one question (cached: evaluation sets repeat a few question texts)."""
        if question not in self._prompts:
            msg = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
            self._prompts[question] = self.processor.apply_chat_template(msg, add_generation_prompt=True)
        return self._prompts[question]

    def load_images(self, requests: Sequence[ScoreRequest], degrade=None):
        """(good requests, their PIL images after degradation, errors for the unreadable ones). `degrade`: a spec
        for this call (None = the config's default)."""
        from PIL import Image

        from hero.degrade import apply

        spec = self.cfg.at(degrade=degrade).degrade
        good, images, errors = [], [], []
        for r in requests:
            try:
                img = r.image if isinstance(r.image, Image.Image) else _open_image(r.image)
            except Exception as e:  # noqa: BLE001 - any decoder failure is reported per file
                errors.append({"id": r.id, "file": str(r.image), "error": f"{type(e).__name__}: {e}"})
                continue
            img = img.convert("RGB")
            if spec:
                key = r.image_id or (str(r.image) if not isinstance(r.image, Image.Image) else r.id)
                img = apply(img, spec, seed=self.cfg.seed, image_id=key)
            good.append(r)
            images.append(img)
        return good, images, errors

    def encode(self, questions: Sequence[str], images) -> dict:
        """Processor outputs for a batch on the model's device (GPU runs): exactly what
        `processor(text=prompts, images=[[im] ...], padding=True)` returns (one image list per prompt, as Gemma3's
        processor requires), built by `hero.scoring.encode.BatchEncoder` (cached text rows, vectorised images)."""
        enc = self._encoder([self.prompt(q) for q in questions], images)
        return {k: v.to(self.model.device) for k, v in enc.items()}

    # -- scoring ------------------------------------------------------------------------------------------------
    def score(self, requests: Sequence[ScoreRequest], degrade=None, temperature: float | None = None) -> ScoringRun:
        """Score all requests in batches of cfg.batch_size under this call's degradation spec and temperature
        (None = the config's); unreadable images are collected, not fatal."""
        run = ScoringRun()
        cfg = self.cfg.at(degrade, temperature)
        for s in range(0, len(requests), cfg.batch_size):
            good, images, errors = self.load_images(requests[s: s + cfg.batch_size], cfg.degrade or "none")
            run.errors += errors
            if good:
                run.samples += self.score_batch(good, images, temperature=cfg.temperature)
        return run

    @torch.inference_mode()
    def score_batch(self, requests: Sequence[ScoreRequest], images, temperature: float | None = None) -> list[dict]:
        """Score already loaded (and degraded, see `load_images`) images at `temperature` (None = config's)."""
        cfg = self.cfg.at(temperature=temperature)
        enc = self.encode([r.question for r in requests], images)
        seed = derive_seed(cfg.seed, "|".join(r.id for r in requests))
        if cfg.mode == "answer":
            logits = self._last_logits(enc["input_ids"], enc["attention_mask"], image_inputs(enc))  # (B, V)
            if cfg.vcd_alpha is not None:
                logits = self._contrast(logits, enc["input_ids"], enc["attention_mask"], image_inputs(enc),
                                        self._vcd_pixels(enc, requests, cfg), cfg)
            answers = self._first_token_answers(logits, [r.id for r in requests], cfg)
            reasoning, status = [None] * len(requests), ["ok" if a else "unparseable" for a in answers]
        else:
            logits, answers, reasoning, status = self._cot(enc, seed, cfg, requests)
        p_yes, p_no, h_bin, h_full = core.answer_distribution(logits, self.yes_ids, self.no_ids, cfg.temperature)
        return [{"id": r.id, "answer": a, "p_yes": float(py), "p_no": float(pn), "entropy_binary": float(hb),
                 "entropy_full": float(hf), "reasoning": rs, "parse_status": st}
                for r, a, py, pn, hb, hf, rs, st in zip(requests, answers, p_yes.tolist(), p_no.tolist(),
                                                         h_bin.tolist(), h_full.tolist(), reasoning, status)]

    def _last_logits(self, ids: torch.Tensor, mask: torch.Tensor, images) -> torch.Tensor:
        """Next-token logits after the last column of a left-padded batch. (B, T) → (B, V). `images`: the
        processor's other outputs (pixel_values, image_grid_thw, ...; `image_inputs`), passed through, or a
        pixel_values tensor alone."""
        images = images if isinstance(images, dict) else {"pixel_values": images}
        extra = {k: v.to(self.model.dtype) if k == "pixel_values" else v for k, v in images.items()}
        if not self._rope.applies:
            extra["position_ids"] = (mask.cumsum(-1) - 1).clamp_min(0)  # (B, T): pads do not shift real positions
        elif (positions := self._rope(ids, mask, extra)) is not None:
            extra["position_ids"] = positions  # (3, B, T): Qwen-VL's own positions, computed once per distinct row
        meta = self._vision(extra.get("image_grid_thw"))
        logits = self.model(input_ids=ids, attention_mask=mask, **extra, **meta, logits_to_keep=1).logits[:, -1]
        if meta and not self._vision.checked:  # once: the precomputed vision metadata must change nothing
            own = self.model(input_ids=ids, attention_mask=mask, **extra, logits_to_keep=1).logits[:, -1]
            self._vision.checked, self._vision.on = True, torch.equal(logits, own)
            logits = own
        return logits.float()  # (B, V)

    def _first_token_answers(self, logits: torch.Tensor, ids: Sequence[str], cfg: ScoringConfig) -> list[str]:
        """Greedy (argmax over the full vocabulary) or sampled first token, mapped to yes/no/''.

        Sampling uses the Gumbel-max trick with noise seeded per sample by (seed, id), so a sample's draw does not
        depend on the batch it is in (a resumed run equals an uninterrupted one)."""
        if cfg.temperature > 0:
            V = logits.shape[-1]
            u = torch.stack([torch.rand(V, generator=torch.Generator().manual_seed(derive_seed(cfg.seed, i)))
                             for i in ids]).clamp(1e-12, 1 - 1e-12)  # (B, V)
            tokens = mathutil.gumbel_argmax(logits, u, cfg.temperature)  # (B,)
        else:
            tokens = logits.argmax(-1)  # (B,)
        yes, no = set(self.yes_ids), set(self.no_ids)
        return ["yes" if t in yes else "no" if t in no else "" for t in tokens.tolist()]

    def _vcd_pixels(self, enc: dict, requests: Sequence[ScoreRequest], cfg: ScoringConfig) -> torch.Tensor:
        """VCD's distorted image v': each request's pixel tensor diffusion-noised (step cfg.vcd_step), seeded by
        (seed, "vcd", request id), so a question's noise does not depend on its batch. (B, ...) → (B, ...)."""
        from hero.decoding.vcd import distorted_pixels

        return distorted_pixels(enc["pixel_values"], [derive_seed(cfg.seed, "vcd", r.id) for r in requests],
                                cfg.vcd_step, "VCD", type(self.model).__name__, "score this model without VCD")

    def _contrast(self, logits: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor, images: dict,
                  noisy: torch.Tensor, cfg: ScoringConfig) -> torch.Tensor:
        """VCD's contrastive logits at the answer position: the same inputs on the distorted pixels v', contrasted
        with the clean `logits` (hero.decoding.vcd.vcd_logits). (B, V) → (B, V)."""
        from hero.decoding.vcd import vcd_logits

        distorted = self._last_logits(ids, mask, {**images, "pixel_values": noisy})  # (B, V)
        return vcd_logits(logits, distorted, cfg.vcd_alpha, cfg.vcd_beta)

    def _cot(self, enc: dict, seed: int, cfg: ScoringConfig, requests: Sequence[ScoreRequest]):
        """Generate reasoning (with VCD when configured), locate the answer position, score it teacher-forced
        (VCD: contrasted). → logits (B, V), answers, reasoning texts, parse statuses."""
        from hero.scoring.cot import answer_prefixes, generate

        noisy = self._vcd_pixels(enc, requests, cfg) if cfg.vcd_alpha is not None else None
        procs = []
        if noisy is not None:
            from hero.decoding.vcd import VCDLogitsProcessor

            procs.append(VCDLogitsProcessor(self.model, enc["input_ids"], enc["attention_mask"],
                                            {**image_inputs(enc), "pixel_values": noisy}, cfg.vcd_alpha, cfg.vcd_beta))
        gen_ids = generate(self.model, enc, cfg, self.eos_ids, self.tok.pad_token_id, seed, procs)  # list of lists
        prefixes, answers, reasoning, status = answer_prefixes(gen_ids, self.tok, self.marker_ids)
        prompt_rows = [row[m.bool()].tolist() for row, m in zip(enc["input_ids"], enc["attention_mask"])]
        rows = [p + g for p, g in zip(prompt_rows, prefixes)]
        ids, mask = _left_pad(rows, self.tok.pad_token_id)
        images = image_inputs(enc)
        for key in TOKEN_ALIGNED & images.keys():  # (B, T) per-token types: the generated tokens are text (0)
            types = [row[m.bool()].tolist() + [0] * len(g) for row, m, g in zip(images[key], enc["attention_mask"],
                                                                                prefixes)]
            images[key] = _left_pad(types, 0)[0]
        logits = self._last_logits(ids, mask, images)
        if noisy is not None:
            logits = self._contrast(logits, ids, mask, images, noisy, cfg)
        return logits, answers, reasoning, status


TOKEN_ALIGNED = {"token_type_ids", "mm_token_type_ids"}
"""Processor outputs with one entry per input token (B, T)."""


def image_inputs(enc) -> dict:
    """The processor outputs other than input_ids / attention_mask (pixel_values, image_grid_thw,
    pixel_attention_mask, image_sizes, token_type_ids, ...): what a model family needs beside the text."""
    return {k: v for k, v in enc.items() if k not in ("input_ids", "attention_mask")}


def _open_image(path):
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        return im.copy()


def _eos_ids(model, tok) -> list[int]:
    eos = getattr(model.generation_config, "eos_token_id", None) or tok.eos_token_id
    eos = eos if isinstance(eos, list) else [eos]
    return [int(e) for e in eos if e is not None]


def _left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Lists of ids → left-padded ids (B, T) and attention mask (B, T)."""
    T = max(len(r) for r in rows)
    ids = torch.full((len(rows), T), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(rows), T), dtype=torch.long)  # (B, T)
    for b, r in enumerate(rows):
        if r:
            ids[b, T - len(r):] = torch.tensor(r, dtype=torch.long)
            mask[b, T - len(r):] = 1
    return ids, mask
