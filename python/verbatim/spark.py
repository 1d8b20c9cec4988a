"""verbatim on Apache Spark: annotate a DataFrame's comments on the executors.

``annotate(df, comment_col="comment")`` returns ``df`` with verbatim's annotation columns
added, through ``DataFrame.mapInArrow``: it runs unchanged on a local session, a cluster,
Databricks and Spark Connect. Each Python worker makes one annotator (the models load once,
lazily, on its first batch) and reuses it for every later batch and task. Write the result
as Parquet and run ``verbatim run`` on the directory: it finishes the job (NPS, drivers,
report) without encoding again.

Every executor needs the package (``pip install ./python``) and the models directory at the
same path (``model_dir=``, or ``VERBATIM_MODELS_DIR`` in the executors' environment).
"""
from __future__ import annotations

from typing import Iterator, Optional

import pyarrow as pa

import verbatim

def annotation_fields():
    """The annotation columns as Spark StructFields (verbatim.ANNOTATION_COLUMNS, in order).

    Built from the type classes, not parsed from DDL: that needs no JVM, as on Spark Connect.
    """
    from pyspark.sql.types import ArrayType, FloatType, StringType, StructField

    text, number = StringType(), FloatType()
    types = {
        "verbatim_language": text,
        "verbatim_sentiment": text,
        "verbatim_sentiment_score": number,
        "verbatim_themes": ArrayType(text),
        "verbatim_text": text,
        "verbatim_clauses": ArrayType(text),
        "verbatim_clause_sentiment": ArrayType(number),
        "verbatim_clause_themes": ArrayType(ArrayType(text)),
        "verbatim_embedding": ArrayType(number),
        "verbatim_embeddings": ArrayType(ArrayType(number)),
        "verbatim_attention": ArrayType(number),
        "verbatim_model": text,
    }
    assert list(types) == list(verbatim.ANNOTATION_COLUMNS), "the Spark types follow the package's columns"
    return [StructField(name, t, True) for name, t in types.items()]


def annotate(
    df,
    comment_col: str,
    model_dir: Optional[str] = None,
    batch_size: int = 1024,
    threads: Optional[int] = None,
    **options,
):
    """``df`` with the annotation columns added (lazily: nothing runs until an action).

    ``model_dir``: the models directory, resolved on the driver and used at that path on
    every executor. ``batch_size``: the most rows annotated at once (Spark's Arrow batches
    are cut to it, bounding a worker's memory). ``threads``: encoder threads per task
    (default ``spark.task.cpus``, 1 unless set). Other options are ``verbatim run``'s
    (``precision="fp32"``, ``themes_model=...``).
    """
    from pyspark.sql.types import StructType

    verbatim.check_columns(df.columns, comment_col)
    models = verbatim.models_dir(model_dir)
    if threads is None:
        try:
            threads = int(df.sparkSession.conf.get("spark.task.cpus", "1"))
        except Exception:  # Spark Connect sessions may not expose every conf
            threads = 1
    opts = dict(options, threads=threads)
    schema = StructType(list(df.schema.fields) + annotation_fields())

    def annotate_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ann = verbatim.annotator(models, **opts)
        for batch in batches:
            for start in range(0, batch.num_rows, batch_size):
                yield verbatim.annotate_batch(ann, batch.slice(start, batch_size), comment_col)

    return df.mapInArrow(annotate_partition, schema)
