"""`hero world` — build the embedded image world, write degraded copies, build POPE question files.

Options are the fields of the configs in `hero.world.commands` (WorldBuildConfig flattens WorldConfig).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from hero import options
from hero.world.commands import WorldBuildConfig, WorldDegradeConfig, WorldPopeConfig, WorldShowConfig
from hero.world.priorset import WorldPriorSetConfig

app = options.group(
    help=(
        "The embedded image world: small RGB scenes of coloured shapes with a co-occurrence language prior.\n\n"
        "Start with `hero world build --out runs/world`; then `hero world pope` builds POPE questions from any "
        "annotation file and `hero world degrade` writes noisy/blurred copies for inspection."
    ),
    no_args_is_help=True,
)


def _unwrap_world_json(settings: options.Settings) -> options.Settings:
    """`--config world.json` of an earlier build: its "config" mapping holds the fields; the file's other keys are
    the build's metadata (split sizes, ...) and are dropped. Flags and --set still override."""
    if not isinstance(settings.get("config", (None,))[0], dict):
        return settings
    inner, source = settings.pop("config")
    file = source.rpartition(":")[0]
    kept = {k: v for k, v in settings.items() if v[1].rpartition(":")[0] != file}
    return {**{k: (v, source) for k, v in inner.items()}, **kept}


def _with_preset(settings: options.Settings) -> options.Settings:
    """A --preset's fields as the lowest layer: the --config file, flags and --set keep precedence over them."""
    from hero.world.presets import preset_fields

    name, source = settings.get("preset", (None, ""))
    if name is None:
        return settings
    try:
        fields = preset_fields(str(name))
    except ValueError as e:
        raise ValueError(f"{source}: {e}") from None
    return {**{k: (v, f"{source} ({name})") for k, v in fields.items()}, **settings}


def _build(settings: options.Settings) -> None:
    from hero.world import build_world

    cfg = options.build(WorldBuildConfig, _with_preset(_unwrap_world_json(settings)), command="world build")
    t0 = time.perf_counter()
    meta = build_world(cfg.world, cfg.out)
    typer.echo(f"built world in {cfg.out}: {meta['splits']} images, {len(cfg.world.categories)} categories, "
               f"{time.perf_counter() - t0:.1f}s")


def _pope(settings: options.Settings) -> None:
    from hero.official.pope import build_pope_from_file

    c = options.build(WorldPopeConfig, settings, command="world pope")
    for p in build_pope_from_file(c.annotations, c.out, c.dataset, c.num_images, c.sample_num, c.seed):
        typer.echo(str(p))


def _degrade(settings: options.Settings) -> None:
    from hero.world.commands import degrade_copies

    for folder, n in degrade_copies(options.build(WorldDegradeConfig, settings, command="world degrade")):
        typer.echo(f"{folder}: {n} images")


def _priorset(settings: options.Settings) -> None:
    from hero.world.priorset import build_priorset

    s = build_priorset(options.build(WorldPriorSetConfig, settings, command="world priorset"))
    typer.echo(f"{s['questions']} questions ({s['per_tag']} prior-consistent, {s['per_tag']} prior-violating; "
               f"candidates {s['candidates']['consistent']} / {s['candidates']['violating']}) → "
               f"{s['questions_file']}\n  hero trap --questions {s['questions_file']} --images {s['images_folder']}")


def _show(settings: options.Settings) -> None:
    from hero.world import load_world

    _, meta = load_world(Path(options.build(WorldShowConfig, settings, command="world show").world))
    typer.echo(json.dumps(meta, indent=2))


options.command(app, "build", options.options_of(WorldBuildConfig), _build,
                "Render a world: images/*.png, annotations.jsonl and POPE files per split, plus world.json.")
options.command(app, "pope", options.options_of(WorldPopeConfig), _pope,
                "Build POPE random / popular / adversarial splits with the official sampling rules.")
options.command(app, "degrade", options.options_of(WorldDegradeConfig), _degrade,
                "Write degraded copies for inspection (the other tools degrade on the fly, never on disk).")
options.command(app, "priorset", options.options_of(WorldPriorSetConfig), _priorset,
                "Render fresh scenes of a built world and a 50/50 prior-consistent / prior-violating trap question set.")
options.command(app, "show", options.options_of(WorldShowConfig), _show, "Print a world's config and split sizes.",
                config=False)
