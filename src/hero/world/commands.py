"""Settings of the `hero world` commands (build, pope, degrade, show), one config dataclass each, and what they do.
The CLI (`hero.cli.world`) generates its options from these classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hero.world.config import WorldConfig


@dataclass
class WorldBuildConfig:
    """`hero world build`: every WorldConfig field, plus where to write."""

    out: str
    """Folder to write world.json, train/ val/ test/ into."""
    world: WorldConfig = field(default_factory=WorldConfig)
    """The world's settings (flattened into options; `--config world.json` of an earlier build works too)."""
    eval_images: int | None = None
    """Images in each of the val and test splits (sets val_images and test_images)."""
    preset: str | None = None
    """Named world settings (hero.world.presets): 'trap' = the demo's world, a strong co-occurrence prior (p = 0.95,
    14 of 15 categories paired), calibrated for the spatially correlated noise `grain` (`hero trap --degrade
    grain:30,grain:50`); 'small_faint' = the first, failed trap preset (benchmarks/trap_world.md). --config, flags
    and --set override its values. The CLI merges it into `world`; in Python build the world with
    hero.world.presets.preset_config instead."""

    def __post_init__(self) -> None:
        if self.preset is not None:
            from hero.world.presets import preset_fields

            preset_fields(self.preset)  # an unknown name fails here, naming the presets
        if self.eval_images is not None:
            if self.eval_images < 0:
                raise ValueError(f"--eval-images {self.eval_images}: must be ≥ 0")
            self.world.val_images = self.world.test_images = self.eval_images


@dataclass
class WorldPopeConfig:
    """`hero world pope`: POPE question files from any annotation JSONL."""

    annotations: str
    """JSONL, one {"image": ..., "objects": [...]} per line (a world's annotations.jsonl works as is)."""
    out: str
    """Folder for <dataset>_pope_{random,popular,adversarial}.json."""
    dataset: str = "world"
    """File-name prefix, as in the official coco_pope_*.json."""
    num_images: int = 500
    """Images sampled (official: 500)."""
    sample_num: int = 3
    """Positives (and negatives) per image (official: 3)."""
    seed: int = 0
    """Seed of the sampling (the official code is unseeded)."""


@dataclass
class WorldDegradeConfig:
    """`hero world degrade`: degraded copies of a split for inspection (the other tools degrade on the fly)."""

    world: str
    """A built world folder."""
    out: str
    """Folder for the degraded copies (<spec>/<id>.png)."""
    split: str = "test"
    """train, val or test."""
    ops: list[str] = field(default_factory=lambda: ["noise:30", "noise:50"])
    """Degradation specs (hero.degrade grammar: noise:30, blur:1.5, down:4, occlude:0.2, noise:30+blur:1)."""
    limit: int = 16
    """Images to write per spec (0 = all)."""
    seed: int = 0
    """Global noise seed (each image's noise also depends on its id)."""

    def __post_init__(self) -> None:
        if self.split not in ("train", "val", "test"):
            raise ValueError(f"--split {self.split!r}: choose train, val or test")
        if self.limit < 0:
            raise ValueError(f"--limit {self.limit}: must be ≥ 0 (0 = all)")


@dataclass
class WorldShowConfig:
    """`hero world show`."""

    world: str
    """A built world folder."""


def degrade_copies(cfg: WorldDegradeConfig) -> list[tuple[Path, int]]:
    """Write each spec's degraded copies; returns (folder, images written) per spec."""
    from PIL import Image

    from hero.degrade import apply, parse_list
    from hero.world import load_annotations, load_world

    specs = parse_list(",".join(cfg.ops))
    load_world(cfg.world)
    rows = load_annotations(cfg.world, cfg.split)
    rows = rows[: cfg.limit] if cfg.limit else rows
    written = []
    for spec in specs:
        folder = Path(cfg.out) / str(spec).replace(":", "_").replace("+", "__")
        folder.mkdir(parents=True, exist_ok=True)
        for r in rows:
            with Image.open(Path(cfg.world) / cfg.split / r["file"]) as img:
                apply(img, spec, cfg.seed, r["id"]).save(folder / f"{r['id']}.png")
        written.append((folder, len(rows)))
    return written
