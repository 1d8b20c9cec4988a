#!/usr/bin/env bash
# Whole `verbatim run` on the bundled sample, cold (empty cache) then warm (same export
# again), with the shipped taxonomy and, given coded verbatims, with a themes model learnt
# from them (whose attention scores are cached too). Prints seconds and peak memory of
# each run and checks that the warm run's tables are byte-identical to the cold run's.
#
#   bash benches/bench_run_cache.sh [CODED.csv]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/verbatim/target}"
cargo build --release -q
v="$CARGO_TARGET_DIR/release/verbatim"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
measure() { # name, extra run options...
  local name="$1"
  shift
  for pass in cold warm; do
    /usr/bin/time -f "$name $pass: %e s, peak %M KB" "$v" -q run data/sample_export.csv \
      --out "$work/$name-$pass" --cache-dir "$work/cache-$name" "$@" >/dev/null
  done
  for f in responses.parquet mentions.parquet drivers.parquet; do
    cmp -s "$work/$name-cold/$f" "$work/$name-warm/$f" || { echo "$name: $f differs" >&2; exit 1; }
  done
  python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['encode']; print(f\"  warm run: {e['encoded']} encoded, {e['from_cache']} from cache\")" \
    "$work/$name-warm/run.json"
}
measure taxonomy
if [ $# -ge 1 ]; then
  "$v" -q themes train --examples "$1" --out "$work/model" >/dev/null
  measure learnt --themes-model "$work/model"
fi
