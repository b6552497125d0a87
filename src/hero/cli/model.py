"""`hero model` — build HERO's tiny VLMs from configs (random init, genuine Hugging Face format).

    hero model init --preset tiny|small --world WORLD_DIR --out MODEL_DIR [--seed 0]
"""

from __future__ import annotations

from pathlib import Path

import typer

from hero.cli.common import fail_on_input_errors

app = typer.Typer(help="Build VLMs: `init` writes a random-init LLaVA-style model sized for a world.",
                  no_args_is_help=True)


@app.command("init")
@fail_on_input_errors
def init(
    out: Path = typer.Option(..., "--out", help="Folder to write the model, processor and chat template into."),
    world: Path = typer.Option(..., "--world", help="World folder (world.json) whose words and image size to use."),
    preset: str = typer.Option("tiny", "--preset", help="tiny (≈0.5 M parameters) or small (a few times larger)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random initialisation."),
) -> None:
    """Random-init VLM that AutoProcessor / AutoModelForImageTextToText load with no custom code."""
    from hero.model.build import build_model, save
    from hero.world import load_world

    cfg, _ = load_world(world)
    model, processor = build_model(preset, cfg.colours, cfg.shapes, cfg.image_size, seed=seed)
    save(model, processor, out)
    n = sum(p.numel() for p in model.parameters())
    typer.echo(f"wrote {preset} model to {out}: {n / 1e6:.2f} M parameters, vocabulary {len(processor.tokenizer)}, "
               f"{model.config.vision_config.image_size}px images in "
               f"{(model.config.vision_config.image_size // model.config.vision_config.patch_size) ** 2} tokens")
