"""`hero train sft` — supervised fine-tuning on the world's yes/no questions (answer or CoT) and captions.

    hero train sft --model MODEL_DIR --world WORLD_DIR --style answer|cot --out OUT [--budget-min 5]
                   [--max-steps N] [--resume]
"""

from __future__ import annotations

from pathlib import Path

import typer

from hero.cli.common import fail_on_input_errors
from hero.cli.train import app


@app.command("sft")
@fail_on_input_errors
def sft(
    model: Path = typer.Option(..., "--model", help="Model folder (from `hero model init` or an earlier run)."),
    world: Path = typer.Option(..., "--world", help="World folder from `hero world build`."),
    style: str = typer.Option(..., "--style", help="answer: targets yes/no; cot: reasoning ending 'Answer: yes|no.'"),
    out: Path = typer.Option(..., "--out", help="Output folder (model + checkpoints/)."),
    budget_min: float = typer.Option(5.0, "--budget-min", help="Wall-clock training budget in minutes."),
    max_steps: int = typer.Option(0, "--max-steps", help="Stop after N steps (0 = budget only)."),
    batch_size: int = typer.Option(128, "--batch-size", help="Examples per step (even)."),
    lr: float = typer.Option(3e-3, "--lr", help="Peak learning rate."),
    cooldown: float = typer.Option(0.0, "--cooldown", help="0 = cosine decay; c > 0 = peak rate until the last c "
                                   "of the budget, then linear to 0."),
    caption_frac: float = typer.Option(0.0, "--caption-frac", help="Share of caption examples (auxiliary)."),
    questions_per_image: int = typer.Option(2, "--questions-per-image", help="Questions per training scene "
                                            "(even: positive/negative pairs on one image)."),
    min_objects: int = typer.Option(3, "--min-objects", help="Fewest objects per training scene (0 = the world's)."),
    patch_aux: float = typer.Option(2.0, "--patch-aux", help="Weight of the per-patch category-presence loss on "
                                    "the vision tower (training-only head; 0 = off)."),
    ground_aux: float = typer.Option(1.0, "--ground-aux", help="Weight of the question-grounding loss on the first "
                                     "decoder layer's image tokens (training-only head; 0 = off)."),
    list_aux: float = typer.Option(1.0, "--list-aux", help="Weight of the listing loss: the answer position "
                                   "predicts every category in the image (training-only head; 0 = off)."),
    patch_aux_pixels: int = typer.Option(8, "--patch-aux-pixels", help="Pixels of a category a patch needs to "
                                         "count as holding it."),
    cot_first: float = typer.Option(0.0, "--cot-first", help="answer style: share of the budget on CoT targets "
                                    "first (binding warm-up)."),
    curriculum: bool = typer.Option(False, "--curriculum/--no-curriculum", help="Grow the world 2×1 → full."),
    seed: int = typer.Option(0, "--seed", help="Seed of the data stream and training."),
    save_steps: int = typer.Option(200, "--save-steps", help="Checkpoint every N steps."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the newest checkpoint in OUT/checkpoints."),
    precision: str = typer.Option("auto", "--precision", help="auto | bf16 | fp32 (auto: bf16 where the GPU or "
                                  "CPU computes it natively)."),
    threads: int = typer.Option(0, "--threads", help="torch CPU threads (0 = default)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Fine-tune with TRL's SFTTrainer within a time budget; writes the model to OUT."""
    from hero.sft.pipeline import run_sft
    from hero.sft.settings import SFTRunConfig

    cfg = SFTRunConfig(model=str(model), world=str(world), style=style, out=str(out), budget_min=budget_min,
                       max_steps=max_steps, batch_size=batch_size, lr=lr, cooldown=cooldown,
                       caption_frac=caption_frac, min_objects=min_objects, questions_per_image=questions_per_image,
                       patch_aux=patch_aux, ground_aux=ground_aux, list_aux=list_aux,
                       patch_aux_pixels=patch_aux_pixels,
                       cot_first=cot_first, curriculum=curriculum, seed=seed, save_steps=save_steps, resume=resume,
                       threads=threads, precision=precision, progress=progress)
    s = run_sft(cfg)
    typer.echo(f"trained {s['steps']} steps ({s['examples']} examples) in {s['seconds']}s; model in {s['out']}")
