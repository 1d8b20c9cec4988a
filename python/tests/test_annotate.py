"""verbatim.annotate and verbatim.run against the CLI's own outputs on the bundled sample."""
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import verbatim
from conftest import COMMENT, MODELS, SAMPLE, assert_same_tables, encode_report, need, run_cli


@pytest.fixture(scope="module")
def annotated(sample):
    return verbatim.annotate(sample, comment_col=COMMENT, id_col="Response ID", model_dir=MODELS, batch_size=700)


def test_adds_the_annotation_columns_row_for_row(sample, annotated):
    assert annotated.num_rows == sample.num_rows
    assert annotated.schema.names == sample.schema.names + list(verbatim.ANNOTATION_COLUMNS)
    for name in sample.schema.names:
        assert annotated.column(name).equals(sample.column(name))
    models = set(annotated.column("verbatim_model").to_pylist())
    assert len(models) == 1 and models.pop().startswith("encoder=")


def test_annotations_are_what_the_cli_gives_each_response(annotated, direct_run):
    """Language, sentiment and themes of every accepted response equal responses.parquet's."""
    want = {r["response_id"]: r for r in pq.read_table(direct_run / "responses.parquet").to_pylist()}
    rows = annotated.select(
        ["Response ID", "verbatim_language", "verbatim_sentiment", "verbatim_sentiment_score", "verbatim_themes"]
    ).to_pylist()
    # A response id seen twice is kept once, the later row winning (as the run does).
    latest = {r["Response ID"]: r for r in rows}
    compared = 0
    for r in latest.values():
        w = want.get(r["Response ID"])
        if w is None or w["comment"] in (None, ""):
            continue
        compared += 1
        assert r["verbatim_language"] == w["language"], r["Response ID"]
        assert r["verbatim_sentiment"] == w["sentiment"], r["Response ID"]
        # responses.parquet rounds the score to 4 decimals.
        assert r["verbatim_sentiment_score"] == pytest.approx(w["sentiment_score"], abs=5.1e-5), r["Response ID"]
        assert r["verbatim_themes"] == list(w["themes"]), r["Response ID"]
    assert compared > 1000


def test_a_run_on_annotated_parquet_encodes_nothing_and_gives_the_same_tables(annotated, direct_run, tmp_path):
    pq.write_table(annotated, tmp_path / "annotated.parquet")
    out = tmp_path / "out"
    run_cli("run", tmp_path / "annotated.parquet", "--out", out, "--no-cache", "-q")
    enc = encode_report(out)
    assert enc["encoded"] == 0 and enc["from_annotations"] == enc["unique_texts"] > 0, enc
    assert_same_tables(out, direct_run)


def test_batches_do_not_change_annotations(sample, annotated):
    head = sample.slice(0, 300)
    one = verbatim.annotate(head, comment_col=COMMENT, model_dir=MODELS, batch_size=300)
    many = verbatim.annotate(head, comment_col=COMMENT, model_dir=MODELS, batch_size=7)
    assert one.equals(many)
    assert one.equals(annotated.slice(0, 300))


def test_the_model_loads_once_per_process():
    a = verbatim.annotator(MODELS)
    assert verbatim.annotator(MODELS) is a
    assert verbatim.annotator(MODELS, threads=1) is not a


def test_polars_in_polars_out(sample):
    pl = need("polars", "bash scripts/setup-python.sh")
    df = pl.from_arrow(sample.slice(0, 50))
    out = verbatim.annotate(df, comment_col=COMMENT, model_dir=MODELS)
    assert isinstance(out, pl.DataFrame)
    assert out.height == 50 and "verbatim_themes" in out.columns


def test_record_batch_in_record_batch_out(sample):
    batch = sample.slice(0, 20).to_batches()[0]
    out = verbatim.annotate(batch, comment_col=COMMENT, model_dir=MODELS)
    assert isinstance(out, pa.RecordBatch) and out.num_rows == 20


def test_clear_errors():
    t = pa.table({"comment": ["ok"], "score": [3]})
    with pytest.raises(KeyError, match="no column 'texte'"):
        verbatim.annotate(t, comment_col="texte", model_dir=MODELS)
    with pytest.raises(ValueError, match="not text"):
        verbatim.annotate(t, comment_col="score", model_dir=MODELS)
    done = verbatim.annotate(t, comment_col="comment", model_dir=MODELS)
    with pytest.raises(ValueError, match="already annotated"):
        verbatim.annotate(done, comment_col="comment", model_dir=MODELS)
    with pytest.raises(FileNotFoundError, match="models directory"):
        verbatim.annotate(t, comment_col="comment", model_dir="/nonexistent")
    with pytest.raises(ValueError, match="precision"):
        verbatim.annotate(t, comment_col="comment", model_dir=MODELS, precision="int4")


def test_annotations_of_other_models_are_refused(annotated, tmp_path):
    other = "encoder=000000000000000000000000 attention=-"
    i = annotated.schema.get_field_index("verbatim_model")
    forged = annotated.set_column(i, "verbatim_model", pa.array([other] * annotated.num_rows))
    pq.write_table(forged, tmp_path / "forged.parquet")
    p = run_cli("run", tmp_path / "forged.parquet", "--out", tmp_path / "out", "--no-cache", check=False)
    assert p.returncode == 2, p.stderr
    assert "another encoder" in p.stderr and "annotate the data again" in p.stderr, p.stderr


def test_run_from_python_returns_the_tables(direct_run, tmp_path):
    res = verbatim.run(SAMPLE, out=tmp_path / "out", model_dir=MODELS, quiet=True, no_cache=True)
    assert res.exit_code in (0, 3)
    for name in ("nps", "drivers", "responses"):
        assert res.tables[name].equals(pq.read_table(direct_run / f"{name}.parquet"))
    assert res.summary["nps"] is not None
    assert res.report.is_file()
