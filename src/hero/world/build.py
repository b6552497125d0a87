"""Writing a world to disk and reading it back.

Layout of a built world DIR:
    DIR/world.json                         {"format": 1, "config": {...}, "categories": [...], "splits": {name: n}}
    DIR/<split>/annotations.jsonl          {"id", "file": "images/<id>.png", "objects": [{category, shape, colour,
                                             bbox [x0,y0,x1,y1), size}]} per image
    DIR/<split>/images/<id>.png
    DIR/<split>/pope/world_<split>_pope_{random,popular,adversarial}.json   (val and test; official POPE JSONL,
                                             "image" relative to DIR/<split>/images)
Splits are train / val / test, each drawn from its own seed sequence (seed, split index), so they are disjoint in
randomness; same config ⇒ byte-identical files. Each split is written into a temporary folder and renamed into
place, and world.json is written last, so an interrupted build never looks finished.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from hero.official.pope import build_pope, write_pope
from hero.io import InputError, read_json, read_jsonl, staged_folder, write_json_atomic
from hero.world.config import WorldConfig
from hero.world.scene import image_rng, render, sample_scene

SPLITS = ("train", "val", "test")
POPE_SPLITS = ("val", "test")
POPE_MAX_IMAGES = 500
FORMAT_VERSION = 1


def split_size(cfg: WorldConfig, split: str) -> int:
    return {"train": cfg.train_images, "val": cfg.val_images, "test": cfg.test_images}[split]


def _png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def render_rows(cfg: WorldConfig, split_index: int, name: str, n: int, folder: Path,
                tick: Callable[[int], None] | None = None) -> list[dict]:
    """Render n scenes from the seed sequence (cfg.seed, split_index) into folder/images/<name>_<i>.png and write
    folder/annotations.jsonl; returns the annotation rows (module docstring's schema)."""
    (folder / "images").mkdir()
    rows = []
    for i in range(n):
        objs = sample_scene(cfg, image_rng(cfg.seed, split_index, i))
        image_id = f"{name}_{i:06d}"
        (folder / "images" / f"{image_id}.png").write_bytes(_png_bytes(render(cfg, objs)))
        rows.append({"id": image_id, "file": f"images/{image_id}.png", "objects": [o.to_dict() for o in objs]})
        if tick:
            tick(1)
    (folder / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


def write_split(cfg: WorldConfig, split: str, out_dir: Path, tick: Callable[[int], None] | None = None) -> int:
    """Render one split into a temporary folder, then swap it into `out_dir/split`. Returns the image count."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{split}.", dir=out_dir))
    try:
        k = SPLITS.index(split)
        rows = render_rows(cfg, k, split, split_size(cfg, split), tmp, tick)
        if split in POPE_SPLITS:
            eligible = sum(len(r["objects"]) >= 3 for r in rows)
            if eligible:
                pope = build_pope(rows, img_num=min(POPE_MAX_IMAGES, eligible), seed=cfg.seed + k)
                write_pope(pope, tmp / "pope", f"world_{split}")
        final = out_dir / split
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        return len(rows)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def build_world(cfg: WorldConfig, out_dir: str | os.PathLike, progress: bool = True) -> dict:
    """Build every split of the world into `out_dir`; returns the world.json content. The world is rendered in a
    temporary folder and moved into place when complete: a failed build leaves `out_dir` as it was."""
    with staged_folder(out_dir, last="world.json") as tmp:
        return _render(cfg, tmp, progress)


def _render(cfg: WorldConfig, out_dir: Path, progress: bool) -> dict:
    marker = out_dir / "world.json"
    total = sum(split_size(cfg, s) for s in SPLITS)
    counts = {}
    if progress:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("rendering world", total=total)
            for s in SPLITS:
                counts[s] = write_split(cfg, s, out_dir, lambda n: bar.advance(task, n))
    else:
        for s in SPLITS:
            counts[s] = write_split(cfg, s, out_dir)
    meta = {"format": FORMAT_VERSION, "config": cfg.to_dict(), "categories": cfg.categories, "splits": counts}
    write_json_atomic(marker, meta)
    return meta


def load_world(world_dir: str | os.PathLike) -> tuple[WorldConfig, dict]:
    """(config, world.json content) of a built world; a clear error if it is missing or unfinished."""
    world_dir = Path(world_dir)
    marker = world_dir / "world.json"
    if not marker.exists():
        raise InputError(f"{world_dir}: not a built world (no world.json); run `hero world build --out {world_dir}`")
    meta = read_json(marker)
    try:
        cfg = WorldConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{marker}: bad world config: {e}") from None
    return cfg, meta


def load_annotations(world_dir: str | os.PathLike, split: str) -> list[dict]:
    """Annotation rows of one split (see module docstring for the schema)."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose from {SPLITS}")
    return read_jsonl(Path(world_dir) / split / "annotations.jsonl")


def pope_path(world_dir: str | os.PathLike, split: str, strategy: str) -> Path:
    """Path of a split's POPE file written by `build_world`."""
    return Path(world_dir) / split / "pope" / f"world_{split}_pope_{strategy}.json"
