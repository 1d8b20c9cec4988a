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


def tiny_encoder(rng, H=16, NH=2, FF=64, layers=2, vocab=50):
    """A random encoder in the state-dict layout build_onnx reads (the shapes of e5-small,
    scaled down)."""
    w = lambda *shape: (rng.normal(size=shape) * 0.2).astype(np.float32)
    sd = {"embeddings.word_embeddings.weight": w(vocab, H), "embeddings.position_embeddings.weight": w(40, H),
          "embeddings.token_type_embeddings.weight": w(1, H),
          "embeddings.LayerNorm.weight": 1 + w(H), "embeddings.LayerNorm.bias": w(H)}
    for L in range(layers):
        p = f"encoder.layer.{L}."
        for name, (o, i) in {"attention.self.query": (H, H), "attention.self.key": (H, H),
                             "attention.self.value": (H, H), "attention.output.dense": (H, H),
                             "intermediate.dense": (FF, H), "output.dense": (H, FF)}.items():
            sd[p + name + ".weight"], sd[p + name + ".bias"] = w(o, i), w(o)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            sd[p + ln + ".weight"], sd[p + ln + ".bias"] = 1 + w(H), w(H)
    cfg = {"hidden_size": H, "num_attention_heads": NH, "intermediate_size": FF, "layer_norm_eps": 1e-5,
           "num_hidden_layers": layers}
    return sd, cfg


def test_int8_token_rows_quantise_as_the_reciprocal_pass_did_and_stay_batch_invariant(tmp_path):
    """0.7.2's int8 graph divides each token's row by its scale inside QuantizeLinear; 0.7.1's
    multiplied by the reciprocal first. Same scales, so the same embeddings up to a rounding
    flip; and a text alone gives what it gives in a padded batch."""
    need("onnx", "pip install onnx (scripts/setup-python.sh --engines brings it)")
    ort = need("onnxruntime", "pip install onnxruntime (scripts/setup-python.sh --engines brings it)")
    rng = np.random.default_rng(7)
    sd, cfg = tiny_encoder(rng)
    out = {}
    for rows in (True, False):
        path = tmp_path / f"rows-{rows}.onnx"
        build_models.build_onnx(sd, cfg, str(path), int8=True, token_rows=rows)
        so = ort.SessionOptions()
        so.log_severity_level = 3
        out[rows] = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    texts = [rng.integers(3, 50, size=n) for n in (5, 9, 12)]
    ids = np.ones((3, 12), np.int64)
    mask = np.zeros((3, 12), np.int64)
    for r, t in enumerate(texts):
        ids[r, :len(t)], mask[r, :len(t)] = t, 1
    run = lambda s, i, m: s.run(["sentence_embedding"], {"input_ids": i, "attention_mask": m})[0]
    new, old = run(out[True], ids, mask), run(out[False], ids, mask)
    assert (new * old).sum(1).min() > 0.999
    for r, t in enumerate(texts):
        alone = run(out[True], t[None, :].astype(np.int64), np.ones((1, len(t)), np.int64))[0]
        np.testing.assert_allclose(alone, new[r], atol=1e-6)
