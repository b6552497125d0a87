"""GPU options of `hero train grpo|hero|dpo`, checked before anything loads (`check_run`), and the 4-bit start
model of QLoRA (`load_4bit`). The checks themselves are `hero.hardware`'s pure functions.

Not yet verified on a GPU: bf16, gradient checkpointing, vLLM (colocate / server) and 4-bit loading are passed to
TRL / transformers by their documented fields and validated on the CPU; benchmarks/gpu_check.sh is the first run
that exercises them (docs/gpu.md).
"""

from __future__ import annotations

from hero.hardware import Machine, check_4bit, check_launch, check_precision, check_vllm, machine, require
from hero.hardware import translate  # noqa: F401 (hero.rl.run_parts imports it from here)


def check_run(run, trainer_kw: dict, m: Machine | None = None) -> None:
    """ValueError naming the option when this machine cannot run the run's GPU options (`hero.hardware`)."""
    import os

    m = m or machine()
    check_launch(os.environ, trainer_kw.get("bf16"), m)
    check_precision(trainer_kw.get("bf16"), trainer_kw.get("fp16"), m)
    check_vllm(trainer_kw.get("use_vllm"), trainer_kw.get("vllm_mode"), m)
    check_4bit(run.load_in_4bit, run.lora, m)


def load_4bit(path):
    """The start model in 4-bit NF4 (bitsandbytes; bf16 compute) on this process's GPU, prepared for k-bit
    training (peft); LoRA adapters are added by the trainer (--lora is required, `check_4bit`)."""
    import os

    import torch
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForImageTextToText, BitsAndBytesConfig

    require("bitsandbytes", "--load-in-4bit")
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.bfloat16)
    model = AutoModelForImageTextToText.from_pretrained(
        path, quantization_config=quant, device_map={"": int(os.environ.get("LOCAL_RANK", "0"))})
    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
