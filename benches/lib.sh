# Sourced from the repository root by bench_unique.sh and bench_ab.sh.

# Their common arguments, `[TEXTS_CSV...] [-- THREADS]`: sets `inputs` (realdev's 1,115
# comments when none is named) and `threads` (every core when not given).
texts_and_threads() {
  threads="$(nproc)"
  inputs=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --) threads="$2"; shift 2 ;;
      *) inputs+=("$1"); shift ;;
    esac
  done
  [ ${#inputs[@]} -gt 0 ] || inputs=(../shared/data/realdev/en.csv ../shared/data/realdev/fr.csv)
}

# The machine and the threads, as each benchmark's output begins.
print_machine() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); threads: $threads"
}
