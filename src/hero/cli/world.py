"""`hero world` — build the embedded image world, write degraded copies, build POPE question files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from hero.cli.common import fail_on_input_errors

app = typer.Typer(
    help=(
        "The embedded image world: small RGB scenes of coloured shapes with a co-occurrence language prior.\n\n"
        "Start with `hero world build --out runs/world`; then `hero world pope` builds POPE questions from any "
        "annotation file and `hero world degrade` writes noisy/blurred copies for inspection."
    ),
    no_args_is_help=True,
)


@app.command("build")
@fail_on_input_errors
def build(
    out: Path = typer.Option(..., "--out", help="Folder to write world.json, train/ val/ test/ into."),
    seed: int = typer.Option(0, "--seed", help="Global seed; same config + seed ⇒ byte-identical files."),
    images: int = typer.Option(2000, "--images", help="Images in the train split."),
    eval_images: int = typer.Option(500, "--eval-images", help="Images in each of the val and test splits."),
    image_size: int = typer.Option(64, "--image-size", help="Canvas side in pixels."),
    config: Optional[Path] = typer.Option(
        None, "--config", help="JSON file with WorldConfig fields (colours, shapes, prior, sizes...); flags override "
        "seed and split sizes."),
) -> None:
    """Render a world: images/*.png, annotations.jsonl and POPE files per split, plus world.json."""
    from hero.world import WorldConfig, build_world

    base = {}
    if config is not None:
        from hero.io import read_json

        base = read_json(config)
        base = base.get("config", base)
    base.update(seed=seed, train_images=images, val_images=eval_images, test_images=eval_images)
    if config is None or "image_size" not in base:
        base["image_size"] = image_size
    cfg = WorldConfig.from_dict(base)
    t0 = time.perf_counter()
    meta = build_world(cfg, out)
    dt = time.perf_counter() - t0
    typer.echo(f"built world in {out}: {meta['splits']} images, {len(cfg.categories)} categories, {dt:.1f}s")


@app.command("pope")
@fail_on_input_errors
def pope(
    annotations: Path = typer.Option(..., "--annotations", help='JSONL, one {"image": ..., "objects": [...]} per line '
                                     "(a world's annotations.jsonl works as is)."),
    out: Path = typer.Option(..., "--out", help="Folder for <dataset>_pope_{random,popular,adversarial}.json."),
    dataset: str = typer.Option("world", "--dataset", help="File-name prefix, as in the official coco_pope_*.json."),
    num_images: int = typer.Option(500, "--num-images", help="Images sampled (official: 500)."),
    sample_num: int = typer.Option(3, "--sample-num", help="Positives (and negatives) per image (official: 3)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sampling (the official code is unseeded)."),
) -> None:
    """Build POPE random / popular / adversarial splits with the official sampling rules."""
    from hero.benchmarks.pope import build_pope_from_file

    paths = build_pope_from_file(annotations, out, dataset, num_images, sample_num, seed)
    for p in paths:
        typer.echo(str(p))


@app.command("degrade")
@fail_on_input_errors
def degrade(
    world: Path = typer.Option(..., "--world", help="A built world folder."),
    out: Path = typer.Option(..., "--out", help="Folder for the degraded copies (<op>_<level>/<id>.png)."),
    split: str = typer.Option("test", "--split", help="train, val or test."),
    ops: str = typer.Option("noise:30,noise:50", "--ops", help="Comma list of op:level specs (noise, blur, down, occlude; compose with +)."),
    limit: int = typer.Option(16, "--limit", help="Images to write per op (0 = all)."),
    seed: int = typer.Option(0, "--seed", help="Global noise seed (each image's noise also depends on its id)."),
) -> None:
    """Write degraded copies for inspection (the other tools degrade on the fly, never on disk)."""
    from PIL import Image

    from hero.degrade import apply, parse_list
    from hero.world import load_annotations, load_world

    specs = parse_list(ops)
    load_world(world)
    rows = load_annotations(world, split)
    rows = rows[:limit] if limit else rows
    for spec in specs:
        folder = out / str(spec).replace(":", "_")  # noise:30 → noise_30, identity → none
        folder.mkdir(parents=True, exist_ok=True)
        for r in rows:
            img = Image.open(world / split / r["file"])
            apply(img, spec, seed, r["id"]).save(folder / f"{r['id']}.png")
        typer.echo(f"{folder}: {len(rows)} images")


@app.command("show")
@fail_on_input_errors
def show(world: Path = typer.Option(..., "--world", help="A built world folder.")) -> None:
    """Print a world's config and split sizes."""
    from hero.world import load_world

    _, meta = load_world(world)
    typer.echo(json.dumps(meta, indent=2))
