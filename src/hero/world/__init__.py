"""The embedded image world: procedurally generated scenes with a co-occurrence language prior."""

from hero.world.config import WorldConfig
from hero.world.scene import WorldObject, render, sample_scene

__all__ = ["WorldConfig", "WorldObject", "render", "sample_scene"]
from hero.world.build import SPLITS, build_world, load_annotations, load_world, pope_path  # noqa: E402

__all__ += ["SPLITS", "build_world", "load_annotations", "load_world", "pope_path"]
