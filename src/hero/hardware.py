"""GPU-ready options, checked before anything loads: bf16 / fp16, vLLM generation, 4-bit (QLoRA) loading, and the
optional packages behind them (vllm, deepspeed, bitsandbytes: `pip install hero-vlm[vllm|deepspeed|qlora]`).

The checks are pure functions of the options and of `Machine` (what this machine has), so each message is tested
exactly on a CPU-only machine; `machine()` probes the real one. A missing optional package is imported only where
it is used (`require`), with an error saying which extra installs it.

Not yet verified on a GPU: the bf16, vLLM and 4-bit paths are built from TRL's / transformers' documented fields
and checked on the CPU only until benchmarks/gpu_check.sh has run on a GPU (docs/gpu.md).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field

EXTRAS = {"vllm": "vllm", "deepspeed": "deepspeed", "bitsandbytes": "qlora"}
"""Optional package → the pyproject extra that installs it."""
VLLM_MODES = ("colocate", "server")


@dataclass(frozen=True)
class Machine:
    """What this machine offers the GPU options."""

    cuda: bool = False
    """A CUDA device is visible."""
    cuda_bf16: bool = False
    """The CUDA device computes bf16."""
    cpu_bf16: bool = False
    """The CPU has native bf16 kernels (oneDNN: AVX512-BF16 / AMX)."""
    packages: frozenset = field(default_factory=frozenset)
    """Optional packages (EXTRAS) that are installed."""


def installed(package: str) -> bool:
    """The package can be imported (found without importing it)."""
    return importlib.util.find_spec(package) is not None


def machine() -> Machine:
    """Probe this machine (imports torch, not the optional packages)."""
    import torch

    cuda = torch.cuda.is_available()
    try:  # a private probe of oneDNN's bf16 kernels; a build without it has none
        cpu_bf16 = bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        cpu_bf16 = False
    return Machine(cuda=cuda, cuda_bf16=cuda and torch.cuda.is_bf16_supported(), cpu_bf16=cpu_bf16,
                   packages=frozenset(p for p in EXTRAS if installed(p)))


def missing_package(package: str, what: str) -> str:
    """The message for an optional package that is not installed."""
    return f"{what} needs the '{package}' package, which is not installed: pip install hero-vlm[{EXTRAS[package]}]"


def require(package: str, what: str):
    """Import an optional package, or raise ImportError saying which extra installs it."""
    if not installed(package):
        raise ImportError(missing_package(package, what))
    return importlib.import_module(package)


def check_precision(bf16: bool | None, fp16: bool | None, m: Machine, flag: str = "--bf16") -> None:
    """bf16 needs native bf16 on the device that trains (a CUDA GPU with bf16, or a CPU with bf16 kernels);
    fp16 mixed precision needs a CUDA GPU. ValueError with the fix otherwise (`flag`: how the user asked)."""
    if bf16 and fp16:
        raise ValueError(f"{flag} and fp16 together: choose one precision")
    if bf16 and m.cuda and not m.cuda_bf16:
        raise ValueError(f"{flag}: this GPU does not compute bf16 (pre-Ampere); use fp16 or fp32")
    if bf16 and not m.cuda and not m.cpu_bf16:
        raise ValueError(f"{flag}: no CUDA GPU is visible and this CPU has no native bf16 kernels (AVX512-BF16 / "
                         "AMX); use fp32 (the CPU default)")
    if fp16 and not m.cuda:
        raise ValueError("fp16=true: fp16 mixed precision needs a CUDA GPU; none is visible (drop it on the CPU)")


def check_vllm(use_vllm: bool | None, mode: str | None, m: Machine) -> None:
    """vLLM generation needs the vllm package and a CUDA GPU; mode colocate or server."""
    if not use_vllm:
        return
    if mode is not None and mode not in VLLM_MODES:
        raise ValueError(f"--use-vllm {mode!r}: use colocate (vLLM inside each training process) or server "
                         "(a separate `trl vllm-serve` process; --vllm-server-host / --vllm-server-port)")
    if "vllm" not in m.packages:
        raise ValueError(missing_package("vllm", "--use-vllm"))
    if not m.cuda:
        raise ValueError("--use-vllm: vLLM generates on CUDA GPUs and none is visible; drop --use-vllm on the CPU")


def check_4bit(load_in_4bit: bool, lora: bool, m: Machine) -> None:
    """4-bit loading (QLoRA) needs bitsandbytes, a CUDA GPU and LoRA adapters (a 4-bit base cannot be trained)."""
    if not load_in_4bit:
        return
    if not lora:
        raise ValueError("--load-in-4bit: a 4-bit base model is frozen; add --lora to train LoRA adapters (QLoRA)")
    if "bitsandbytes" not in m.packages:
        raise ValueError(missing_package("bitsandbytes", "--load-in-4bit"))
    if not m.cuda:
        raise ValueError("--load-in-4bit: bitsandbytes 4-bit kernels need a CUDA GPU and none is visible; drop "
                         "--load-in-4bit on the CPU")


def pick_device(device: str, cuda: bool, local_rank: int = 0, world: int = 1) -> str:
    """'auto' → 'cuda' when a GPU is visible, else 'cpu'; 'cuda' → this process's GPU ('cuda:<LOCAL_RANK>') in a
    launch of several processes. ValueError for cuda without a GPU or an unknown device.
    pick_device("auto", True, 1, 2) = "cuda:1"; pick_device("auto", False) = "cpu"; ("cuda:3", True) = "cuda:3"."""
    if device == "auto":
        device = "cuda" if cuda else "cpu"
    if not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"--device {device!r}: use auto, cpu or cuda[:N]")
    if device.startswith("cuda") and not cuda:
        raise ValueError(f"--device {device}: no CUDA device is visible; use --device cpu")
    return f"cuda:{local_rank}" if device == "cuda" and world > 1 else device


def check_launch(env: dict, bf16: bool | None, m: Machine) -> None:
    """What `accelerate launch --config_file ...` asked for (it exports ACCELERATE_* variables) against the run:
    DeepSpeed needs its package; a config with mixed_precision bf16 needs --bf16 (the two must agree)."""
    if str(env.get("ACCELERATE_USE_DEEPSPEED", "")).lower() == "true" and "deepspeed" not in m.packages:
        raise ValueError(missing_package("deepspeed", "the accelerate config (distributed_type: DEEPSPEED)"))
    if env.get("ACCELERATE_MIXED_PRECISION") == "bf16" and not bf16:
        raise ValueError("the accelerate config asks for bf16 mixed precision (mixed_precision: bf16) but the run "
                         "trains in fp32: add --bf16, or set mixed_precision: 'no' in the config")


def translate(trainer_kw: dict, fields) -> dict:
    """`gradient_checkpointing` under the name the trainer config uses: transformers ≥ 5 calls it
    `activation_checkpointing` (the old name is a deprecated alias). translate({"gradient_checkpointing": True},
    {"activation_checkpointing"}) = {"activation_checkpointing": True}."""
    kw = dict(trainer_kw)
    if "gradient_checkpointing" in kw and "activation_checkpointing" in fields and "activation_checkpointing" not in kw:
        kw["activation_checkpointing"] = kw.pop("gradient_checkpointing")
    return kw


def vllm_settings(value) -> dict:
    """The `--use-vllm` shortcut as TRL's fields: 'colocate' / 'server' → use_vllm on in that vllm_mode; 'off'
    (or false) → use_vllm off. ValueError for anything else."""
    text = str(value).strip().lower()
    if text in ("off", "false", "no", "none", ""):
        return {"use_vllm": False}
    if text not in VLLM_MODES:
        raise ValueError(f"--use-vllm {value!r}: use colocate, server or off")
    return {"use_vllm": True, "vllm_mode": text}
