#!/usr/bin/env bash
# The whole test suite: the CLI's (cargo test) and the Python package's (pytest: annotate
# against the CLI's outputs, then Spark in local mode and Ray on one machine, each
# annotating the sample for `verbatim run` to finish). Run after scripts/setup.sh; the
# Python side installs what it needs (scripts/setup-python.sh --engines).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --release
bash scripts/setup-python.sh --engines
if ! command -v java >/dev/null 2>&1; then
  echo "Java is missing: PySpark needs Java 17 (apt-get install -y openjdk-17-jre-headless)" >&2
  exit 1
fi
"${VERBATIM_VENV:-.venv}/bin/python" -m pytest -q python/tests
