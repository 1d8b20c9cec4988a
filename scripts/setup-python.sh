#!/usr/bin/env bash
# The Python package: a virtual environment (.venv, or $VERBATIM_VENV) with verbatim built
# from python/ by `pip install ./python` (maturin, pyo3; the cargo target directory is the
# CLI's: ./target, or $CARGO_TARGET_DIR, so Polars is compiled once for both), plus pytest
# and polars. With --engines, also
# PySpark and Ray, for the scale-out tests (PySpark needs Java 17: apt-get install -y
# openjdk-17-jre-headless), and onnx and onnxruntime for scripts/build_models.py's tests.
#
#   bash scripts/setup-python.sh [--engines]
#   .venv/bin/python -c "import verbatim; print(verbatim.__version__)"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="${PYTHON:-python3}"
venv="${VERBATIM_VENV:-.venv}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
# The build backend (maturin) is run from the environment's bin/.
export PATH="$(cd "$venv" && pwd)/bin:$PATH"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" "maturin>=1.5,<2" "pyarrow>=14" "pytest>=7" "polars>=1"
echo "== building the Python package (python/, abi3 wheel for CPython >= 3.9)"
# The build backend (maturin) is installed above; building without isolation keeps the
# environment's CARGO_TARGET_DIR and needs no second download.
"${pip[@]}" --no-build-isolation --force-reinstall --no-deps ./python
if [ "${1:-}" = "--engines" ]; then
  echo "== installing PySpark and Ray (and onnx / onnxruntime for the graph builder's tests)"
  # pandas 3 is not supported by PySpark 4.3 yet (it warns); Ray takes either. onnx and
  # onnxruntime: the versions scripts/fetch-models.sh builds the models with.
  "${pip[@]}" "pyspark==4.3.0" "ray[data]==2.60.0" "pandas<3" "onnx==1.20.0" "onnxruntime==1.32.0"
fi
"$venv/bin/python" -c "import verbatim; print('verbatim', verbatim.__version__, 'for Python in', '$venv')"
