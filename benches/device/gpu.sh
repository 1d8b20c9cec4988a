#!/usr/bin/env bash
# On a lent GPU machine, after benches/device/prepare.sh and prepare_cuda.sh here and the
# calls that carried .gpu1/, .gpu2/... there (each copied into /tmp/gpuparts/):
#   1. ONNX Runtime's CUDA build joined from the parts, with the CUDA 13 and cuDNN libraries
#      of the machine's PyTorch on LD_LIBRARY_PATH;
#   2. verbatim's raw encoder (--features cuda) on the GPU, fp32, the comments 20 times
#      (every text encoded, no dedupe), token budgets 4,096 / 16,384 / 65,536;
#   3. the whole `verbatim run --device cuda` on the comments (empty cache), and the same on
#      the CPU with every core, and how far their sentiment and themes agree;
#   4. benches/encoder_gpu.py: PyTorch fp32 and fp16 on the same GPU, same texts, same weights.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
start=$SECONDS
source benches/device/lib.sh
log_to gpu-log.txt
dev=.device

echo "== ONNX Runtime CUDA build"
parts=$(ls /tmp/gpuparts/part-* 2>/dev/null | sort)
[ -n "$parts" ] || { echo "no /tmp/gpuparts/part-*: carry .gpu1/, .gpu2/... first (prepare_cuda.sh)" >&2; exit 1; }
rm -rf /tmp/ortgpu && mkdir -p /tmp/ortgpu
cat $parts | python3 -c 'import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.stdin.buffer), mode="r|").extractall("/tmp/ortgpu")' || exit 1
ls -l /tmp/ortgpu
nvlibs=$(python3 -c 'import glob, os, site
print(":".join(sorted({os.path.dirname(p) for s in site.getsitepackages() for p in glob.glob(s + "/nvidia/**/lib*.so*", recursive=True)})))')
export LD_LIBRARY_PATH="$nvlibs:${LD_LIBRARY_PATH:-}"
export ORT_DYLIB_PATH=/tmp/ortgpu/libonnxruntime.so.1.30.0
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

echo "== models"
mkdir -p "$dev/bin-cuda"
unpack "$dev/bin-cuda.tar.xz" "$dev/bin-cuda" || exit 1
build_device_models "$ORT_DYLIB_PATH" || exit 1
echo "ready after $((SECONDS - start)) s"

echo "== verbatim raw encoder on the GPU (fp32 graph, CUDA execution provider)"
for i in $(seq 20); do cat "$dev/texts.txt"; done >/tmp/texts20.txt
for budget in 4096 16384 65536; do
  "$dev/bin-cuda/encoder" --texts /tmp/texts20.txt --model models/multilingual-e5-small --device cuda \
    --precision fp32 --batch-tokens $budget 2>&1 | grep -E '^\{|rror|panic' | tee -a "$out/gpu.jsonl"
done

echo "== whole run: --device cuda, then the CPU with every core"
python3 benches/unique_export.py --export /tmp/export.csv "$dev"/texts/*.csv
for dev_kind in cuda cpu; do
  rm -rf "/tmp/run-$dev_kind" "/tmp/cache-$dev_kind" && mkdir -p "/tmp/cache-$dev_kind"
  cp "$dev/seed.json" "/tmp/cache-$dev_kind/file-sha256.json"
  t0=$(date +%s.%N)
  "$dev/bin-cuda/verbatim" -q run /tmp/export.csv --out "/tmp/run-$dev_kind" --cache-dir "/tmp/cache-$dev_kind" \
    --device $dev_kind --precision fp32 --batch-tokens 16384 >/dev/null
  echo "verbatim run --device $dev_kind: $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(json.dumps({"timings": r["timings_seconds"], "encoded": r["encode"]["encoded"], "models": r.get("models")}))' "/tmp/run-$dev_kind/run.json"
done
python3 - <<'PY'
import pyarrow.parquet as pq
a = pq.read_table("/tmp/run-cuda/responses.parquet").to_pylist()
b = pq.read_table("/tmp/run-cpu/responses.parquet").to_pylist()
n = len(a)
same_s = sum(x["sentiment"] == y["sentiment"] for x, y in zip(a, b))
same_t = sum(sorted(x["themes"] or []) == sorted(y["themes"] or []) for x, y in zip(a, b))
d = max(abs((x["sentiment_score"] or 0) - (y["sentiment_score"] or 0)) for x, y in zip(a, b))
print(f"CUDA vs CPU fp32, {n} responses: same sentiment {same_s}, same themes {same_t}, largest sentiment_score difference {d:.2e}")
PY

echo "== PyTorch on the same GPU, after $((SECONDS - start)) s"
python3 benches/encoder_gpu.py --model models/multilingual-e5-small --texts "$dev/texts.txt" --batches 128,512 \
  | tee -a "$out/gpu.jsonl"
echo "== done in $((SECONDS - start)) s"
