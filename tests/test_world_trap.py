"""The trap world's knobs: per-object contrast, the named presets (`hero world build --preset`), and the pin that
keeps the default world rendering byte for byte as before these knobs existed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hero.cli.main import app
from hero.world import WorldConfig, build_world, load_annotations, load_world
from hero.world.config import COLOURS_KNOWN
from hero.world.presets import PRESETS, preset_config, preset_fields, preset_noise
from hero.world.scene import image_rng, object_mask, render, sample_scene

runner = CliRunner()

# sha256 over (relative path, bytes) of every file but world.json of WorldConfig(seed=7, 20/20/20 images), taken
# before the contrast knob and the presets were added: images, annotations and POPE files must never change.
DEFAULT_WORLD_DIGEST = "15a8565329c09035b8691d562de93d95c75cf796b201aa21f57db288d905f515"


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "world.json":
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_default_world_renders_exactly_as_before_the_knobs(tmp_path):
    build_world(WorldConfig(seed=7, train_images=20, val_images=20, test_images=20), tmp_path, progress=False)
    assert _digest(tmp_path) == DEFAULT_WORLD_DIGEST
    assert "contrast" not in load_annotations(tmp_path, "test")[0]["objects"][0]


def test_contrast_blends_toward_the_background_on_the_same_layout():
    plain, faint = WorldConfig(), WorldConfig(min_contrast=0.3, max_contrast=0.8)
    for i in range(50):
        a, b = sample_scene(plain, image_rng(0, 0, i)), sample_scene(faint, image_rng(0, 0, i))
        assert [(o.category, o.bbox) for o in a] == [(o.category, o.bbox) for o in b]  # drawn after the layout
        image = np.asarray(render(faint, b))  # (H, W, 3)
        for o in b:
            assert 0.3 <= o.contrast <= 0.8 and o.contrast == round(o.contrast, 3)
            want = [round(bg + o.contrast * (v - bg)) for v, bg in zip(COLOURS_KNOWN[o.colour], faint.background)]
            mask = object_mask(o, faint.image_size)
            assert mask.any() and (image[mask] == want).all(1).mean() > 0.5  # overlaps may cover part of it
            assert o.to_dict()["contrast"] == o.contrast


@pytest.mark.parametrize("kwargs", [{"min_contrast": 0.0}, {"min_contrast": 0.9, "max_contrast": 0.5},
                                    {"max_contrast": 1.2}])
def test_contrast_validation_says_how_to_fix(kwargs):
    with pytest.raises(ValueError, match="need 0 < min_contrast ≤ max_contrast ≤ 1"):
        WorldConfig(**kwargs)


def test_trap_preset_is_a_valid_world_with_most_categories_paired():
    cfg = preset_config("trap", seed=101)
    paired = {c for a, b, _ in cfg.prior for c in (a, b)}
    assert len(paired) >= 0.9 * len(cfg.categories) and all(p >= 0.9 for *_, p in cfg.prior)
    assert cfg.seed == 101 and "seed" not in PRESETS["trap"]
    preset_fields("trap")["prior"].append(["x", "y", 1.0])  # a copy: the preset itself is untouched
    assert preset_config("trap").prior == cfg.prior
    with pytest.raises(ValueError, match="unknown world preset 'nope'; choose from"):
        preset_fields("nope")
    # "trap": the default objects (14–20 px, full colour) under grain; "small_faint": the first trap preset
    assert (cfg.min_size, cfg.max_size, cfg.min_contrast, cfg.max_contrast) == (14, 20, 1.0, 1.0)
    small = preset_config("small_faint")
    assert (small.min_size, small.min_contrast, small.max_contrast, small.prior) == (8, 0.2, 1.0, cfg.prior)
    assert (preset_noise("trap"), preset_noise("small_faint"), preset_noise(None)) == ("grain", "noise", "noise")
    with pytest.raises(ValueError, match="unknown world preset 'nope'"):
        preset_noise("nope")


def test_cli_preset_sits_below_flags_and_set(tmp_path):
    out = tmp_path / "w"
    r = runner.invoke(app, ["world", "build", "--out", str(out), "--preset", "trap", "--images", "4",
                            "--eval-images", "4", "--min-size", "8", "--set", "min_contrast=0.5", "--set",
                            "max_contrast=0.9"])
    assert r.exit_code == 0, r.output
    cfg, _ = load_world(out)
    want = preset_config("trap", min_size=8, min_contrast=0.5, max_contrast=0.9, train_images=4, val_images=4,
                         test_images=4)
    assert cfg == want
    rebuilt = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "again"), "--config",
                                  str(out / "world.json")])
    assert rebuilt.exit_code == 0 and json.loads((tmp_path / "again/world.json").read_text())["config"] == \
        json.loads((out / "world.json").read_text())["config"]
    r = runner.invoke(app, ["world", "build", "--out", str(tmp_path / "x"), "--preset", "nope"])
    assert r.exit_code == 2 and "unknown world preset 'nope'" in r.output
