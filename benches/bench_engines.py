#!/usr/bin/env python3
"""Throughput of the per-comment work on each path, side by side in one run, on the same
cores and the same comments (all different: benches/gen_unique.py):

  1. cli     `verbatim run` on the export; the per-comment stages of its run.json (text,
             encode, sentiment, themes): the CLI's encoder, every core.
  2. python  verbatim.annotate in this process (threads = every core).
  3. spark   verbatim.spark.annotate on Spark local[N] (N tasks, 1 encoder thread each),
             written with the `noop` sink; first job (Python workers start, models load)
             and the same job again (workers and models reused).
  4. ray     verbatim.ray.annotate on a local Ray cluster, one actor taking every core;
             first job and again (Ray recreates the actor: the models load again).
  5. finish  `verbatim run` on the annotated Parquet (the driver-side step: no encoding),
             seconds per 1,000 comments.

Prints one line per path with comments/s and the ratio to the CLI, then the throughput
model for W workers. Run it on a quiet machine (nothing else on the cores):

    .venv/bin/python benches/bench_engines.py [N_COMMENTS]     # default 1000
"""
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python" / "tests"))
import verbatim  # noqa: E402
import verbatim.ray  # noqa: E402
import verbatim.spark  # noqa: E402

MODELS = ROOT / "models"
CORES = os.cpu_count() or 1


def binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/verbatim/target"))
    return Path(os.environ.get("VERBATIM_BIN", target / "release" / "verbatim"))


def read_text_table(path: Path) -> pa.Table:
    with open(path, newline="", encoding="utf-8") as f:
        names = next(csv.reader(f))
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False),
    )


def cli_run(inputs, out: Path) -> dict:
    subprocess.run(
        [str(binary()), "-q", "run", str(inputs), "--out", str(out), "--no-cache", "--threads", str(CORES)],
        cwd=ROOT,
        check=True,
    )
    return json.loads((out / "run.json").read_text())


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    work = Path(tempfile.mkdtemp(prefix="verbatim-engines-"))
    export = work / "export.csv"
    subprocess.run([sys.executable, str(ROOT / "benches" / "gen_unique.py"), str(n), str(export)], check=True)
    table = read_text_table(export)
    comment = next(c for c in table.schema.names if "comment" in c.lower() or "reason" in c.lower())
    rows = []

    # 1. The CLI.
    meta = cli_run(export, work / "cli")
    t = meta["timings_seconds"]
    cli_s = sum(t[k] for k in ("text", "encode", "sentiment", "themes"))
    clauses = meta["encode"]["unique_texts"]
    rows.append(("cli (verbatim run: text+encode+sentiment+themes)", cli_s, None))

    # 2. In-process Python.
    ann = verbatim.annotator(MODELS, threads=CORES)
    verbatim.annotate(table.slice(0, 8), comment_col=comment, model_dir=MODELS, threads=CORES)  # warm
    start = time.perf_counter()
    annotated = verbatim.annotate(table, comment_col=comment, model_dir=MODELS, threads=CORES, batch_size=1024)
    rows.append(("python (verbatim.annotate, in process)", time.perf_counter() - start, None))
    assert ann is verbatim.annotator(MODELS, threads=CORES)
    pq.write_table(annotated, work / "annotated.parquet")

    # 3. Spark local[CORES].
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{CORES}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.files.maxPartitionBytes", str(max(16384, export.stat().st_size // (4 * CORES))))
        .getOrCreate()
    )
    session_s = time.perf_counter() - t0
    df = spark.read.option("header", True).option("escape", '"').csv(str(export)).cache()
    df.count()
    for label in ("first job", "again"):
        start = time.perf_counter()
        verbatim.spark.annotate(df, comment_col=comment, model_dir=str(MODELS), threads=1).write.format("noop").mode(
            "overwrite"
        ).save()
        rows.append((f"spark local[{CORES}] ({label})", time.perf_counter() - start, None))
    spark.stop()

    # 4. Ray, one actor taking every core.
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=CORES, include_dashboard=False, log_to_driver=False)
    ray_start_s = time.perf_counter() - t0
    ds = ray.data.from_arrow(table).materialize()
    for label in ("first job", "again"):
        start = time.perf_counter()
        verbatim.ray.annotate(
            ds, comment_col=comment, model_dir=str(MODELS), concurrency=1, num_cpus=CORES, batch_size=1024
        ).materialize()
        rows.append((f"ray, 1 actor x {CORES} threads ({label})", time.perf_counter() - start, None))
    ray.shutdown()

    # 5. The driver-side finish on annotated data.
    start = time.perf_counter()
    fin = cli_run(work / "annotated.parquet", work / "finish")
    finish_s = time.perf_counter() - start
    assert fin["encode"]["encoded"] == 0

    cpu = platform.processor() or "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except Exception:
        pass
    print(f"machine: {cpu}, {CORES} cores; verbatim {verbatim.__version__}; {n} comments, {clauses} unique clauses")
    print(f"spark session start {session_s:.1f} s, ray init {ray_start_s:.1f} s (not counted below)")
    print(f"{'path':58s} {'seconds':>8s} {'comments/s':>11s} {'vs cli':>7s}")
    for label, secs, _ in rows:
        print(f"{label:58s} {secs:8.1f} {n / secs:11.1f} {cli_s / secs:7.2f}")
    per_1k = finish_s / n * 1000
    print(f"{'finish: verbatim run on the annotated Parquet':58s} {finish_s:8.1f} ({per_1k:.2f} s per 1,000 comments)")
    steady = [s for label, s, _ in rows if label.startswith("spark") and "again" in label][0]
    per_worker = n / steady / CORES  # comments/s of one core-worker
    print(
        f"model: W workers of {CORES} cores each annotate about {per_worker * CORES:.0f} x W comments/s; "
        f"the finish adds {per_1k:.2f} s per 1,000 comments on one machine, so it matters once "
        f"W > {1000 / (per_1k * per_worker * CORES):.0f} workers"
    )


if __name__ == "__main__":
    main()
