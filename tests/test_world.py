"""The embedded world: determinism, the co-occurrence prior, layout rules, text renderers, validation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from hero.world import WorldConfig, build_world, load_annotations, load_world, pope_path
from hero.world.scene import image_rng, sample_scene
from hero.world.text import caption, cot, question, vocabulary


def _hash_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_config_and_seed_give_byte_identical_files(tmp_path):
    cfg = WorldConfig(seed=7, train_images=40, val_images=30, test_images=30)
    build_world(cfg, tmp_path / "a", progress=False)
    build_world(cfg, tmp_path / "b", progress=False)
    ha, hb = _hash_tree(tmp_path / "a"), _hash_tree(tmp_path / "b")
    assert len(ha) == 40 + 30 + 30 + 3 + 1 + 2 * 3  # images, 3 annotation files, world.json, 2 × 3 POPE files
    assert ha == hb


def test_different_seed_changes_images(tmp_path):
    build_world(WorldConfig(seed=1, train_images=5, val_images=0, test_images=0), tmp_path / "a", progress=False)
    build_world(WorldConfig(seed=2, train_images=5, val_images=0, test_images=0), tmp_path / "b", progress=False)
    assert _hash_tree(tmp_path / "a")["train/images/train_000000.png"] != \
        _hash_tree(tmp_path / "b")["train/images/train_000000.png"]


def test_splits_are_disjoint_streams():
    cfg = WorldConfig()
    # Same index in two splits draws from different seed sequences ([seed, split, index]).
    assert sample_scene(cfg, image_rng(0, 0, 3)) != sample_scene(cfg, image_rng(0, 2, 3))


def test_prior_pair_frequency_matches_config_on_2000_images():
    cfg = WorldConfig(seed=0)
    scenes = [{o.category for o in sample_scene(cfg, image_rng(0, 0, i))} for i in range(2000)]
    for a, b, p in cfg.prior:
        either = [s for s in scenes if a in s or b in s]
        both = sum(a in s and b in s for s in either)
        # binomial sd at p=0.85, n≈500: sqrt(.85*.15/500) ≈ 0.016 → tolerance 0.05 is > 3 sd
        assert len(either) > 300
        assert abs(both / len(either) - p) < 0.05, (a, b, both / len(either))
    # A non-prior pair co-occurs far less often than a prior pair.
    a, b = "blue circle", "green square"
    either = [s for s in scenes if a in s or b in s]
    assert sum(a in s and b in s for s in either) / len(either) < 0.4


def test_scene_layout_rules():
    cfg = WorldConfig()
    for i in range(300):
        objs = sample_scene(cfg, image_rng(0, 0, i))
        assert cfg.min_objects <= len(objs) <= cfg.max_objects
        assert len({o.category for o in objs}) == len(objs)
        for o in objs:
            x0, y0, x1, y1 = o.bbox
            assert 0 <= x0 < x1 <= cfg.image_size and 0 <= y0 < y1 <= cfg.image_size
            assert cfg.min_size <= o.size <= cfg.max_size
        for j, o in enumerate(objs):
            for q in objs[j + 1:]:
                iw = min(o.bbox[2], q.bbox[2]) - max(o.bbox[0], q.bbox[0])
                ih = min(o.bbox[3], q.bbox[3]) - max(o.bbox[1], q.bbox[1])
                if iw > 0 and ih > 0:
                    assert iw * ih <= cfg.max_overlap * min(o.size, q.size) ** 2


def test_annotations_and_world_json_round_trip(tmp_path):
    cfg = WorldConfig(seed=3, train_images=3, val_images=0, test_images=20)
    build_world(cfg, tmp_path, progress=False)
    loaded, meta = load_world(tmp_path)
    assert loaded == cfg and meta["splits"] == {"train": 3, "val": 0, "test": 20}
    rows = load_annotations(tmp_path, "test")
    assert rows[0]["id"] == "test_000000" and rows[0]["file"] == "images/test_000000.png"
    assert set(rows[0]["objects"][0]) == {"category", "shape", "colour", "bbox", "size"}
    q = json.loads(pope_path(tmp_path, "test", "adversarial").read_text().splitlines()[0])
    assert set(q) == {"question_id", "image", "text", "label"} and q["label"] == "yes"
    assert (tmp_path / "test" / "images" / q["image"]).exists()


def test_text_renderers():
    assert caption(["red circle", "blue square"]) == "There is a red circle and a blue square."
    assert caption(["red circle", "orange square", "blue star"]) == \
        "There is a red circle, an orange square and a blue star."
    assert cot(["red circle", "blue square"], "green star") == \
        "I see a red circle and a blue square. There is no green star. Answer: no."
    assert cot(["red circle"], "red circle") == "I see a red circle. There is a red circle. Answer: yes."
    assert question("orange circle") == "Is there an orange circle in the image?"
    vocab = vocabulary(["red"], ["circle"])
    assert {"Answer", ":", "yes", "no", ".", "?", "red", "circle", "an"} <= set(vocab)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"colours": ["red", "magenta"]}, "unknown colour 'magenta'"),
    ({"shapes": ["hexagon"]}, "unknown shape 'hexagon'"),
    ({"max_objects": 9}, "do not fit reliably"),
    ({"min_objects": 3, "max_objects": 2}, "min_objects ≤ max_objects"),
    ({"prior": [["red circle", "pink square", 0.8]]}, "unknown category 'pink square'"),
    ({"prior": [["red circle", "blue square", 1.5]]}, "must be in [0, 1]"),
    ({"prior": [["red circle", "blue square", 0.8], ["red circle", "green square", 0.8]]}, "more than one prior pair"),
    ({"image_size": 8}, "too small"),
    ({"max_size": 80}, "exceeds image_size"),
])
def test_config_validation_says_how_to_fix(kwargs, fragment):
    with pytest.raises(ValueError, match=None) as e:
        WorldConfig(**kwargs)
    assert fragment in str(e.value)
