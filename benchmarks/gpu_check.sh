#!/usr/bin/env bash
# One prepared GPU check (≤ 8 minutes on one large GPU): builds a ~2 B-parameter LLaVA from config (no download),
# prints hero trap throughput (questions/s), HERO and GRPO step time with vLLM colocate, peak memory per step, and
# runs hero eval pope --backend vllm once (requests/s).
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]          # default OUT_DIR: a new temporary folder
#   SKIP_VLLM=1 bash benchmarks/gpu_check.sh        # RL steps with transformers' generate instead of vLLM
#
# Needs: a CUDA GPU, `pip install -e .` (hero-vlm) and, for the vLLM steps, `pip install hero-vlm[vllm]`.
# Every step runs in its own process with its own time limit; a failed step is reported and the others still run;
# the exit code is the number of failed steps (2 = no GPU, before anything runs). Until this script has run on a GPU,
# hero's GPU paths (bf16, vLLM, sharded trap/eval on GPUs, DeepSpeed/FSDP configs, 4-bit) are not verified.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${1:-$(mktemp -d -t hero-gpu-check.XXXXXX)}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export TOKENIZERS_PARALLELISM=false

SMOKE=${HERO_GPU_CHECK_SMOKE:-0}  # 1: the CPU plumbing check of tests/test_gpu_check.py (tiny model, no GPU)
if [ "$SMOKE" != 1 ]; then
  if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_check: no NVIDIA GPU here (nvidia-smi missing or lists none); run this on a CUDA machine" >&2
    exit 2
  fi
  if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: nvidia-smi sees a GPU but torch.cuda.is_available() is False (a CPU build of torch?)" >&2
    exit 2
  fi
fi

echo "== versions"
[ "$SMOKE" = 1 ] || nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PY" - <<'PYEOF'
import importlib, platform
import torch
cuda = torch.cuda.is_available()
print(f"python {platform.python_version()}  torch {torch.__version__}  cuda {torch.version.cuda}  "
      f"bf16 {cuda and torch.cuda.is_bf16_supported()}  gpus {torch.cuda.device_count()}")
for name in ("transformers", "trl", "accelerate", "peft", "vllm", "deepspeed", "bitsandbytes", "hero"):
    try:
        print(f"{name} {getattr(importlib.import_module(name), '__version__', 'installed')}")
    except Exception as e:  # noqa: BLE001
        print(f"{name} not importable ({type(e).__name__})")
PYEOF
mkdir -p "$OUT"
echo "== output folder: $OUT"

FAILED=0
RESULTS=()
run_step() {  # run_step NAME LIMIT_S ARGS...: one process, timed; its RESULT line kept, a failure counted
  local name=$1 limit=$2; shift 2
  local log="$OUT/$name.log" start end rc=0
  start=$(date +%s)
  echo "== $name (limit ${limit}s)"
  timeout --signal=TERM --kill-after=15 "$limit" "$PY" benchmarks/gpu_check.py "$@" --out "$OUT" >"$log" 2>&1 || rc=$?
  end=$(date +%s)
  if [ "$rc" -eq 0 ]; then
    RESULTS+=("$(grep '^RESULT ' "$log" | tail -1 | cut -c8-)")
    echo "   ok in $((end - start))s: ${RESULTS[-1]}"
  else
    FAILED=$((FAILED + 1))
    RESULTS+=("{\"step\": \"$name\", \"failed\": \"exit $rc after $((end - start))s\", \"log\": \"$log\"}")
    echo "   FAILED (exit $rc$([ "$rc" -eq 124 ] && echo ', time limit') after $((end - start))s); last lines of $log:"
    tail -n 15 "$log" | sed 's/^/   | /' || true
  fi
}

VLLM_FLAG=()
if [ "${SKIP_VLLM:-0}" = "1" ] || [ "$SMOKE" = 1 ] || ! "$PY" -c "import vllm" >/dev/null 2>&1; then
  echo "== vLLM not installed or SKIP_VLLM=1: RL steps use transformers' generate (pip install hero-vlm[vllm])"
  VLLM_FLAG=(--no-vllm)
fi

RL_ARGS=()
[ "$SMOKE" = 1 ] && RL_ARGS=(--steps 2 --batch 16 --length 8)
EVAL_ARGS=()
[ "$SMOKE" = 1 ] && EVAL_ARGS=(--limit 8)
run_step build 85 build  # the time limits add up to 480 s
if [ -f "$OUT/model/config.json" ]; then
  run_step trap 65 trap
  run_step grpo 135 rl --method grpo "${VLLM_FLAG[@]}" "${RL_ARGS[@]}"
  run_step hero 135 rl --method hero "${VLLM_FLAG[@]}" "${RL_ARGS[@]}"
  run_step eval 60 eval "${VLLM_FLAG[@]}" "${EVAL_ARGS[@]}"  # hero eval pope --backend vllm (hf without vLLM)
else
  echo "== model not built: trap / grpo / hero / eval skipped"
  FAILED=$((FAILED + 4))
fi

echo "== summary (also in $OUT/gpu_check.json)"
printf '%s\n' "${RESULTS[@]}" | tee "$OUT/gpu_check.jsonl"
"$PY" - "$OUT" <<'PYEOF'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = [json.loads(x) for x in (out / "gpu_check.jsonl").read_text().splitlines() if x.strip()]
(out / "gpu_check.json").write_text(json.dumps(rows, indent=2) + "\n")
by = {r["step"].split()[0]: r for r in rows}
if "step_s_median" in by.get("hero", {}) and "step_s_median" in by.get("grpo", {}):
    print(f"HERO / GRPO step time ratio: {by['hero']['step_s_median'] / by['grpo']['step_s_median']:.3f}")
PYEOF
echo "== failed steps: $FAILED"
exit "$FAILED"
