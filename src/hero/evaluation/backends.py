"""Generation backends of `hero eval` by name (`--backend`): each entry is a loader "module:function" returning an
object with `generate(list[Request]) -> list[dict]` (rows as `hero.evaluation.generate.Generator` writes them),
the decodings it implements and the optional package it needs. A new backend is one `BACKENDS.register` call.

* ``hf`` (default) — transformers `generate` (`hero.evaluation.generate`): greedy, seeded sampling, VCD; CPU or GPU.
* ``vllm`` — vLLM's offline engine (`hero.evaluation.vllm_backend`): greedy and seeded sampling on CUDA GPUs;
  `pip install hero-vlm[vllm]`. Not yet verified: no GPU was available where it was written (docs/gpu.md).
"""

from __future__ import annotations

import importlib

from hero.hardware import Machine, machine, missing_package
from hero.registry import Registry

BACKENDS = Registry("generation backend")
"""name → loader "module:function" (model_dir, DecodingConfig, images_dir) -> generator; metadata: decodings
(tuple), package (an optional package it imports, or None), cuda (needs a CUDA GPU)."""

BACKENDS.register("hf", decodings=("greedy", "sample", "vcd"), package=None, cuda=False)(
    "hero.evaluation.generate:load_hf_generator")
BACKENDS.register("vllm", decodings=("greedy", "sample"), package="vllm", cuda=True)(
    "hero.evaluation.vllm_backend:load_vllm_generator")


def check_backend(name: str, decoding: str, m: Machine | None = None) -> None:
    """ValueError with the fix when backend `name` cannot run `decoding` here: an unknown name, a decoding it does
    not implement, its package missing, no CUDA GPU. Machine probed only for backends that need something."""
    meta = BACKENDS.meta(name)  # UnknownName (a ValueError) lists the registered backends
    if decoding not in meta["decodings"]:
        able = [b for b in BACKENDS.names() if decoding in BACKENDS.meta(b)["decodings"]]
        raise ValueError(f"--backend {name} does not implement --decoding {decoding} (it does "
                         f"{', '.join(meta['decodings'])}); use --backend {' or '.join(able)}")
    if meta["package"] is None and not meta["cuda"]:
        return
    m = m or machine()
    if meta["package"] and meta["package"] not in m.packages:
        raise ValueError(missing_package(meta["package"], f"--backend {name}"))
    if meta["cuda"] and not m.cuda:
        raise ValueError(f"--backend {name} generates on CUDA GPUs and none is visible; use --backend hf")


def load(model_dir, cfg, images_dir):
    """The generator of backend `cfg.backend` over a model folder."""
    module, _, attr = BACKENDS.get(cfg.backend).partition(":")
    return getattr(importlib.import_module(module), attr)(model_dir, cfg, images_dir)
