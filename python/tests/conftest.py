"""Shared fixtures: the repository, its models, the CLI binary, the bundled sample read as
text, and one direct `verbatim run` on the sample that every engine's result is compared with."""
import csv
import json
import os
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample_export.csv"
MODELS = ROOT / "models"
COMMENT = "What is the main reason for your score?"
#: The tables a run on annotated data must give exactly as a run on the export itself.
COMPARED = ("nps", "drivers", "responses")
#: responses.parquet's provenance: the file and row each response was read from (the
#: export's CSV line, or the annotated Parquet's row). Every other column must be equal.
PROVENANCE = ("source_file", "source_row")


def need(module: str, install: str):
    """The module, or a skip when it is missing; in CI (`CI` set) a missing module fails the
    test instead, since .ci/run installs everything the tests need."""
    if os.environ.get("CI"):
        try:
            return __import__(module)
        except ImportError as e:
            pytest.fail(f"{module} is missing in CI: {e}. Install it: {install}")
    return pytest.importorskip(module, reason=f"{module} is not installed ({install})")


def cli() -> Path:
    """The verbatim binary the setup built (VERBATIM_BIN overrides)."""
    if os.environ.get("VERBATIM_BIN"):
        return Path(os.environ["VERBATIM_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = target / "release" / "verbatim"
    if not binary.exists():
        pytest.fail(f"{binary} not found: build the CLI first (cargo build --release) or set VERBATIM_BIN")
    return binary


def run_cli(*args, check=True):
    """`verbatim ARGS` from the repository root (so models/ is found), no cache."""
    p = subprocess.run([str(cli()), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if check and p.returncode not in (0, 3):
        raise AssertionError(f"verbatim {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p


def read_sample() -> pa.Table:
    """The sample export as a survey tool gives it: every column text, empty cells empty."""
    with open(SAMPLE, newline="", encoding="utf-8") as f:
        names = next(csv.reader(f))
    return pacsv.read_csv(
        SAMPLE,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )


def tables(out: Path) -> dict:
    return {name: pq.read_table(out / f"{name}.parquet") for name in COMPARED}


def assert_same_tables(out: Path, direct: Path) -> None:
    """nps, drivers and responses of two runs are equal, column by column."""
    got, want = tables(out), tables(direct)
    for name in COMPARED:
        g, w = got[name], want[name]
        assert g.schema.names == w.schema.names, f"{name}.parquet columns differ: {g.schema.names} vs {w.schema.names}"
        assert g.num_rows == w.num_rows, f"{name}.parquet: {g.num_rows} rows vs {w.num_rows}"
        assert g.num_rows > 0, f"{name}.parquet is empty"
        for col in w.schema.names:
            if name == "responses" and col in PROVENANCE:
                continue
            assert g.column(col).equals(w.column(col)), f"{name}.parquet column {col} differs from the direct run's"


def encode_report(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())["encode"]


@pytest.fixture(scope="session")
def direct_run(tmp_path_factory) -> Path:
    """`verbatim run` on the export itself."""
    out = tmp_path_factory.mktemp("direct") / "out"
    run_cli("run", SAMPLE, "--out", out, "--no-cache", "-q")
    return out


@pytest.fixture(scope="session")
def sample() -> pa.Table:
    return read_sample()
