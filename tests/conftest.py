"""Shared test setup: hero's cache (model fingerprints, error logs) goes to a temporary folder, never ~/.cache; a
test-only degradation op for tests that show the op registry reaching a tool."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _hero_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HERO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "hero-cache"))
    monkeypatch.delenv("HERO_LOG_DIR", raising=False)
    monkeypatch.delenv("HERO_DEBUG", raising=False)


@pytest.fixture
def invert_op():
    """Registers the test-only degradation op `invert:level` (x → x + level·(255 − 2x): level 1 = 255 − x) for one
    test, then removes it."""
    import numpy as np
    from PIL import Image

    from hero import degrade

    @degrade.register_op("invert", check=lambda v: None if v <= 1 else "must be in [0, 1]")
    def _invert(image, level, rng):
        a = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.rint(a + level * (255 - 2 * a)).astype(np.uint8))

    yield "invert"
    degrade._OPS.pop("invert")


@pytest.fixture
def one_torch_thread():
    """torch on one thread for the test (tiny models are latency-bound; 2 shared cores), restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
