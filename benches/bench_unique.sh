#!/usr/bin/env bash
# Whole `verbatim run` against Python encoding alone, on comments that are all different
# (issue 15): side by side, in one run, same weights, same threads.
#   1. Python onnxruntime fp32 on model.onnx, encoding the comments only
#   2. Python onnxruntime int8 (quantize_dynamic, per-channel), encoding the comments only
#   3. verbatim's raw encoder (Rust, no clauses, no cache), fp32 and int8, comments only
#   4. `verbatim run` with an empty cache, --precision int8 (the default), whole run: read,
#      NPS, clauses, encode, sentiment, themes, drivers, tables, report
#   5. the same with --precision fp32
# The comments: ../shared/data/realdev (1,115 real comments, every one different; read
# here, never copied into the repository), or any CSV with a `text` column.
#
#   bash benches/bench_unique.sh [TEXTS_CSV...] [-- THREADS]
#
# On a machine without Rust or network (benches/device/run.sh), these name what to use
# instead of building: VERBATIM_BIN (the CLI), ENCODER_BENCH_BIN (benches/encoder.rs built
# with `cargo bench --no-run`), BENCH_PYTHON (a python3 with onnxruntime, onnx, tokenizers);
# BENCH_CACHE_SEED, a checksum memo put in each run's empty cache (benches/device/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/lib.sh
texts_and_threads "$@"
model="models/multilingual-e5-small"
venv="${VERBATIM_CACHE_DIR:-$HOME/.cache/verbatim}/bench-venv"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -f "$model/model-int8.onnx" ] || { echo "run scripts/setup.sh first" >&2; exit 1; }
py="${BENCH_PYTHON:-$venv/bin/python}"
if [ -z "${BENCH_PYTHON:-}" ] && { [ ! -x "$py" ] || ! "$py" -c 'import onnxruntime, onnx, tokenizers' 2>/dev/null; }; then
  echo "creating $venv (onnxruntime, onnx, tokenizers)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet onnxruntime==1.32.0 onnx==1.20.0 tokenizers==0.22.1
fi

python3 benches/unique_export.py --export "$work/export.csv" --texts "$work/texts.txt" "${inputs[@]}"
print_machine
echo "onnxruntime (Python): $("$py" -c 'import onnxruntime; print(onnxruntime.__version__)')"

bin="${VERBATIM_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q
  bin="${CARGO_TARGET_DIR:-target}/release/verbatim"
fi
raw_encoder() {
  if [ -n "${ENCODER_BENCH_BIN:-}" ]; then "$ENCODER_BENCH_BIN" "$@" --model "$model"; else cargo bench -q --bench encoder -- "$@"; fi
}
for p in fp32 int8; do
  "$py" benches/encoder_python.py --backend $([ $p = fp32 ] && echo ort || echo ort-int8) \
    --texts "$work/texts.txt" --model "$model" --threads "$threads" 2>/dev/null >>"$work/results.jsonl"
  tail -1 "$work/results.jsonl"
done
for p in fp32 int8; do
  raw_encoder --texts "$work/texts.txt" --threads "$threads" --precision $p 2>/dev/null \
    | grep '^{' >>"$work/results.jsonl"
  tail -1 "$work/results.jsonl"
done
for p in int8 fp32; do
  rm -rf "$work/cache" "$work/out"
  if [ -n "${BENCH_CACHE_SEED:-}" ]; then mkdir -p "$work/cache" && cp "$BENCH_CACHE_SEED" "$work/cache/file-sha256.json"; fi
  # Wall seconds and the peak RSS (kB) of the process, as /usr/bin/time -f '%e %M' gives them.
  python3 -c 'import resource, subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
open(sys.argv[1], "w").write(f"{time.perf_counter() - t:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")' \
    "$work/time" "$bin" -q run "$work/export.csv" --out "$work/out" \
    --cache-dir "$work/cache" --threads "$threads" --precision $p
  python3 - "$work" "$p" <<'PY' | tee -a "$work/results.jsonl"
import json, sys
work, p = sys.argv[1], sys.argv[2]
wall, rss = open(f"{work}/time").read().split()
run = json.load(open(f"{work}/out/run.json"))
print(json.dumps({"impl": f"verbatim run --precision {p} (whole run, empty cache)", "seconds": float(wall),
                  "peak_rss_mb": int(rss) // 1024, "encoded_texts": run["encode"]["encoded"],
                  "timings": {k: round(v, 2) for k, v in run["timings_seconds"].items()}}))
PY
done
python3 - "$work" <<'PY'
import json, sys
res = [json.loads(l) for l in open(f"{sys.argv[1]}/results.jsonl")]
py32, py8, raw32, raw8, run8, run32 = res
print()
for r in (raw32, raw8):
    print(f"{r['impl']}: {r['texts_per_s'] / py32['texts_per_s']:.2f}x Python fp32, {r['texts_per_s'] / py8['texts_per_s']:.2f}x Python int8 dynamic")
for r in (run8, run32):
    print(f"{r['impl']}: {py32['seconds'] / r['seconds']:.2f}x Python fp32, {py8['seconds'] / r['seconds']:.2f}x Python int8 dynamic")
PY
