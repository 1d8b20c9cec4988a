"""verbatim on Ray Data: annotate a Dataset's comments with a pool of actors.

``annotate(ds, comment_col="comment")`` returns ``ds`` with verbatim's annotation columns
added, through ``Dataset.map_batches`` with an actor pool: each actor loads the models once
(in its constructor) and annotates every batch it is given. With ``num_gpus=1`` each actor
takes a GPU and the encoder runs on CUDA (``device="cuda"``; needs the package built with
the ``cuda`` feature and a CUDA build of ONNX Runtime). Write the result with
``write_parquet`` and run ``verbatim run`` on the directory.

Every node needs the package and the models directory at the same path.
"""
from __future__ import annotations

from typing import Optional

import pyarrow as pa

import verbatim


class Annotate:
    """The actor: one annotator, made when the actor starts, reused for every batch."""

    def __init__(self, comment_col: str, model_dir: str, options: dict):
        self.comment_col = comment_col
        self.annotator = verbatim.annotator(model_dir, **options)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return verbatim.annotate_table(self.annotator, batch, self.comment_col)


def annotate(
    ds,
    comment_col: str,
    model_dir: Optional[str] = None,
    batch_size: int = 1024,
    concurrency: int = 1,
    num_cpus: Optional[float] = None,
    num_gpus: float = 0,
    threads: Optional[int] = None,
    **options,
):
    """``ds`` with the annotation columns added (lazily, as Ray Data runs every map).

    ``concurrency``: actors in the pool. ``num_cpus`` / ``num_gpus``: what each actor
    reserves (with ``num_gpus`` > 0 the encoder runs on CUDA). ``threads``: encoder threads
    per actor (default: its ``num_cpus``, else 1). ``batch_size``: rows per batch.
    """
    verbatim.check_columns(ds.columns(), comment_col)
    models = verbatim.models_dir(model_dir)
    opts = dict(options)
    opts["threads"] = threads or max(1, int(num_cpus or 1))
    if num_gpus:
        opts.setdefault("device", "cuda")
    resources = {"num_gpus": num_gpus} if num_gpus else {}
    if num_cpus is not None:
        resources["num_cpus"] = num_cpus
    return ds.map_batches(
        Annotate,
        fn_constructor_kwargs={"comment_col": comment_col, "model_dir": models, "options": opts},
        batch_format="pyarrow",
        batch_size=batch_size,
        concurrency=concurrency,
        **resources,
    )
