#!/usr/bin/env bash
# Reproduce docs/QUALITY.md's sentiment figures on ../shared/data/semeval2016 (development
# data, research-only licence: converted into a temporary directory, never into the repo).
#
#   bash scripts/quality_sentiment.sh [SEMEVAL_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
semeval="${1:-../shared/data/semeval2016}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
v() { cargo run --release -q -- -q "$@"; }
for lang in en fr; do
  python3 scripts/semeval_to_coded.py "$semeval/${lang}_restaurants_train.xml" "$work/${lang}_all.csv" >/dev/null
  # Sentences whose opinions all share one polarity.
  python3 - "$work/${lang}_all.csv" "$work/${lang}.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if r["sentiment"]]
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f); w.writerow(["text", "sentiment"]); w.writerows([r["text"], r["sentiment"]] for r in rows)
PY
  echo "== $lang: default head (models/sentiment-default)"
  v sentiment evaluate --labels "$work/$lang.csv"
  echo "== $lang: calibrated head, 5-fold cross-validation (your labels + base corpus)"
  v sentiment evaluate --labels "$work/$lang.csv" --cv 5
done
