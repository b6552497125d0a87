"""The embedded image world: procedurally generated scenes with a co-occurrence language prior."""

from hero.world.config import WorldConfig
from hero.world.scene import WorldObject, render, sample_scene

__all__ = ["WorldConfig", "WorldObject", "render", "sample_scene"]
