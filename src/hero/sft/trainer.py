"""TRL SFTTrainer wiring for `hero train sft`: dataset of stream indices, on-the-fly collator, time-budget
schedule and stop, curriculum probe, hero_state.json (`hero.budget`) in every checkpoint."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from hero.sft.aux import (ForwardTap, answer_positions, asked_patch_targets, decoder_layer_tap, grounding_loss,
                          listing_loss, patch_presence, patch_presence_loss, vision_tap)
from hero.sft.collate import ProcessorCollator, SFTCollator, make_collator
from hero.sft.data import ExampleStream
from hero import budget
from hero.budget import BudgetClock, write_state
from hero.sft.settings import CURRICULUM, SFTRunConfig, device_precision

PROBE_SIZE = 128
PROBE_EVERY = 20
ADVANCE_AT = 0.9


def lr_factor(step: int, frac_done: float, warmup: int, cooldown: float = 0.0) -> float:
    """Linear warm-up over `warmup` steps times the decay over the fraction of the run done (clamped to [0, 1]):
    cosine when cooldown = 0; otherwise constant (warmup-stable-decay) until the last `cooldown` fraction, then
    linear to 0. Cosine: step 0 of warmup 10 → 0.1; frac 0.5 after warm-up → 0.5·(1 + cos(π/2)) = 0.5;
    frac 1 → 0.
    Cooldown 0.2: frac 0.5 → 1; frac 0.9 → (1 − 0.9) / 0.2 = 0.5; frac 1 → 0."""
    warm = min(1.0, (step + 1) / max(1, warmup))
    frac = min(1.0, max(0.0, frac_done))
    if cooldown > 0:
        return warm * min(1.0, (1.0 - frac) / cooldown)
    return warm * 0.5 * (1.0 + math.cos(math.pi * frac))




@dataclass
class RunContext:
    """Mutable state shared by the collator, the schedule and the callbacks."""

    cfg: SFTRunConfig
    stream: ExampleStream
    collator: SFTCollator | ProcessorCollator
    clock: BudgetClock
    processor: object
    stage: int = 0
    stage_start_s: float = 0.0
    history: list = field(default_factory=list)
    patch_size: int = 16
    """The vision tower's patch side (for the per-patch auxiliary targets)."""
    taps: "AuxTaps | None" = None
    precision: str = "fp32"
    """The precision the run trains in ('bf16' or 'fp32', resolved from the config's 'auto')."""

    def stream_index(self, step: int) -> int:
        return step * self.cfg.batch_size

    def set_stage(self, stage: int) -> None:
        self.stage = stage
        n_c, n_s = CURRICULUM[stage]
        world = self.stream.full_cfg
        self.stream.set_stage(n_c or len(world.colours), n_s or len(world.shapes))


class IndexCollator:
    """Dataset rows {"idx": i} → the SFT batch of stream examples i (rendered now, at the current stage), plus
    the auxiliary targets when an auxiliary loss is on: `patch_targets` (B, P, C) and `asked_index` (B,)."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx

    def __call__(self, rows):
        examples = [self.ctx.stream.example(int(r["idx"])) for r in rows]
        batch = self.ctx.collator(examples)
        if self.ctx.taps is not None:
            world, cfg = self.ctx.stream.full_cfg, self.ctx.cfg
            cats = world.categories
            presence = {}  # the two examples of a pair share their scene: one mask pass per scene
            for e in examples:
                if e.objects not in presence:
                    presence[e.objects] = patch_presence(e.objects, world.image_size, self.ctx.patch_size, cats,
                                                         cfg.patch_aux_pixels)
            batch["patch_targets"] = torch.from_numpy(np.stack([presence[e.objects] for e in examples]))  # (B, P, C)
            batch["asked_index"] = torch.tensor([cats.index(e.asked) if e.asked else -1 for e in examples])  # (B,)
        return batch


@dataclass
class AuxTaps:
    """Training-only auxiliary heads' inputs (hero.sft.aux): the vision tower's output, the first decoder layer's
    output and the decoder's final-norm output, captured by forward hooks during the ordinary forward (no second
    pass)."""

    vision: ForwardTap
    text: ForwardTap
    final: ForwardTap
    """The decoder's final-norm output (B, T, H): what the LM head reads (for the listing loss)."""
    image_token_id: int

    def remove(self) -> None:
        for tap in (self.vision, self.text, self.final):
            tap.remove()


def attach_aux_heads(model, n_categories: int, seed: int) -> AuxTaps:
    """Add the training-only heads `hero_patch_head` (vision width → categories) and `hero_ground_head` (text
    width → 1) to a LLaVA-style model and tap its vision tower and first decoder layer; `detach_aux_heads` removes
    them before the final save. Being submodules, the heads are in the optimizer, DDP and checkpoints."""
    inner = getattr(model, "model", model)
    tower, lm = getattr(inner, "vision_tower", None), getattr(inner, "language_model", None)
    layer = getattr(model.config, "vision_feature_layer", -1)
    if tower is None or lm is None or not hasattr(lm, "layers") or not hasattr(lm, "norm") \
            or not isinstance(layer, int):
        raise ValueError(f"{type(model).__name__}: the auxiliary losses need a LLaVA-style model (vision_tower, "
                         "language_model.layers and .norm, an int vision_feature_layer); train with --patch-aux 0 "
                         "--ground-aux 0 --list-aux 0")
    torch.manual_seed(seed)
    model.hero_patch_head = torch.nn.Linear(model.config.vision_config.hidden_size, n_categories)
    model.hero_ground_head = torch.nn.Linear(model.config.text_config.hidden_size, 1)
    model.hero_list_head = torch.nn.Linear(model.config.text_config.hidden_size, n_categories)
    return AuxTaps(vision_tap(tower, layer), decoder_layer_tap(lm.layers[0]), decoder_layer_tap(lm.norm),
                   int(model.config.image_token_id))


def detach_aux_heads(model, taps: AuxTaps | None) -> None:
    if taps is not None:
        taps.remove()
    for name in ("hero_patch_head", "hero_ground_head", "hero_list_head"):
        if hasattr(model, name):
            delattr(model, name)


def aux_losses(model, taps: AuxTaps, input_ids, labels, patch_targets, asked_index,
               wanted=("patch_aux_loss", "ground_aux_loss", "list_aux_loss")) -> dict[str, torch.Tensor]:
    """The `wanted` auxiliary losses of the forward just run (from the taps): "patch_aux_loss", "ground_aux_loss",
    "list_aux_loss". input_ids, labels (B, T), patch_targets (B, P, C), asked_index (B,)."""
    out = {}
    if "patch_aux_loss" in wanted:
        out["patch_aux_loss"] = patch_presence_loss(model.hero_patch_head(taps.vision.features), patch_targets)
    if "ground_aux_loss" in wanted:
        h = taps.text.features  # (B, T, H)
        h_img = h[input_ids == taps.image_token_id].view(h.shape[0], -1, h.shape[-1])  # (B, P, H)
        targets, valid = asked_patch_targets(patch_targets, asked_index)  # (B, P), (B,)
        out["ground_aux_loss"] = grounding_loss(model.hero_ground_head(h_img).squeeze(-1), targets, valid)
    if "list_aux_loss" in wanted:
        h_ans = taps.final.features[torch.arange(labels.shape[0]), answer_positions(labels)]  # (B, H)
        out["list_aux_loss"] = listing_loss(model.hero_list_head(h_ans), patch_targets)  # (B, C) vs (B, P, C)
    return out


def _sft_trainer_class():
    from trl import SFTTrainer

    class HeroSFTTrainer(SFTTrainer):
        """SFTTrainer + the auxiliary losses of hero.sft.aux, weighted (logged as patch_aux_loss, ground_aux_loss,
        list_aux_loss)."""

        def __init__(self, *args, weights: dict | None = None, taps: AuxTaps | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.aux_weights, self.taps = weights or {}, taps

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            targets, asked = inputs.pop("patch_targets", None), inputs.pop("asked_index", None)
            out = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            if targets is None or self.taps is None:
                return out
            wanted = [k for k, w in self.aux_weights.items() if w > 0]  # a weight of 0 costs nothing
            losses = aux_losses(self.accelerator.unwrap_model(model), self.taps, inputs["input_ids"],
                                inputs["labels"], targets, asked, wanted)
            extra = sum(self.aux_weights[k] * v for k, v in losses.items())
            for k, v in losses.items():
                self._metrics["train" if model.training else "eval"][k].append(v.item())
            return (out[0] + extra, out[1]) if return_outputs else out + extra

    return HeroSFTTrainer


def probe_accuracy(model, ctx: RunContext) -> float:
    """Fraction of probe examples (current stage, fixed indices) whose target tokens are all argmax-correct under
    teacher forcing: for 'answer' the yes/no token, for 'cot' the whole reasoning."""
    exs = [ctx.stream.example(10**9 + i) for i in range(PROBE_SIZE)]
    exs = [e for e in exs if not e.prompt.startswith("Describe")] or exs
    batch = ctx.collator(exs)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits  # (B, T, V)
    model.train(was_training)
    labels = batch["labels"][:, 1:]  # (B, T-1)
    pred = logits[:, :-1].argmax(-1)  # (B, T-1)
    ok = ((pred == labels) | (labels == -100)).all(-1)  # (B,)
    return ok.float().mean().item()


def _make_callback(ctx: RunContext):
    from transformers import TrainerCallback

    class HeroCallback(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            ctx.clock.step = state.global_step

        def on_step_end(self, args, state, control, model=None, **kw):
            ctx.clock.step = state.global_step
            if ctx.stream.style == "cot" and ctx.cfg.style == "answer" and ctx.clock.frac_done() >= ctx.cfg.cot_first:
                ctx.stream.style = "answer"  # CoT warm-up over: yes/no targets from the next batch on
            if ctx.cfg.curriculum and ctx.stage < len(CURRICULUM) - 1 and state.global_step % PROBE_EVERY == 0:
                ctx.clock.pause()
                acc = probe_accuracy(model, ctx)
                ctx.clock.start()
                share = ctx.clock.budget_s * 0.2
                if acc >= ADVANCE_AT or ctx.clock.elapsed() - ctx.stage_start_s > share:
                    ctx.history.append({"step": state.global_step, "seconds": round(ctx.clock.elapsed(), 1),
                                        "stage": ctx.stage, "probe_acc": acc})
                    ctx.set_stage(ctx.stage + 1)
                    ctx.stage_start_s = ctx.clock.elapsed()
            if ctx.clock.spent():
                control.should_training_stop = True
                control.should_save = True

        def on_save(self, args, state, control, **kw):
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if ckpt.is_dir():
                write_state(ckpt, {"seconds": ctx.clock.elapsed(), "stage": ctx.stage,
                                   "stage_start_s": ctx.stage_start_s, "step": state.global_step,
                                   "history": ctx.history})

    return HeroCallback()


def _budget_progress(clock: BudgetClock):
    """The Trainer's progress bar, measured in budget: % of the time (or step) budget used, with the step and the
    latest losses as postfix (the stock bar counts to max_steps = 10⁷ when only the clock stops the run)."""
    from tqdm.auto import tqdm
    from transformers.trainer_callback import ProgressCallback

    class BudgetProgress(ProgressCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                self.training_bar = tqdm(total=100, unit="%", desc="sft", dynamic_ncols=True,
                                         bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} {postfix}")
            self.current_step = 0

        def on_step_end(self, args, state, control, **kwargs):
            if state.is_world_process_zero and self.training_bar is not None:
                done = min(100.0, 100.0 * clock.frac_done())
                self.training_bar.update(done - self.training_bar.n)
                self.current_step = state.global_step

        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and self.training_bar is not None and logs and "loss" in logs:
                keep = ("loss", "patch_aux_loss", "ground_aux_loss", "list_aux_loss")
                self.training_bar.set_postfix({"step": state.global_step,
                                               **{k: f"{logs[k]:.3g}" for k in keep if k in logs}})

    return BudgetProgress()


def clock_frac(cfg: SFTRunConfig, state: dict) -> float:
    """Fraction of the run done at a checkpoint (time or steps, whichever is further)."""
    return budget.frac_done(float(state.get("seconds", 0.0)), cfg.budget_min * 60.0, int(state.get("step", 0)),
                     cfg.max_steps)


def sft_config(cfg: SFTRunConfig, precision: str, cuda: bool):
    """TRL's SFTConfig of a run (the world's scene stream and a --data file alike)."""
    from trl import SFTConfig

    from hero.hardware import translate

    checkpointing = translate({"gradient_checkpointing": cfg.gradient_checkpointing},
                              set(SFTConfig.__dataclass_fields__))  # transformers 5: activation_checkpointing
    return SFTConfig(
        output_dir=str(Path(cfg.out) / "checkpoints"), max_steps=cfg.max_steps or 10**7,
        per_device_train_batch_size=cfg.batch_size, learning_rate=cfg.lr, weight_decay=0.0,
        adam_beta2=0.98, max_grad_norm=1.0, logging_steps=20, save_strategy="steps", save_steps=cfg.save_steps,
        save_total_limit=2, seed=cfg.seed, data_seed=cfg.seed, bf16=precision == "bf16", fp16=False,
        **checkpointing, use_cpu=not cuda, report_to=[], dataloader_num_workers=0,
        remove_unused_columns=False, dataset_kwargs={"skip_prepare_dataset": True}, max_length=None,
        ignore_data_skip=True, disable_tqdm=not cfg.progress, save_only_model=False,
    )


def build_trainer(cfg: SFTRunConfig, world_cfg, state: dict):
    """(SFTTrainer, RunContext) ready to train; `state` is a checkpoint's hero_state.json ({} when fresh)."""
    from hero.model.load import checkpoints_in_model_format, load_vlm

    model, processor = load_vlm(cfg.model)
    checkpoints_in_model_format(model)
    cuda, precision = device_precision(cfg.precision)
    if precision == "bf16" and not cuda:
        model.set_attn_implementation("eager")  # CPU sdpa is slow in bf16 on short sequences (config unchanged)
    patch = model.config.vision_config.patch_size
    warm = cfg.cot_first > 0 and clock_frac(cfg, state) < cfg.cot_first
    stream = ExampleStream(world_cfg, "cot" if warm else cfg.style, caption_frac=cfg.caption_frac, seed=cfg.seed,
                           min_objects=cfg.min_objects, group=cfg.questions_per_image)
    collator = make_collator(processor, model, world_cfg.image_size)
    clock = BudgetClock(cfg.budget_min * 60.0, cfg.max_steps, used_s=float(state.get("seconds", 0.0)))
    ctx = RunContext(cfg, stream, collator, clock, processor, patch_size=patch, precision=precision)
    if cfg.patch_aux > 0 or cfg.ground_aux > 0 or cfg.list_aux > 0:
        ctx.taps = attach_aux_heads(model, len(world_cfg.categories), cfg.seed)
    ctx.history = list(state.get("history", []))
    if cfg.curriculum:
        ctx.set_stage(int(state.get("stage", 0)))
        ctx.stage_start_s = float(state.get("stage_start_s", 0.0))
    train = index_dataset(int(state.get("step", 0)) * cfg.batch_size)
    args = sft_config(cfg, precision, cuda)
    opt, sched = optimizer(model, cfg, clock)
    trainer = _sft_trainer_class()(
        model=model, args=args, train_dataset=train, data_collator=IndexCollator(ctx), processing_class=processor,
        optimizers=(opt, sched), callbacks=[_make_callback(ctx)], taps=ctx.taps,
        weights={"patch_aux_loss": cfg.patch_aux, "ground_aux_loss": cfg.ground_aux, "list_aux_loss": cfg.list_aux})
    if cfg.progress:
        from transformers.trainer_callback import ProgressCallback

        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(_budget_progress(clock))
    return trainer, ctx


def _indices(start: int):
    i = start
    while True:
        yield {"idx": i}
        i += 1


def index_dataset(start: int):
    """The endless stream {"idx": start}, {"idx": start + 1}, ... that the collators turn into examples (a resumed
    run starts at steps done × batch size)."""
    import datasets

    return datasets.IterableDataset.from_generator(_indices, gen_kwargs={"start": start})


def optimizer(model, cfg, clock):
    """(AdamW, its LambdaLR): warm-up over cfg.warmup_steps, then the cool-down over the budget's last cfg.cooldown
    share (`lr_factor`), for both SFT trainers."""
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: lr_factor(step, clock.frac_done(), cfg.warmup_steps, cfg.cooldown))
    return opt, sched
