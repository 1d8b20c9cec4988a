#!/usr/bin/env bash
# On a lent machine (after benches/device/prepare.sh here): the setup's two training
# commands, as scripts/setup.sh runs them, with an empty cache, on two physical cores
# (taskset) and 2 threads: how long the setup trains the default models on a CPU with
# AVX-512 VNNI. Prints the seconds of each, and the sha256 of what they wrote beside those
# of the models trained here (models.tar.xz), to see whether another CPU trains the same.
# When prepare.sh packed a baseline binary (BASELINE_BIN), it is timed too, in the same call,
# alternated with this build (baseline themes, this themes, baseline sentiment, this
# sentiment), each binary with its own empty cache.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source benches/device/lib.sh
log_to setup-time.txt
dev=.device
# SKIP_CPU_SETUP=1: models/ and .device/bin were built by the calling script (levers.sh).
[ -n "${SKIP_CPU_SETUP:-}" ] || cpu_setup || exit 1
echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
cpu_flags
pair=$(two_cores)
pin=()
command -v taskset >/dev/null && pin=(taskset -c "$pair")
bins=("$dev/bin/verbatim")
if [ -f "$dev/baseline.tar.xz" ]; then
  unpack "$dev/baseline.tar.xz" "$dev/bin"
  bins=("$dev/bin/verbatim-baseline" "$dev/bin/verbatim")
fi
rm -rf /tmp/setup-time
timed() {
  local bin=$1 name=$2 t0 rc
  shift 2
  t0=$(date +%s.%N)
  XDG_CACHE_HOME=/tmp/setup-time/$name/cache "${pin[@]}" "$bin" -q "$@" --threads 2 >/dev/null
  rc=$?
  echo "$name: $1 train: $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s (CPUs $pair, 2 threads, rc $rc)"
}
for bin in "${bins[@]}"; do
  name=$(basename "$bin")
  timed "$bin" "$name" themes train --examples data/corpus/coded.csv --taxonomy data/themes.toml \
    --attention-epochs 8 --threshold-folds 2 --out /tmp/setup-time/$name/themes-default
done
for bin in "${bins[@]}"; do
  name=$(basename "$bin")
  timed "$bin" "$name" sentiment train --folds 0 --out /tmp/setup-time/$name/sentiment-default
done
sha256sum /tmp/setup-time/*/themes-default/model.json models/themes-default/model.json \
  /tmp/setup-time/*/sentiment-default/head.json models/sentiment-default/head.json
