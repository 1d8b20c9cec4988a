#!/usr/bin/env bash
# One-command setup: build verbatim (release) and install the default models in models/.
# Needs: Rust stable (cargo), python3 with pip (used here only, never at run time).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "== building verbatim (release; the first build compiles Polars and takes a while)"
cargo build --release
echo "== installing models"
bash scripts/fetch-models.sh
echo "== training the default sentiment head (data/sentiment/, deterministic)"
cargo run --release -q -- sentiment train --out models/sentiment-default
echo "== done. Try: cargo run --release -q -- run data/sample_export.csv --out out/"
