"""Spark in local mode annotates the sample export; `verbatim run` on Spark's Parquet output
encodes nothing and writes the same tables as on the export itself."""
import os
import sys

import pytest

import verbatim
import verbatim.spark
from conftest import COMMENT, MODELS, SAMPLE, assert_same_tables, encode_report, need, run_cli

pyspark = need("pyspark", "bash scripts/setup-python.sh --engines")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Spark's Python workers must use this interpreter (the one with pyarrow and verbatim).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("verbatim-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # Small input splits: the 270 KB sample is read as several partitions, in order,
        # so that two tasks run at once and the output has several part files.
        .config("spark.sql.files.maxPartitionBytes", "65536")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
        .getOrCreate()
    )
    yield session
    session.stop()


def read_export(spark):
    return (
        spark.read.option("header", True)
        .option("escape", '"')
        .option("inferSchema", False)
        .csv(str(SAMPLE))
    )


def test_spark_annotates_and_run_finishes_without_encoding(spark, direct_run, tmp_path):
    df = read_export(spark)
    assert df.rdd.getNumPartitions() > 1
    annotated = verbatim.spark.annotate(df, comment_col=COMMENT, model_dir=str(MODELS), batch_size=300)
    assert annotated.columns == df.columns + list(verbatim.ANNOTATION_COLUMNS)
    parts = tmp_path / "annotated"
    annotated.write.parquet(str(parts))
    assert len(list(parts.glob("part-*.parquet"))) > 1
    out = tmp_path / "out"
    run_cli("run", parts, "--out", out, "--no-cache", "-q")
    enc = encode_report(out)
    assert enc["encoded"] == 0 and enc["from_annotations"] == enc["unique_texts"] > 0, enc
    assert_same_tables(out, direct_run)


def test_spark_refuses_a_missing_column(spark):
    with pytest.raises(KeyError, match="no column 'commentaire'"):
        verbatim.spark.annotate(read_export(spark), comment_col="commentaire", model_dir=str(MODELS))
