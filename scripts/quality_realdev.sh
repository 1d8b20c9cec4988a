#!/usr/bin/env bash
# The figures of docs/QUALITY.md "Real comments (realdev)": the default models (and zero-shot
# from the shipped taxonomy) measured on ../shared/data/realdev/{en,fr}.csv, real comments
# coded by hand. Nothing is trained on them.
#   bash scripts/quality_realdev.sh [REALDEV_DIR]        # about a minute once the setup has run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
realdev="${1:-../shared/data/realdev}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bin=(cargo run --release -q --)
for lang in en fr; do
  # The coded columns only (text, themes, sentiment), same rows, same order.
  python3 - "$realdev/$lang.csv" "$work/$lang.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["text", "themes", "sentiment"])
    for r in rows:
        w.writerow([r["text"], r["themes"], r["sentiment"]])
PY
  echo "=== $lang: themes, default model (models/themes-default), as a run assigns them"
  "${bin[@]}" themes evaluate --themes-model models/themes-default --examples "$work/$lang.csv" \
    --predictions "$work/$lang-pred.csv" -q
  echo "=== $lang: driver agreement (impacts from predicted vs coded themes)"
  python3 scripts/driver_agreement.py "$realdev/$lang.csv" "$work/$lang-pred.csv"
  echo "=== $lang: themes, zero-shot from data/themes.toml (no model)"
  "${bin[@]}" themes evaluate --zero-shot --taxonomy data/themes.toml --examples "$work/$lang.csv" -q | head -1
  echo "=== $lang: comment sentiment, default head, as a run gives it (mixed included)"
  "${bin[@]}" sentiment evaluate --comments --labels "$work/$lang.csv" -q
done
