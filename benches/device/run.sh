#!/usr/bin/env bash
# On a lent GPU machine (no Rust, no network), from the repository root, after
# benches/device/prepare.sh filled .device/ here and the device tool carried it there:
#   1. the machine: CPU flags (AVX-512 VNNI?), GPU, Python's onnxruntime;
#   2. models/ built from .device/ (scripts/build_models.py on the pruned E5S1 file), the
#      ONNX Runtime library of the machine's Python onnxruntime for the CLI too;
#   3. benches/bench_unique.sh with 2 threads: Python onnxruntime fp32 and int8 dynamic,
#      verbatim's raw encoder fp32 and int8, the whole `verbatim run` int8 and fp32;
#   4. benches/encoder_gpu.py: PyTorch fp32 and fp16 on the GPU, same weights;
#   5. if time is left, step 3 again with every core.
# Everything it prints also goes to $OUT/log.txt.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
start=$SECONDS
source benches/device/lib.sh
log_to log.txt
dev=.device

echo "== machine"
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
lscpu 2>/dev/null | grep -E '^(Thread|Core|Socket|NUMA node\(s\)|L2|L3)' || true
cpu_flags
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader || true
python3 -c 'import onnxruntime as o, torch, transformers, tokenizers, numpy, onnx
print("onnxruntime", o.__version__, o.get_available_providers(), "| torch", torch.__version__,
      "| transformers", transformers.__version__, "| tokenizers", tokenizers.__version__, "| numpy", numpy.__version__,
      "| onnx", onnx.__version__)'

echo "== models"
cpu_setup || exit 1
echo "built in $((SECONDS - start)) s; onnxruntime library: $lib"

# $1 threads, pinned to $2 (a list of CPUs) when taskset is there.
bench() {
  local pin=()
  command -v taskset >/dev/null && [ -n "${2:-}" ] && pin=(taskset -c "$2")
  VERBATIM_BIN="$dev/bin/verbatim" ENCODER_BENCH_BIN="$dev/bin/encoder" BENCH_PYTHON=python3 \
    BENCH_CACHE_SEED="$dev/seed.json" "${pin[@]}" bash benches/bench_unique.sh "$dev"/texts/*.csv -- "$1"
}
pair=$(two_cores)
echo "== CPU, 2 threads on CPUs $pair"
bench 2 "$pair" | tee "$out/cpu-2.txt"
echo "== GPU (PyTorch, same weights), after $((SECONDS - start)) s"
python3 benches/encoder_gpu.py --model models/multilingual-e5-small --texts "$dev/texts.txt" | tee "$out/gpu.txt"
if [ $((SECONDS - start)) -lt 360 ]; then
  echo "== CPU, $(nproc) threads, after $((SECONDS - start)) s"
  bench "$(nproc)" "" | tee "$out/cpu-all.txt"
fi
echo "== done in $((SECONDS - start)) s"
