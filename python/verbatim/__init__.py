"""verbatim from Python: annotate comments (one machine, Spark, Ray), run the weekly analysis.

The expensive part of a run, encoding and classifying each comment, is a map over rows:
:func:`annotate` adds verbatim's annotation columns to a pyarrow table, a pyarrow record
batch or a polars DataFrame. ``verbatim.spark.annotate`` and ``verbatim.ray.annotate`` run
the same map on a Spark DataFrame or a Ray Dataset. Write the result as Parquet, and
``verbatim run`` on it (or :func:`run`) writes the weekly outputs without encoding again.

The models are those of the CLI: the ``models/`` directory the setup command writes (pass
``model_dir=`` or set ``VERBATIM_MODELS_DIR``). They load once per process; every later call
with the same options reuses them. Options are the long options of ``verbatim run`` with
``_`` for ``-`` (``threads=2``, ``precision="fp32"``, ``themes_model="models/x"``).

>>> import pyarrow as pa, verbatim
>>> t = pa.table({"score": [3, 10],
...               "comment": ["Trop cher et la box plante tout le temps", "Great support, quick answer"]})
>>> out = verbatim.annotate(t, comment_col="comment", model_dir="models")  # doctest: +SKIP
>>> out.column("verbatim_themes").to_pylist()  # doctest: +SKIP
[['price', 'product_quality'], ['support_wait', 'support_skill']]
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Union

import pyarrow as pa

from ._verbatim import ANNOTATION_COLUMNS, Annotator, __version__, run_command

__all__ = [
    "ANNOTATION_COLUMNS",
    "Annotator",
    "RunResult",
    "__version__",
    "annotate",
    "annotate_batch",
    "annotate_table",
    "check_columns",
    "annotator",
    "models_dir",
    "run",
]

#: The encoder directory inside a models directory.
ENCODER = "multilingual-e5-small"

_annotators: Dict[tuple, Annotator] = {}
_lock = threading.Lock()


def models_dir(model_dir: Optional[Union[str, os.PathLike]] = None) -> str:
    """The models directory: ``model_dir``, else ``$VERBATIM_MODELS_DIR``, else ``./models``."""
    d = Path(model_dir or os.environ.get("VERBATIM_MODELS_DIR") or "models").resolve()
    if not (d / ENCODER).is_dir():
        raise FileNotFoundError(
            f"{d} is not a verbatim models directory (it has no {ENCODER}/): pass model_dir= the models/ "
            "directory the setup command wrote (bash scripts/setup.sh), or set VERBATIM_MODELS_DIR. On a "
            "cluster, every worker needs it at the same path."
        )
    return str(d)


def _argv(command: str, inputs: Iterable[str], out: str, model_dir, options: Dict[str, Any]) -> list:
    """A ``verbatim COMMAND`` command line from keyword options (models resolved first)."""
    models = Path(models_dir(model_dir))
    opts = dict(options)
    opts.setdefault("model", str(models / ENCODER))
    opts.setdefault("sentiment_model", str(models / "sentiment-default"))
    themes_given = any(opts.get(k) is not None for k in ("themes_model", "taxonomy", "examples"))
    if not themes_given and (models / "themes-default" / "model.json").is_file():
        opts["themes_model"] = str(models / "themes-default")
    argv = ["verbatim", command, *[str(i) for i in inputs], "--out", str(out)]
    for key, value in opts.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            for v in value:
                argv += [flag, str(v)]
        else:
            argv += [flag, str(value)]
    return argv


def annotator(model_dir=None, quiet: bool = True, **options) -> Annotator:
    """The annotator of these models and options, made once per process and then reused.

    By default it keeps no embedding cache (``cache_dir="..."`` turns one on): on a cluster
    the comments of one worker are rarely seen again by the same worker.
    """
    if options.get("cache_dir") is None:
        options.setdefault("no_cache", True)
    argv = _argv("run", ["-"], "-", model_dir, options)
    key = (tuple(argv), quiet)
    with _lock:
        found = _annotators.get(key)
        if found is None:
            found = _annotators[key] = Annotator(argv, quiet)
        return found


def annotate_batch(ann: Annotator, batch: pa.RecordBatch, comment_col: str, quiet: bool = True) -> pa.RecordBatch:
    """One record batch with the annotation columns added (the batch's own columns untouched)."""
    notes = ann.annotate(batch.column(comment_col), quiet)
    return pa.RecordBatch.from_arrays(
        list(batch.columns) + list(notes.columns), names=list(batch.schema.names) + list(notes.schema.names)
    )


def annotate_table(ann: Annotator, table: pa.Table, comment_col: str, batch_size: Optional[int] = None,
                   quiet: bool = True) -> pa.Table:
    """A table with the annotation columns added, ``batch_size`` rows at a time (an empty
    table keeps its columns and gains the annotation columns)."""
    batches = [annotate_batch(ann, b, comment_col, quiet) for b in table.to_batches(max_chunksize=batch_size)]
    if not batches:
        empty = pa.RecordBatch.from_pylist([], schema=table.schema)
        batches = [annotate_batch(ann, empty, comment_col, quiet)]
    return pa.Table.from_batches(batches)


def check_columns(names, comment_col: str, id_col: Optional[str] = None) -> None:
    """The comment (and id) column exist and the data is not annotated yet."""
    if comment_col not in names:
        raise KeyError(f"no column '{comment_col}' to annotate; the columns are: {', '.join(names)}")
    if id_col is not None and id_col not in names:
        raise KeyError(f"no id column '{id_col}'; the columns are: {', '.join(names)}")
    already = [c for c in ANNOTATION_COLUMNS if c in names]
    if already:
        raise ValueError(
            f"the data is already annotated ({', '.join(already)}): drop the verbatim_ columns to annotate it again"
        )


def annotate(
    data,
    comment_col: str,
    id_col: Optional[str] = None,
    model_dir=None,
    batch_size: int = 4096,
    quiet: bool = True,
    **options,
):
    """``data`` with verbatim's annotation columns added, one row per row, in order.

    ``data``: a pyarrow Table or RecordBatch, or a polars DataFrame (returned as the same
    type). ``comment_col``: the free-text answers (nulls are rows without comment).
    ``id_col``: the response ids, checked to exist (the rows keep their order, so ids are
    never needed to join back). ``batch_size``: rows annotated per call (memory is bounded by
    it). Columns added (see ``verbatim.ANNOTATION_COLUMNS``): ``verbatim_language``,
    ``verbatim_sentiment``, ``verbatim_sentiment_score``, ``verbatim_themes``,
    ``verbatim_text`` (the comment as the models read it), ``verbatim_clauses`` and, per
    clause, ``verbatim_clause_sentiment``, ``verbatim_clause_themes``, then the comment's
    ``verbatim_embedding``, its clauses' ``verbatim_embeddings`` (read in the comment), its
    ``verbatim_attention`` scores and ``verbatim_model`` (the models' fingerprint). ``verbatim run`` on the result encodes
    nothing again.
    """
    is_polars = type(data).__module__.split(".")[0] == "polars"
    table = data.to_arrow() if is_polars else data
    if not isinstance(table, (pa.Table, pa.RecordBatch)):
        raise TypeError(f"annotate takes a pyarrow Table or RecordBatch or a polars DataFrame, not {type(data).__name__}")
    check_columns(table.schema.names, comment_col, id_col)
    ann = annotator(model_dir, quiet=quiet, **options)
    if isinstance(table, pa.RecordBatch):
        return annotate_batch(ann, table, comment_col, quiet)
    out = annotate_table(ann, table, comment_col, batch_size, quiet)
    if is_polars:
        import polars as pl

        return pl.from_arrow(out)
    return out


@dataclass
class RunResult:
    """What :func:`run` wrote: the output directory, its exit code and its tables."""

    out: Path
    exit_code: int
    tables: Dict[str, Any] = field(default_factory=dict)
    summary: Dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def report(self) -> Path:
        """report.html, the report people read."""
        return self.out / "report.html"


def run(inputs, out=None, model_dir=None, quiet: bool = False, as_polars: bool = False, **options) -> RunResult:
    """``verbatim run`` in this process: exports (or annotated Parquet) in, outputs written.

    ``inputs``: a path or a list of paths (an export, or a directory of Parquet parts
    written by Spark or Ray after :func:`annotate`). ``out``: the output directory (a new
    temporary one by default). Returns a :class:`RunResult` whose ``nps``, ``drivers``,
    ``responses`` (and the other Parquet tables) are pyarrow tables, or polars DataFrames with
    ``as_polars=True``; ``summary`` is summary.json. Errors raise RuntimeError (bad data:
    ValueError for bad options) with the CLI's message.
    """
    import pyarrow.parquet as pq

    paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="verbatim-run-"))
    code = run_command(_argv("run", [str(p) for p in paths], str(out), model_dir, options), quiet)
    tables = {}
    for f in sorted(out.glob("*.parquet")):
        t = pq.read_table(f)
        if as_polars:
            import polars as pl

            t = pl.from_arrow(t)
        tables[f.stem] = t
    summary_file = out / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    return RunResult(out=out, exit_code=code, tables=tables, summary=summary)
