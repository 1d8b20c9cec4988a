"""Ray Data (a local cluster of 2 CPUs, an actor pool of one) annotates the sample export;
`verbatim run` on Ray's Parquet output encodes nothing and writes the same tables as on the
export itself."""
import pytest

import verbatim
import verbatim.ray
from conftest import COMMENT, MODELS, assert_same_tables, encode_report, need, run_cli

ray = need("ray", "bash scripts/setup-python.sh --engines")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # Rows keep their order through the map (the run reads the parts in name order).
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    yield
    ray.shutdown()


def test_ray_annotates_and_run_finishes_without_encoding(cluster, sample, direct_run, tmp_path):
    ds = ray.data.from_arrow(sample)
    # One actor taking both CPUs: on 2 cores a pool that takes every CPU beside the
    # dataset's own tasks hangs (../shared/ENGINES.md).
    annotated = verbatim.ray.annotate(ds, comment_col=COMMENT, model_dir=str(MODELS), concurrency=1, num_cpus=2, batch_size=500)
    parts = tmp_path / "annotated"
    annotated.write_parquet(str(parts))
    out = tmp_path / "out"
    run_cli("run", parts, "--out", out, "--no-cache", "-q")
    enc = encode_report(out)
    assert enc["encoded"] == 0 and enc["from_annotations"] == enc["unique_texts"] > 0, enc
    assert_same_tables(out, direct_run)
