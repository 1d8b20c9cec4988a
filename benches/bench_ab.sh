#!/usr/bin/env bash
# Two builds of verbatim, alternated in one sitting: the whole `verbatim run` of each on the
# same export, RUNS times each (A, B, A, B, ...), every run with an empty cache whose model
# checksum memo is seeded (as bench_unique.sh's device runs are). Shared machines drift by
# more than a change is worth between sittings (BENCHMARKS.md: baselines 7-14 % apart across
# two calls); alternating the builds compares a change with what it replaces under the same
# conditions. Then it checks that the two builds wrote the same outputs
# (scripts/compare_outputs.py; run.json's timings aside).
#
#   bash benches/bench_ab.sh A_BIN B_BIN [RUNS] [TEXTS_CSV...] [-- THREADS]
#
# A_BIN is typically the previous release, built from its last commit with the shared target
# directory (only verbatim recompiles) and copied out before this checkout builds again:
#   git worktree add /tmp/prev 361de23    # 0.7.0
#   (cd /tmp/prev && cargo build --release) && cp "$CARGO_TARGET_DIR/release/verbatim" /tmp/verbatim-0.7.0
#   cargo build --release && bash benches/bench_ab.sh /tmp/verbatim-0.7.0 "$CARGO_TARGET_DIR/release/verbatim"
# The comments: ../shared/data/realdev (1,115 real comments; read here, never copied into the
# repository), or any CSV with a `text` column. PIN, if set, prefixes every run (e.g.
# PIN="taskset -c 0,1" on a machine with more cores). The builds run in the repository root
# and read its models/, or in A_ROOT / B_ROOT when set, with the models/ there (a release
# whose int8 graph or heads differ; their outputs then differ too).
# benches/device/levers.sh's `ab` step runs it on a lent machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source benches/lib.sh
[ $# -ge 2 ] || { sed -n 2,20p "$0" >&2; exit 2; }
bins=("$(realpath "$1")" "$(realpath "$2")")
shift 2
runs=3
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
texts_and_threads "$@"
read -r -a pin <<<"${PIN:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 benches/unique_export.py --export "$work/export.csv" "${inputs[@]}"
print_machine
names=(A B)
roots=("$(realpath "${A_ROOT:-.}")" "$(realpath "${B_ROOT:-.}")")
for k in 0 1; do echo "${names[$k]}: ${bins[$k]} ($("${bins[$k]}" --version)), in ${roots[$k]}"; done

# The memo of the model's checksum (BENCH_CACHE_SEED's, on a lent machine whose pruned graph
# the shipped heads accept through it), and the models' files in the page cache, from one
# run of each build.
mkdir -p "$work/seed"
if [ -n "${BENCH_CACHE_SEED:-}" ]; then cp "$BENCH_CACHE_SEED" "$work/seed/file-sha256.json"; fi
for k in 0 1; do
  (cd "${roots[$k]}" && "${bins[$k]}" -q run "$work/export.csv" --out "$work/warm" --cache-dir "$work/seed" \
    --threads "$threads" >/dev/null)
done
for i in $(seq "$runs"); do
  for k in 0 1; do
    name=${names[$k]}
    rm -rf "$work/cache" "$work/out-$name" && mkdir -p "$work/cache"
    cp "$work/seed/file-sha256.json" "$work/cache/"
    t0=$(date +%s.%N)
    (cd "${roots[$k]}" && "${pin[@]}" "${bins[$k]}" -q run "$work/export.csv" --out "$work/out-$name" \
      --cache-dir "$work/cache" --threads "$threads" >/dev/null)
    t1=$(date +%s.%N)
    python3 - "$name" "$t0" "$t1" "$work/out-$name/run.json" <<'PY' | tee -a "$work/results.txt"
import json, sys
name, t0, t1, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
t = json.load(open(path))["timings_seconds"]
print(f"{name} {t1 - t0:.2f} s; stages over 0.05 s: " + ", ".join(f"{k} {v:.2f}" for k, v in t.items() if v > 0.05))
PY
  done
done
python3 - "$work/results.txt" <<'PY'
import sys
runs = {"A": [], "B": []}
for line in open(sys.argv[1]):
    name, seconds = line.split()[:2]
    runs[name].append(float(seconds))
a, b = (sum(v) / len(v) for v in (runs["A"], runs["B"]))
print(f"mean A {a:.2f} s, B {b:.2f} s: B takes {b / a:.3f} of A's time ({len(runs['A'])} runs each)")
PY
# run.json names each run's own directories: the rest is compared.
mkdir -p "$work/run-json" && mv "$work/out-A/run.json" "$work/run-json/A.json" && mv "$work/out-B/run.json" "$work/run-json/B.json"
if [ "${roots[0]}" = "${roots[1]}" ]; then
  python3 scripts/compare_outputs.py --any-version "$work/out-A" "$work/out-B" && echo "A and B wrote the same outputs"
else  # other graphs or heads: how far their tables are apart
  python3 scripts/compare_outputs.py --any-version "$work/out-A" "$work/out-B" | tail -n 5 || true
fi
