"""`hero model` — build HERO's tiny VLMs from configs (random init, genuine Hugging Face format).

    hero model init --preset tiny|small --world WORLD_DIR --out MODEL_DIR [--seed 0] [--arch llava|qwen2_5_vl|...]

Options are the fields of `hero.model.build.ModelInitConfig`.
"""

from __future__ import annotations

import typer

from hero import options
from hero.model.build import ModelInitConfig

app = options.group(help="Build VLMs: `init` writes a random-init model sized for a world (LLaVA, or --arch FAMILY).",
                  no_args_is_help=True)


def _init(settings: options.Settings) -> None:
    from hero.model.build import init_model

    cfg = options.build(ModelInitConfig, settings, command="model init")
    model, processor = init_model(cfg)
    n = sum(p.numel() for p in model.parameters())
    v = model.config.vision_config
    size = getattr(v, "image_size", None)
    images = f"{size}px images in {(size // v.patch_size) ** 2} tokens" if size else f"{cfg.arch} images"
    typer.echo(f"wrote {cfg.preset} model to {cfg.out}: {n / 1e6:.2f} M parameters, vocabulary "
               f"{len(processor.tokenizer)}, {images}")


options.command(app, "init", options.options_of(ModelInitConfig), _init,
                "Random-init VLM that AutoProcessor / AutoModelForImageTextToText load with no custom code.")
