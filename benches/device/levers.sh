#!/usr/bin/env bash
# On a lent machine (no Rust, no network), after benches/device/prepare.sh here and the device
# tool carried .device/ there; one call, each step with a time limit (step names in brackets):
#   1. the machine: CPU flags (AVX-512 VNNI, AMX), and one encoder-shaped matmul's rate in
#      fp32 and in the integer kernels (scripts/experiments/int8_probe.py --matmul); models/;
#   2. [bench] benches/bench_unique.sh, 2 threads pinned to 2 physical cores: Python
#      onnxruntime fp32 and int8 dynamic, verbatim's raw encoder fp32 and int8, the whole run
#      int8 and fp32;
#   2b. [ab] benches/bench_ab.sh: a baseline build (prepare.sh's BASELINE_BIN, e.g. the
#      previous release; with its own models/ when prepare.sh packed BASELINE_MODELS, this
#      build's binary when it packed only those) and this one, whole runs alternated 4 times
#      each, 2 pinned threads; skipped when prepare.sh packed no baseline;
#   3. [probe] int8_probe.py: the setup's int8 graph against 0.7.1's (the per-token input
#      scaled in a pass of its own) and the one with every input per token;
#   4. [setup] the setup's two training commands (benches/device/setup_time.sh);
#   5. [budgets] the raw int8 encoder and the whole run at token budgets other than the
#      default 1,024 (batch-invariant: the tables do not change, the speed may);
#   6. [static] int8_probe.py: per-token against static-scale graphs calibrated here.
# With arguments, only the steps named, e.g. `levers.sh bench probe setup`; none: all.
# Everything it prints also goes to $OUT/levers.txt.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
start=$SECONDS
source benches/device/lib.sh
log_to levers.txt
dev=.device
step() { echo "== $1 (after $((SECONDS - start)) s)"; }
wanted() { [ ${#steps[@]} -eq 0 ] || [[ " ${steps[*]} " == *" $1 "* ]]; }
steps=("$@")

step machine
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
cpu_flags
python3 -c 'import onnxruntime as o, numpy, tokenizers; print("onnxruntime", o.__version__, "| numpy", numpy.__version__, "| tokenizers", tokenizers.__version__)'
pair=$(two_cores)
pin=()
command -v taskset >/dev/null && pin=(taskset -c "$pair")
echo "2 threads on CPUs $pair"
timeout 60 "${pin[@]}" python3 scripts/experiments/int8_probe.py --matmul --threads 2 --model x --texts x --out x

step models
cpu_setup || exit 1
echo "onnxruntime library: $lib"

work=$(mktemp -d)
python3 benches/unique_export.py --export "$work/export.csv" --texts "$work/texts.txt" "$dev"/texts/*.csv

if wanted bench; then
step "bench_unique, 2 threads"
VERBATIM_BIN="$dev/bin/verbatim" ENCODER_BENCH_BIN="$dev/bin/encoder" BENCH_PYTHON=python3 \
  BENCH_CACHE_SEED="$dev/seed.json" timeout 240 "${pin[@]}" bash benches/bench_unique.sh "$dev"/texts/*.csv -- 2 |
  tee "$out/cpu-2.txt"
fi

if wanted ab && { [ -f "$dev/baseline.tar.xz" ] || [ -f "$dev/baseline-models.tar.xz" ]; }; then
step "A/B: the baseline build and this one, alternated"
base_bin="$dev/bin/verbatim"
if [ -f "$dev/baseline.tar.xz" ]; then
  unpack "$dev/baseline.tar.xz" "$dev/bin"
  base_bin="$dev/bin/verbatim-baseline"
fi
seed="$dev/seed.json"
roots=()
if [ -f "$dev/baseline-models.tar.xz" ]; then  # the baseline's own int8 graph (0.7.1's) and heads
  mkdir -p "$dev/baseline"
  TOKEN_ROWS=False build_device_models "$lib" "$dev/baseline" "$dev/seed-baseline.json" "$dev/baseline-models.tar.xz"
  python3 -c 'import json, sys; json.dump({**json.load(open(sys.argv[1])), **json.load(open(sys.argv[2]))}, open(sys.argv[3], "w"))' \
    "$dev/seed.json" "$dev/seed-baseline.json" "$dev/seed-both.json"
  seed="$dev/seed-both.json"
  roots=(A_ROOT="$dev/baseline")
fi
env "${roots[@]}" PIN="${pin[*]}" BENCH_CACHE_SEED="$seed" timeout 240 \
  bash benches/bench_ab.sh "$base_bin" "$dev/bin/verbatim" 4 "$dev"/texts/*.csv -- 2 | tee "$out/ab.txt"
fi

calib() {  # the comments scripts/calibrate_int8.py calibrates on, one per line
  python3 -c 'import sys; sys.path.insert(0, "scripts"); import calibrate_int8 as c
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(c.corpus_sample("data/corpus/coded.csv", 1000, 1)) + "\n")' \
    "$work/calib.txt"
}

if wanted probe; then
step "int8 graphs: the setup's against 0.7.1's and per token everywhere"
timeout 200 "${pin[@]}" python3 scripts/experiments/int8_probe.py --model models/multilingual-e5-small \
  --texts "$dev/texts.txt" --out "$work/probe-default" --threads 2 --graphs int8-default,int8-071,int8-token
fi

if wanted setup; then
step "setup training"
left=$((580 - (SECONDS - start)))
[ $left -gt 60 ] && SKIP_CPU_SETUP=1 timeout $left bash benches/device/setup_time.sh
fi

if wanted budgets; then
step "token budgets"
for b in 512 2048 4096; do
  timeout 40 "${pin[@]}" "$dev/bin/encoder" --texts "$work/texts.txt" --threads 2 --precision int8 \
    --batch-tokens $b --model models/multilingual-e5-small 2>/dev/null | grep '^{'
done
for b in 2048 4096; do
  rm -rf "$work/cache" "$work/out" && mkdir -p "$work/cache" && cp "$dev/seed.json" "$work/cache/file-sha256.json"
  t0=$(date +%s.%N)
  timeout 60 "${pin[@]}" "$dev/bin/verbatim" -q run "$work/export.csv" --out "$work/out" --cache-dir "$work/cache" \
    --threads 2 --precision int8 --batch-tokens $b >/dev/null
  echo "whole run int8, --batch-tokens $b: $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s; timings" \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["timings_seconds"])' "$work/out/run.json")"
done
fi

if wanted static; then
step "int8 graphs: per token against static scales"
calib
left=$((570 - (SECONDS - start)))
[ $left -gt 60 ] && timeout $left "${pin[@]}" python3 scripts/experiments/int8_probe.py --model models/multilingual-e5-small \
  --texts "$dev/texts.txt" --out "$work/probe" --threads 2 --static "$work/calib.txt" \
  --graphs int8-token,static-ln,static-p999
fi
step done
