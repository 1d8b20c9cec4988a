#!/usr/bin/env bash
# Prepare the CUDA measurement for a lent GPU machine (after benches/device/prepare.sh):
#   - .device/bin-cuda.tar.xz: the CLI and the raw-encoder bench built with `--features cuda`;
#   - .gpu1/ .gpu2/ ...: ONNX Runtime's CUDA build (onnxruntime-gpu 1.30.0, for CUDA 13, what
#     the machine's PyTorch is built for), its libonnxruntime.so and CUDA provider, compressed
#     and cut in parts of at most 56 MB: the provider alone is 272 MB, 178 MB compressed, and
#     the device tool carries at most 64 MiB per call, so the parts travel one call each to a
#     machine kept warm between calls, and benches/device/gpu.sh joins them.
#
#   bash benches/device/prepare_cuda.sh      # prints the calls to make
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source benches/device/lib.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/verbatim/target}"
[ -d .device ] || { echo "run benches/device/prepare.sh first" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pack_binaries .device/bin-cuda.tar.xz --features cuda
# Leave target/release/verbatim as the CPU build the tests and benches expect.
cargo build --release -q

python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 onnxruntime-gpu==1.30.0 -d "$tmp/wheel"
mkdir -p "$tmp/ort"
(cd "$tmp/ort" && unzip -q -j "$tmp"/wheel/*.whl 'onnxruntime/capi/libonnxruntime.so.1.30.0' \
  'onnxruntime/capi/libonnxruntime_providers_shared.so' 'onnxruntime/capi/libonnxruntime_providers_cuda.so')
tar -cf - -C "$tmp/ort" . | xz -T2 -6 >"$tmp/ort-gpu.tar.xz"
rm -rf .gpu[0-9]*
split -b 56M -d -a 1 "$tmp/ort-gpu.tar.xz" "$tmp/part-"
n=0
for p in "$tmp"/part-*; do
  n=$((n + 1))
  mkdir -p ".gpu$n" && mv "$p" ".gpu$n/"
  grep -qx "/.gpu$n/" .git/info/exclude || echo "/.gpu$n/" >>.git/info/exclude
done
du -sh .device/bin-cuda.tar.xz .gpu*
echo "device calls, one after the other while the machine stays warm:"
for i in $(seq 1 $n); do
  echo "  carry [\".gpu$i\"]: mkdir -p /tmp/gpuparts && cp .gpu$i/* /tmp/gpuparts/ && ls -l /tmp/gpuparts"
done
echo "  carry [\".device\"]: bash benches/device/gpu.sh"
