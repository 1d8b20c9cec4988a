"""scripts/build_models.py's adapter merge: W + scale * b @ a, from an F16 safetensors file,
and a clear refusal of a file that is not an adapter."""
import sys

import pytest

from conftest import ROOT, need

np = need("numpy", "pip install numpy (scripts/setup-python.sh --engines brings it)")
sys.path.insert(0, str(ROOT / "scripts"))
import build_models  # noqa: E402


def test_adapter_merges_into_the_named_weights(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3)).astype(np.float32)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(4, 2))
    path = tmp_path / "lora.safetensors"
    build_models.write_safetensors(
        path, {"l.q.lora_a": a, "l.q.lora_b": b}, metadata={"format": "verbatim-lora", "scale": "2.0"}, dtype="F16")
    sd = {"l.q.weight": w.copy(), "l.k.weight": w.copy()}
    assert build_models.apply_adapter(sd, path) == 1
    a16, b16 = a.astype(np.float16).astype(np.float64), b.astype(np.float16).astype(np.float64)
    np.testing.assert_allclose(sd["l.q.weight"], w + 2.0 * b16 @ a16, rtol=1e-6, atol=1e-6)
    assert sd["l.q.weight"].dtype == np.float32
    np.testing.assert_array_equal(sd["l.k.weight"], w)  # not adapted, untouched


def test_a_file_that_is_not_an_adapter_is_refused(tmp_path):
    path = tmp_path / "weights.safetensors"
    build_models.write_safetensors(path, {"l.q.weight": np.zeros((2, 2))})
    with pytest.raises(SystemExit, match="not a verbatim LoRA adapter"):
        build_models.apply_adapter({"l.q.weight": np.zeros((2, 2), np.float32)}, path)
