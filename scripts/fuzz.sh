#!/usr/bin/env bash
# The long fuzzing campaign (RELIABILITY.md "Fuzzing"): every target of tests/fuzz.rs with
# ITERATIONS generated or mutated inputs each, two targets at a time.
#
#   bash scripts/fuzz.sh [ITERATIONS [SEED]]      # default: 1000000 inputs per target
#
# Targets are the tests of tests/fuzz.rs (VERBATIM_FUZZ_TARGETS="csv_reader xlsx_reader"
# picks some). What it needs and does:
# - a release build of the test binary (built first, so that no compiler runs under the
#   memory limit below);
# - an address-space limit (VERBATIM_FUZZ_MEMORY_KB, default 8 GB): an input that makes a
#   reader ask for absurd memory aborts the campaign instead of exhausting a shared machine;
# - each input is written to the in-flight directory before it runs: when the process dies
#   (abort, memory, kill), the input that killed it is copied to tests/fixtures/fuzz/ as
#   <target>-<hash>.bin, where the target's test replays it from then on;
# - panics, failed checks and slow inputs (over 1 s per MiB) are saved by the harness itself.
# The summary lines (one per target) go to target/fuzz/report-<seed>.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ITERATIONS="${1:-1000000}"
SEED="${2:-$(date +%s)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/verbatim/target}"
OUT="$CARGO_TARGET_DIR/fuzz"
INFLIGHT="$(mktemp -d "${TMPDIR:-/dev/shm}/verbatim-fuzz.XXXXXX" 2>/dev/null || mktemp -d)"
mkdir -p "$OUT"
REPORT="$OUT/report-$SEED.txt"
: >"$REPORT"

BIN="$(cargo test --release --test tests --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
[ -x "$BIN" ] || { echo "fuzz.sh: could not build the test binary" >&2; exit 1; }

TARGETS="${VERBATIM_FUZZ_TARGETS:-encoding delimiter header_rows csv_reader ndjson_reader dates columns xlsx_reader parquet_reader}"
FILTERS=()
for t in $TARGETS; do FILTERS+=("fuzz::$t"); done

echo "fuzz.sh: $ITERATIONS inputs per target, seed $SEED, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "fuzz.sh: targets: $TARGETS"
started=$(date +%s)
set +e
(
  ulimit -v "${VERBATIM_FUZZ_MEMORY_KB:-8000000}"
  VERBATIM_FUZZ_ITERATIONS="$ITERATIONS" VERBATIM_FUZZ_SEED="$SEED" VERBATIM_FUZZ_SLACK=1 \
    VERBATIM_FUZZ_INFLIGHT="$INFLIGHT" VERBATIM_FUZZ_REPORT="$REPORT" \
    exec "$BIN" --exact "${FILTERS[@]}" --test-threads "${VERBATIM_FUZZ_THREADS:-2}" --nocapture
)
rc=$?
set -e
# What was in flight when the process died: each target running then left its input; the
# one that kills a process on its own is kept as a regression fixture.
for f in "$INFLIGHT"/*.inflight; do
  [ -e "$f" ] || continue
  target="$(basename "$f" .inflight)"
  case "$target" in
    header) test=header_rows ;; csv | ndjson | xlsx | parquet) test="${target}_reader" ;; *) test="$target" ;;
  esac
  set +e
  ( ulimit -v "${VERBATIM_FUZZ_MEMORY_KB:-8000000}"
    VERBATIM_FUZZ_REPLAY="$f" VERBATIM_FUZZ_SAVE="$OUT/replayed" exec "$BIN" --exact "fuzz::$test" >/dev/null 2>&1 )
  again=$?
  set -e
  hash="$(sha256sum "$f" | cut -c1-16)"
  if [ "$again" -ne 0 ]; then
    mkdir -p tests/fixtures/fuzz
    cp "$f" "tests/fixtures/fuzz/$target-$hash.bin"
    echo "fuzz.sh: $target: an input ends the process (exit $again): saved as tests/fixtures/fuzz/$target-$hash.bin" >&2
  else
    echo "fuzz.sh: $target: the input in flight ($hash) runs fine alone: it is not what ended the run" >&2
  fi
done
rm -rf "$INFLIGHT"
echo "fuzz.sh: exit $rc after $(( $(date +%s) - started )) s; summary in $REPORT"
cat "$REPORT"
exit "$rc"
