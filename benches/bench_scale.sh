#!/usr/bin/env bash
# Time and peak memory of the whole `verbatim run` as the export grows, on comments that
# are all different (benches/gen_unique.py), with an empty cache each time: what a first
# run on a large real export costs. Prints one line per size with the unique clauses the
# encoder read, wall seconds, CPU seconds (user + system: what the run costs even when
# other work shares the cores), peak RSS and RSS per 1,000 unique clauses.
#
#   bash benches/bench_scale.sh [SIZES...]        # default: 10000 50000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/verbatim/target}"
cargo build --release -q
v="$CARGO_TARGET_DIR/release/verbatim"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 50000)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) threads, $(free -g | awk '/Mem:/{print $2}') GiB; verbatim $("$v" --version)"
printf "%8s %15s %10s %10s %12s %18s\n" comments unique_clauses seconds cpu_s peak_MB MB_per_1k_clauses
for n in "${sizes[@]}"; do
  python3 benches/gen_unique.py "$n" "$work/u$n.csv"
  /usr/bin/time -f "%e %M %U %S" -o "$work/time$n" "$v" -q run "$work/u$n.csv" --out "$work/out$n" \
    --cache-dir "$work/cache$n" >/dev/null
  read -r secs kb user sys < "$work/time$n"
  clauses=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['encode']['unique_texts'])" "$work/out$n/run.json")
  python3 -c "import sys; n,c,s,kb,u,y=sys.argv[1:]; mb=int(kb)/1024; print(f'{int(n):8d} {int(c):15d} {float(s):10.1f} {float(u)+float(y):10.1f} {mb:12.0f} {mb/int(c)*1000:18.1f}')" \
    "$n" "$clauses" "$secs" "$kb" "$user" "$sys"
  # Where the time went (run.json's stages): a stage growing faster than the clauses shows here.
  python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timings_seconds']; print('         stages:', ', '.join(f'{k} {v:.1f}' for k, v in sorted(t.items(), key=lambda kv: -kv[1]) if v >= 0.05))" "$work/out$n/run.json"
  echo "$n $clauses $secs $kb" >> "$work/results"
  rm -rf "$work/cache$n" "$work/out$n"
done
# Growth between consecutive sizes: what each extra 1,000 unique clauses cost.
python3 - "$work/results" <<'PY'
import sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
for (n0, c0, s0, k0), (n1, c1, s1, k1) in zip(rows, rows[1:]):
    d = (c1 - c0) / 1000
    print(f"{int(n0)} -> {int(n1)} comments: +{(k1 - k0) / 1024 / d:.1f} MB and +{(s1 - s0) / d:.1f} s per 1,000 extra unique clauses")
PY
