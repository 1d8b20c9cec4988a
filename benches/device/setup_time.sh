#!/usr/bin/env bash
# On a lent machine (after benches/device/prepare.sh here): the setup's two training
# commands, as scripts/setup.sh runs them, with an empty cache, on two physical cores
# (taskset) and 2 threads: how long the setup trains the default models on a CPU with
# AVX-512 VNNI. Prints the seconds of each, and the sha256 of what they wrote beside those
# of the models trained here (models.tar.xz), to see whether another CPU trains the same.
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
export XDG_CACHE_HOME=/tmp/setup-time-cache
rm -rf "$XDG_CACHE_HOME" /tmp/themes-default /tmp/sentiment-default
timed() {
  local t0 rc
  t0=$(date +%s.%N)
  "${pin[@]}" "$dev/bin/verbatim" -q "$@" --threads 2 >/dev/null
  rc=$?
  echo "$1 train: $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s (CPUs $pair, 2 threads, rc $rc)"
}
timed themes train --examples data/corpus/coded.csv --taxonomy data/themes.toml \
  --attention-epochs 8 --threshold-folds 2 --out /tmp/themes-default
timed sentiment train --folds 0 --out /tmp/sentiment-default
sha256sum /tmp/themes-default/model.json models/themes-default/model.json \
  /tmp/sentiment-default/head.json models/sentiment-default/head.json
