# %% [markdown]
# # verbatim in a notebook, on the bundled sample
#
# Cells for Jupyter (with jupytext), VS Code or plain `python`: run from the repository root
# after `bash scripts/setup.sh` and `bash scripts/setup-python.sh`:
#
#     .venv/bin/python python/examples/sample_notebook.py
#
# The tests run this file (python/tests/test_examples.py), so it stays true.

# %%
import os
import tempfile

import polars as pl

import verbatim

MODELS = os.environ.get("VERBATIM_MODELS_DIR", "models")
SAMPLE = "data/sample_export.csv"
COMMENT = "What is the main reason for your score?"
SCORE = "How likely are you to recommend us to a friend or colleague?"

# %% [markdown]
# ## 1. Annotate the comments (what Spark or Ray workers do at scale)

# %%
export = pl.read_csv(SAMPLE, infer_schema=False)  # every column as text, as exported
annotated = verbatim.annotate(export, comment_col=COMMENT, id_col="Response ID", model_dir=MODELS)
print(annotated.select(COMMENT, "verbatim_sentiment", "verbatim_themes").head(5))

# %% [markdown]
# ## 2. What detractors talk about (a quick look; the run's drivers are the real ranking)

# %%
detractors = annotated.filter(pl.col(SCORE).cast(pl.Int32, strict=False) <= 6)
top = (
    detractors.select(pl.col("verbatim_themes").explode().alias("theme"))
    .drop_nulls()
    .group_by("theme")
    .len()
    .sort(["len", "theme"], descending=[True, False])
)
print(top.head(5))

# %% [markdown]
# ## 3. The weekly run, from the annotated data: nothing is encoded again

# %%
work = tempfile.mkdtemp(prefix="verbatim-notebook-")
annotated.write_parquet(f"{work}/annotated.parquet")
result = verbatim.run(f"{work}/annotated.parquet", out=f"{work}/out", model_dir=MODELS, quiet=True, as_polars=True)
overall = result.nps.filter((pl.col("period") == "all") & (pl.col("segment") == "all"))
print(f"NPS {overall['nps'][0]:+.1f} ± {overall['moe95'][0]:.1f} over {overall['n'][0]} responses")
drivers = result.drivers.filter((pl.col("period") == "all") & (pl.col("segment") == "all")).sort("impact")
print(drivers.select("theme", "label", "n_mentions", "impact", "impact_moe95", "q_value").head(3))
print(f"report: {result.report}")
