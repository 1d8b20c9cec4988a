#!/usr/bin/env bash
# Whole-binary ingest + NPS on a generated 1,000,000-row export: wall time and peak memory
# of `verbatim nps INPUT --out DIR`, three runs. Target (issue 3): under 3 s, under 1 GB.
#
#   bash benches/bench_nps.sh [ROWS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rows="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 scripts/gen_sample.py --rows "$rows" --out "$work/export.csv" --no-bad-rows >/dev/null
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/verbatim"
echo "input: $rows rows, $(du -h "$work/export.csv" | cut -f1); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for i in 1 2 3; do
  /usr/bin/time -f "run $i: %e s wall, %M KB peak RSS" "$bin" -q nps "$work/export.csv" --out "$work/out" >/dev/null
done
python3 -c "import json,sys; print('stages (last run):', json.load(open('$work/out/run.json'))['timings_seconds'])"
