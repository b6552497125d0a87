"""GPU options (hero.hardware, hero.rl.gpu): bf16, gradient checkpointing, vLLM and 4-bit are passed to TRL by their
fields and refused with one clear line, before anything loads, where this machine cannot run them."""

import pytest
from typer.testing import CliRunner

from hero.hardware import Machine, check_4bit, check_precision, check_vllm, missing_package, require, vllm_settings
from hero.rl.gpu import translate
from hero.rl.settings import RLRunConfig, resolve

CPU = Machine()  # no GPU, no bf16 kernels, no optional packages
GPU = Machine(cuda=True, cuda_bf16=True, packages=frozenset({"vllm", "bitsandbytes"}))


def test_precision_checks():
    check_precision(True, False, GPU)
    check_precision(True, None, Machine(cpu_bf16=True))
    check_precision(None, None, CPU)
    cases = [((True, False, CPU), "--bf16: no CUDA GPU is visible and this CPU has no native bf16 kernels "
                                  "(AVX512-BF16 / AMX); use fp32 (the CPU default)"),
             ((True, False, Machine(cuda=True)), "--bf16: this GPU does not compute bf16 (pre-Ampere); use fp16 or "
                                                 "fp32"),
             ((False, True, CPU), "fp16=true: fp16 mixed precision needs a CUDA GPU; none is visible (drop it on "
                                  "the CPU)"),
             ((True, True, GPU), "--bf16 and fp16 together: choose one precision")]
    for args, message in cases:
        with pytest.raises(ValueError) as e:
            check_precision(*args)
        assert str(e.value) == message


def test_vllm_and_4bit_checks():
    check_vllm(True, "colocate", GPU)
    check_vllm(False, "colocate", CPU)
    check_4bit(True, True, GPU)
    check_4bit(False, False, CPU)
    cases = [(check_vllm, (True, "server", CPU), "--use-vllm needs the 'vllm' package, which is not installed: pip "
                                                  "install hero-vlm[vllm]"),
             (check_vllm, (True, "colocate", Machine(packages=frozenset({"vllm"}))),
              "--use-vllm: vLLM generates on CUDA GPUs and none is visible; drop --use-vllm on the CPU"),
             (check_vllm, (True, "remote", GPU), "--use-vllm 'remote': use colocate (vLLM inside each training "
              "process) or server (a separate `trl vllm-serve` process; --vllm-server-host / --vllm-server-port)"),
             (check_4bit, (True, False, GPU), "--load-in-4bit: a 4-bit base model is frozen; add --lora to train "
                                              "LoRA adapters (QLoRA)"),
             (check_4bit, (True, True, CPU), "--load-in-4bit needs the 'bitsandbytes' package, which is not "
                                             "installed: pip install hero-vlm[qlora]"),
             (check_4bit, (True, True, Machine(packages=frozenset({"bitsandbytes"}))),
              "--load-in-4bit: bitsandbytes 4-bit kernels need a CUDA GPU and none is visible; drop --load-in-4bit "
              "on the CPU")]
    for fn, args, message in cases:
        with pytest.raises(ValueError) as e:
            fn(*args)
        assert str(e.value) == message


def test_require_names_the_extra(monkeypatch):
    assert require("json", "x").dumps([1]) == "[1]"
    monkeypatch.setattr("hero.hardware.installed", lambda package: False)
    with pytest.raises(ImportError, match=r"^x needs the 'vllm' package, which is not installed: pip install "
                                          r"hero-vlm\[vllm\]$"):
        require("vllm", "x")
    assert missing_package("deepspeed", "--config_file deepspeed_zero3.yaml") == (
        "--config_file deepspeed_zero3.yaml needs the 'deepspeed' package, which is not installed: "
        "pip install hero-vlm[deepspeed]")


def test_use_vllm_shortcut_sets_trl_fields():
    assert vllm_settings("colocate") == {"use_vllm": True, "vllm_mode": "colocate"}
    assert vllm_settings("Server") == {"use_vllm": True, "vllm_mode": "server"}
    assert vllm_settings("off") == vllm_settings(False) == {"use_vllm": False}
    _, trainer = resolve("grpo", {"vllm": ("server", "--use-vllm"), "vllm_server_port": ("8001", "--vllm-server-port"),
                                  "bf16": (True, "--bf16"), "gradient_checkpointing": ("true", "x")})
    assert trainer == {"use_vllm": True, "vllm_mode": "server", "vllm_server_port": 8001, "bf16": True,
                       "gradient_checkpointing": True}
    with pytest.raises(ValueError, match=r"^--use-vllm: vllm applies to grpo / hero \(DPO samples its pairs"):
        resolve("dpo", {"vllm": ("colocate", "--use-vllm")})
    with pytest.raises(ValueError, match=r"^cfg.yaml:2: --use-vllm 'gpu': use colocate, server or off$"):
        resolve("hero", {"vllm": ("gpu", "cfg.yaml:2")})
    with pytest.raises(ValueError, match=r"^--set vllm_server_port=0: vllm_server_port=0 must be a port number"):
        resolve("hero", {"vllm_server_port": (0, "--set vllm_server_port=0")})
    with pytest.raises(ValueError, match=r"vllm_gpu_memory_utilization=1.5 must be in \(0, 1\]"):
        resolve("hero", {"vllm_gpu_memory_utilization": (1.5, "x")})


def test_gradient_checkpointing_goes_by_the_trainer_configs_name(tmp_path):
    from hero.rl.run_parts import trainer_args

    assert translate({"gradient_checkpointing": True}, {"activation_checkpointing"}) == {
        "activation_checkpointing": True}
    assert translate({"gradient_checkpointing": True}, {"gradient_checkpointing"}) == {"gradient_checkpointing": True}
    run = RLRunConfig(method="grpo", model="m", world="w", out=str(tmp_path / "o"))
    args, _ = trainer_args(run, {"gradient_checkpointing": True, "use_vllm": True, "vllm_mode": "server",
                                 "vllm_server_host": "10.0.0.2", "vllm_server_port": 8001})
    assert (args.activation_checkpointing, args.bf16, args.use_vllm, args.vllm_mode) == (True, False, True, "server")
    assert (args.vllm_server_host, args.vllm_server_port) == ("10.0.0.2", 8001)
    plain, _ = trainer_args(run, {})  # CPU defaults as before: fp32, no checkpointing, no vLLM
    assert (plain.activation_checkpointing, plain.bf16, plain.use_vllm) == (False, False, False)


@pytest.mark.parametrize("flags, message", [
    (["--use-vllm", "colocate"], "error: --use-vllm needs the 'vllm' package, which is not installed: pip install "
                                 "hero-vlm[vllm]\n"),
    (["--bf16"], "error: --bf16: no CUDA GPU is visible and this CPU has no native bf16 kernels (AVX512-BF16 / "
                 "AMX); use fp32 (the CPU default)\n"),
    (["--load-in-4bit"], "error: --load-in-4bit: a 4-bit base model is frozen; add --lora to train LoRA adapters "
                         "(QLoRA)\n"),
])
def test_cli_refuses_gpu_options_before_loading(tmp_path, monkeypatch, flags, message):
    from hero.cli.main import app

    monkeypatch.setattr("hero.rl.gpu.machine", lambda: CPU)
    res = CliRunner().invoke(app, ["train", "grpo", "--model", str(tmp_path / "no-model"), "--world",
                                   str(tmp_path / "no-world"), "--out", str(tmp_path / "out"), *flags])
    assert (res.exit_code, res.output) == (2, message)
    assert not (tmp_path / "out").exists()


def test_help_lists_gpu_flags_where_they_apply():
    from hero.cli.main import app

    grpo = CliRunner().invoke(app, ["train", "grpo", "--help"], terminal_width=200).output
    dpo = CliRunner().invoke(app, ["train", "dpo", "--help"], terminal_width=200).output
    for flag in ("--use-vllm", "--vllm-server-host", "--vllm-server-port", "--vllm-gpu-memory-utilization"):
        assert flag in grpo and flag not in dpo
    for flag in ("--bf16", "--gradient-checkpointing", "--load-in-4bit"):
        assert flag in grpo and flag in dpo


ACCELERATE_CONFIGS = {  # file: (distributed_type, mixed_precision, DeepSpeed ZeRO stage, FSDP version)
    "ddp.yaml": ("MULTI_GPU", "no", None, None),
    "deepspeed_zero2.yaml": ("DEEPSPEED", "bf16", 2, None),
    "deepspeed_zero3.yaml": ("DEEPSPEED", "bf16", 3, None),
    "fsdp.yaml": ("FSDP", "bf16", None, 2),
}


@pytest.mark.parametrize("name", sorted(ACCELERATE_CONFIGS))
def test_accelerate_configs_load_with_accelerates_loader(name):
    from pathlib import Path

    from accelerate.commands.config.config_args import load_config_from_file

    path = Path(__file__).resolve().parents[1] / "configs" / "accelerate" / name
    cfg = load_config_from_file(str(path))
    kind, precision, stage, fsdp = ACCELERATE_CONFIGS[name]
    assert (cfg.distributed_type.value, cfg.mixed_precision, cfg.use_cpu) == (kind, precision, False)
    assert (cfg.num_processes, cfg.num_machines, cfg.machine_rank) == (8, 1, 0)
    assert cfg.deepspeed_config.get("zero_stage") == stage and cfg.fsdp_config.get("fsdp_version") == fsdp
    if stage == 3:
        assert cfg.deepspeed_config["zero3_init_flag"] is True and cfg.deepspeed_config["zero3_save_16bit_model"]
    if fsdp:
        assert cfg.fsdp_config["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"


def test_launch_checks_what_accelerate_launch_exported():
    from hero.hardware import check_launch

    check_launch({}, None, CPU)
    check_launch({"ACCELERATE_MIXED_PRECISION": "bf16", "ACCELERATE_USE_DEEPSPEED": "true"}, True,
                 Machine(cuda=True, cuda_bf16=True, packages=frozenset({"deepspeed"})))
    with pytest.raises(ValueError) as e:
        check_launch({"ACCELERATE_USE_DEEPSPEED": "true"}, True, GPU)
    assert str(e.value) == ("the accelerate config (distributed_type: DEEPSPEED) needs the 'deepspeed' package, "
                            "which is not installed: pip install hero-vlm[deepspeed]")
    with pytest.raises(ValueError) as e:
        check_launch({"ACCELERATE_MIXED_PRECISION": "bf16"}, None, GPU)
    assert str(e.value) == ("the accelerate config asks for bf16 mixed precision (mixed_precision: bf16) but the run "
                            "trains in fp32: add --bf16, or set mixed_precision: 'no' in the config")


def test_extras_name_the_optional_packages():
    import tomllib
    from pathlib import Path

    from hero.hardware import EXTRAS

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for package, extra in EXTRAS.items():
        assert [d.split(">")[0] for d in extras[extra]] == [package]
    assert not any(d.startswith(tuple(EXTRAS)) for d in project["dependencies"])  # never required


def test_sft_precision_bf16_refused_where_not_native_and_checkpointing_flag(tmp_path, monkeypatch):
    from hero.cli.main import app

    monkeypatch.setattr("hero.hardware.machine", lambda: CPU)
    res = CliRunner().invoke(app, ["train", "sft", "--model", str(tmp_path / "m"), "--world", str(tmp_path / "w"),
                                   "--style", "answer", "--out", str(tmp_path / "out"), "--precision", "bf16",
                                   "--gradient-checkpointing"])
    assert (res.exit_code, res.output) == (2, "error: --precision bf16: no CUDA GPU is visible and this CPU has no "
                                              "native bf16 kernels (AVX512-BF16 / AMX); use fp32 (the CPU default)\n")
    assert not (tmp_path / "out").exists()
    helptext = CliRunner().invoke(app, ["train", "sft", "--help"], terminal_width=200).output
    assert "--gradient-checkpointing" in helptext


def test_pick_device():
    from hero.hardware import pick_device

    assert pick_device("auto", True, 1, 2) == "cuda:1" and pick_device("auto", True) == "cuda"
    assert pick_device("auto", False, 1, 2) == "cpu" and pick_device("cuda:3", True, 1, 2) == "cuda:3"
    with pytest.raises(ValueError, match=r"^--device cuda: no CUDA device is visible; use --device cpu$"):
        pick_device("cuda", False)
    with pytest.raises(ValueError, match=r"^--device 'tpu': use auto, cpu or cuda\[:N\]$"):
        pick_device("tpu", True)


def test_trap_device_flag_reaches_the_scorer(tmp_path, monkeypatch):
    import sys
    import types

    from hero.cli.main import app
    from test_trap_run import fake_score, make_inputs

    seen = []
    mod = types.ModuleType("hero.scoring")
    mod.make_trap_scorer = lambda model, *, seed, batch_size, device: seen.append(device) or fake_score
    monkeypatch.setitem(sys.modules, "hero.scoring", mod)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    p = make_inputs(tmp_path)
    base = ["trap", "--model", p["model"], "--questions", p["questions"], "--images", p["images"], "--no-progress",
            "--n-boot", "10"]
    res = CliRunner().invoke(app, [*base, "--out", p["out"]])
    assert res.exit_code == 0, res.output
    assert seen == ["cpu"]  # auto without a GPU
    res = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "gpu"), "--device", "cuda"])
    assert (res.exit_code, res.output) == (2, "error: --device cuda: no CUDA device is visible; use --device cpu\n")
    assert seen == ["cpu"] and not (tmp_path / "gpu").exists()
