"""Shared test setup: hero's cache (model fingerprints, error logs) goes to a temporary folder, never ~/.cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _hero_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HERO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "hero-cache"))
    monkeypatch.delenv("HERO_LOG_DIR", raising=False)
    monkeypatch.delenv("HERO_DEBUG", raising=False)
