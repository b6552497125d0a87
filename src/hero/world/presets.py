"""Named world presets (`hero world build --preset NAME`): WorldConfig settings chosen for a purpose and written
down with the measurements behind them. A preset sits below everything else: --config file < flags < --set
override its values; the seed and split sizes are never part of one."""

from __future__ import annotations

from hero.world.config import WorldConfig

TRAP_PRIOR = [  # 14 of the 15 default categories in 7 pairs (only "purple triangle" is unpaired)
    ["red circle", "blue square", 0.95],
    ["green triangle", "yellow circle", 0.95],
    ["purple square", "red triangle", 0.95],
    ["blue circle", "green square", 0.95],
    ["yellow triangle", "purple circle", 0.95],
    ["red square", "green circle", 0.95],
    ["blue triangle", "yellow square", 0.95],
]

PRESETS: dict[str, dict] = {
    "default": {},
    "trap": {"prior": TRAP_PRIOR},
    "small_faint": {"min_size": 8, "max_size": 20, "min_contrast": 0.2, "max_contrast": 1.0, "prior": TRAP_PRIOR},
}
"""name → WorldConfig fields, chosen on validation world seeds with answer-only SFT (the grids, the numbers, the
commands: benchmarks/trap_world.md).
- "default": WorldConfig's own defaults (objects 14–20 px, three pairs at p = 0.85), i.i.d. noise.
- "trap" (the demo's world): default objects (14–20 px, full colour) under a strong co-occurrence prior (p = 0.95,
  14 of 15 categories paired), degraded by `grain` (PRESET_NOISE): Gaussian noise of the paper's per-pixel σ = 30 /
  50, spatially correlated, so colours become confusable while shapes stay — answer-only SFT 0.94 → 0.71 → 0.61.
- "small_faint" (the first trap preset, kept so its recorded runs reproduce): objects of 8–20 px at contrast
  U[0.2, 1] under the same prior, i.i.d. noise; it failed the calibration (clean 0.84–0.88, σ = 50 ≈ 0.69–0.73)."""
PRESET_NOISE = {"trap": "grain"}
"""The σ op (hero.degrade) a preset's world is calibrated with; presets not named here (and the default world) use
i.i.d. Gaussian `noise`."""


def preset_fields(name: str) -> dict:
    """The fields of preset `name` (a copy); ValueError naming the presets otherwise."""
    if name not in PRESETS:
        raise ValueError(f"unknown world preset {name!r}; choose from {sorted(PRESETS)} (or leave --preset unset "
                         "for the default world)")
    return {k: [list(p) for p in v] if k == "prior" else v for k, v in PRESETS[name].items()}


def preset_config(name: str, **overrides) -> WorldConfig:
    """WorldConfig of preset `name`, with `overrides` (seed, split sizes, ...) on top."""
    return WorldConfig(**{**preset_fields(name), **overrides})


def preset_noise(name: str | None) -> str:
    """The σ op a world preset is calibrated with ('grain' for 'trap'); 'noise' for the others and for None."""
    if name is not None:
        preset_fields(name)  # an unknown name fails here, naming the presets
    return PRESET_NOISE.get(name or "", "noise")
