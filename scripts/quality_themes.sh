#!/usr/bin/env bash
# Reproduce docs/QUALITY.md's theme figures on ../shared/data/semeval2016 (development data,
# research-only: converted into a temporary directory, never into the repo). SemEval's
# Slot 1 measure: micro-F1 over (sentence, category) pairs, 5-fold cross-validation.
#
#   bash scripts/quality_themes.sh [SEMEVAL_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
semeval="${1:-../shared/data/semeval2016}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
v() { cargo run --release -q -- -q "$@"; }
for lang in en fr; do
  python3 scripts/semeval_to_coded.py "$semeval/${lang}_restaurants_train.xml" "$work/$lang.csv" >/dev/null
  echo "== $lang: (a) learnt from examples, 5-fold cross-validation"
  v themes evaluate --examples "$work/$lang.csv" --folds 5
  other=$([ "$lang" = en ] && echo fr || echo en)
  python3 scripts/semeval_to_coded.py "$semeval/${other}_restaurants_train.xml" "$work/$other.csv" >/dev/null
  echo "== $lang: (a'') examples, with the $other examples added to every training part"
  v themes evaluate --examples "$work/$lang.csv" --also-train-on "$work/$other.csv" --folds 5 | head -1
  echo "== $lang: (a') examples + the category-name taxonomy"
  v themes evaluate --examples "$work/$lang.csv" --taxonomy docs/semeval_taxonomy.toml --folds 5 | head -1
  echo "== $lang: (b) zero-shot, taxonomy written from the category names alone"
  v themes evaluate --examples "$work/$lang.csv" --taxonomy docs/semeval_taxonomy.toml --zero-shot
done
