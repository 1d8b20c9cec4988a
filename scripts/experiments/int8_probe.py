#!/usr/bin/env python3
"""Probe int8 encoder graphs against fp32 and onnxruntime's quantize_dynamic.

  python scripts/experiments/int8_probe.py --model models/multilingual-e5-small --texts FILE --out DIR

Measures the model directory's model-int8.onnx ("int8-default": the setup's, with the
calibrated scales of data/int8_calibration.json) and builds DIR/model-int8.onnx
("int8-token": every activation quantised per token, as 0.6.5's default was) and
DIR/model-dyn.onnx (onnxruntime.quantization.quantize_dynamic, per-channel), then for
each graph: texts/s (2 threads, batches of 32 sorted by length), mean and min cosine of
its embeddings to fp32, and the largest difference between a text's embedding encoded
alone and in its batch (batch invariance). With --matmul: the GMAC/s of one matmul of the
encoder's shape, fp32 against the integer kernels (what bounds int8 on this CPU).

With --static CALIB (a file of texts, one per line): also graphs with one fixed activation
scale per quantised input instead of one per token (issue 15 item 1's other way), the
scales calibrated on the fp32 graph over CALIB's texts: the largest |x| seen ("static-max")
and the 99th and 99.9th percentiles of the tokens' largest |x| ("static-p99",
"static-p999"; larger values are clipped); "static-ln": the 99.9th percentile for the
layer-norm outputs (the inputs of Q, K, V and of the first feed-forward layer) and a scale
per token for the others (attention context and GELU output).
"""
import argparse, os, sys, time
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import build_models as bm  # noqa: E402


def matmul_rates(threads):
    """GMAC/s of one encoder-shaped matmul (2048 x 384 x 1536): fp32 MatMul, MatMulInteger
    (u8 x s8) and MatMulIntegerToFloat, each alone in a graph."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    M, K, N = 2048, 384, 1536
    rng = np.random.default_rng(0)
    for kind in ["MatMul fp32", "MatMulInteger", "MatMulIntegerToFloat"]:
        ops = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
        if kind == "MatMul fp32":
            inits = [numpy_helper.from_array(rng.standard_normal((K, N)).astype(np.float32), "W")]
            nodes = [helper.make_node("MatMul", ["x", "W"], ["y"])]
            x_t, y_t = TensorProto.FLOAT, TensorProto.FLOAT
            x = rng.standard_normal((M, K)).astype(np.float32)
        else:
            inits = [numpy_helper.from_array(rng.integers(-127, 127, (K, N)).astype(np.int8), "W"),
                     numpy_helper.from_array(np.array(128, np.uint8), "zp")]
            x_t = TensorProto.UINT8
            x = rng.integers(0, 255, (M, K)).astype(np.uint8)
            if kind == "MatMulInteger":
                nodes = [helper.make_node("MatMulInteger", ["x", "W", "zp"], ["y"])]
                y_t = TensorProto.INT32
            else:
                inits += [numpy_helper.from_array(np.array(1.0, np.float32), "one"),
                          numpy_helper.from_array(np.ones(N, np.float32), "ws")]
                nodes = [helper.make_node("MatMulIntegerToFloat", ["x", "W", "one", "ws", "zp"], ["y"],
                                          domain="com.microsoft")]
                y_t = TensorProto.FLOAT
        g = helper.make_graph(nodes, "mm", [helper.make_tensor_value_info("x", x_t, [M, K])],
                              [helper.make_tensor_value_info("y", y_t, [M, N])], inits)
        m = helper.make_model(g, opset_imports=ops)
        m.ir_version = 8
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        sess.run(None, {"x": x})
        t = time.perf_counter()
        for _ in range(20):
            sess.run(None, {"x": x})
        dt = (time.perf_counter() - t) / 20
        print(f"{kind:22s} {dt * 1e3:6.2f} ms  {M * K * N / dt / 1e9:6.1f} GMAC/s", flush=True)


def read_tokens(path, tok):
    """The texts of `path` (one per line, with the `query: ` prefix) as token ids (at most
    512), and their order by length."""
    texts = ["query: " + t for t in open(path, encoding="utf-8").read().splitlines() if t.strip()]
    encs = [e.ids[:512] for e in tok.encode_batch(texts)]
    return encs, sorted(range(len(encs)), key=lambda i: len(encs[i]))


def padded(encs, idx):
    """input_ids (padded with 1) and attention_mask of the texts `idx`, right-padded."""
    T = max(len(encs[i]) for i in idx)
    ids = np.ones((len(idx), T), np.int64)
    mask = np.zeros((len(idx), T), np.int64)
    for r, i in enumerate(idx):
        ids[r, : len(encs[i])] = encs[i]
        mask[r, : len(encs[i])] = 1
    return ids, mask


def calibrate(args, cfg, sd):
    """Static activation scales: the fp32 graph, with the tensors the int8 graph quantises
    as extra outputs, run over the calibration texts (`build_models.activation_reader`); per
    input, each token's largest |x| (padding left out). With `--smooth`, also SmoothQuant
    variants (every input smoothed; a second pass reads the tokens' largest |x / s|).
    Returns (scales by graph name, smoothing factors by graph name)."""
    points = bm.static_inputs(cfg)
    names = sorted(set(points.values()))
    texts = [t for t in open(args.static, encoding="utf-8").read().splitlines() if t.strip()]
    batches, _ = bm.activation_reader(os.path.join(args.model, "model.onnx"),
                                      os.path.join(args.model, "tokenizer.json"), texts, names, args.threads)
    maxes = {n: [] for n in names}
    chans = {n: [] for n in names}
    for b in batches():
        for n in names:
            maxes[n].append(b[n].max(-1))
            chans[n].append(b[n].max(0, keepdims=True))
    tokens = {n: np.concatenate(v) for n, v in maxes.items()}
    print(f"calibrated on {len(texts)} texts, {len(tokens[names[0]])} tokens", flush=True)
    out = {
        name: {q: float(f(tokens[t])) / 127.0 for q, t in points.items()}
        for name, f in [("static-max", np.max), ("static-p999", lambda v: np.percentile(v, 99.9)),
                        ("static-p99", lambda v: np.percentile(v, 99))]
    }
    out["static-ln"] = {q: v for q, v in out["static-p999"].items() if q.endswith(("_qkv", "_gelu"))}
    if args.smooth is None:
        return out, {}
    # SmoothQuant: each channel's largest |x|, the factors, then the tokens' largest |x / s|.
    wmax = bm.smooth_weights(sd, cfg)
    cmax = {n: np.max(np.concatenate(v), axis=0) for n, v in chans.items()}
    smooths = {}
    for alpha in args.smooth:
        sm = {q: bm.smooth_factors(cmax[t], wmax[q], alpha) for q, t in points.items()}
        tok_max = {q: [] for q in points}
        for b in batches():
            for q, t in points.items():
                tok_max[q].append((b[t] / sm[q]).max(-1))
        for label, f in [("p999", lambda v: np.percentile(v, 99.9)), ("max", np.max)]:
            name = f"smooth{alpha:g}-{label}"
            out[name] = {q: float(f(np.concatenate(v))) / 127.0 for q, v in tok_max.items()}
            smooths[name] = sm
    return out, smooths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--texts", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--matmul", action="store_true", help="only the single-matmul rates")
    ap.add_argument("--static", metavar="CALIB", help="also static-scale graphs calibrated on these texts")
    ap.add_argument("--smooth", type=float, nargs="*", metavar="ALPHA",
                    help="with --static: also SmoothQuant graphs (per-channel factors max|x|^a / max|w|^(1-a) "
                    "moved into the weights, then one static scale per input), one pair per ALPHA")
    ap.add_argument("--fo-layers", help="with --static: also the setup's graph with a fixed scale (99.9th "
                    "percentile) for the GELU output of these layers (e.g. 3,6,7,8,9,10,11): int8-default-fo")
    ap.add_argument("--graphs", help="comma-separated names of the graphs to time (default: all); fp32 is "
                    "always run, as the cosine's reference")
    args = ap.parse_args()
    if args.matmul:
        return matmul_rates(args.threads)
    import json
    import onnxruntime as ort
    from tokenizers import Tokenizer

    os.makedirs(args.out, exist_ok=True)
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    sd = bm.read_safetensors(os.path.join(args.model, "model.safetensors"))
    i8 = os.path.join(args.out, "model-int8.onnx")
    if not os.path.exists(i8):
        bm.build_onnx(sd, cfg, i8, int8=True)
    dyn = os.path.join(args.out, "model-dyn.onnx")
    if not os.path.exists(dyn) and (not args.graphs or "int8-dynamic" in args.graphs.split(",")):
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(os.path.join(args.model, "model.onnx"), dyn, per_channel=True, weight_type=QuantType.QInt8)
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    graphs = [("fp32", os.path.join(args.model, "model.onnx")),
              ("int8-default", os.path.join(args.model, "model-int8.onnx")), ("int8-token", i8),
              ("int8-dynamic", dyn)]
    cal = bm.load_calibration(sd)
    if cal and (not args.graphs or "int8-071" in args.graphs.split(",")):
        # 0.7.1's int8 graph: the setup's scales, the per-token input multiplied by its
        # reciprocal scales in a pass of its own (build_onnx's token_rows=False)
        path = os.path.join(args.out, "model-071.onnx")
        bm.build_onnx(sd, cfg, path, int8=True, static_scales=cal[0], smooth=cal[1], token_rows=False)
        graphs.append(("int8-071", path))
    if args.static:
        scales_all, smooths = calibrate(args, cfg, sd)
        for name, scales in scales_all.items():
            if args.graphs and name not in args.graphs.split(","):
                continue
            path = os.path.join(args.out, f"model-{name}.onnx")
            bm.build_onnx(sd, cfg, path, int8=True, static_scales=scales, smooth=smooths.get(name))
            graphs.append((name, path))
        if args.fo_layers and cal:
            # the setup's graph with a fixed scale for the GELU output of these layers too
            extra = {f"l{L}_fo": scales_all["static-p999"][f"l{L}_fo"] for L in map(int, args.fo_layers.split(","))}
            path = os.path.join(args.out, "model-default-fo.onnx")
            bm.build_onnx(sd, cfg, path, int8=True, static_scales={**cal[0], **extra}, smooth=cal[1])
            graphs.append(("int8-default-fo", path))
    if args.graphs:
        keep = set(args.graphs.split(",")) | {"fp32"}
        graphs = [g for g in graphs if g[0] in keep]
    encs, order = read_tokens(args.texts, tok)

    def embed(sess, idxs):
        ids, mask = padded(encs, idxs)
        h = sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
        m = mask[:, :, None]
        e = (h * m).sum(1) / m.sum(1)
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    def all_embeddings(sess):
        out = np.zeros((len(encs), cfg["hidden_size"]), np.float32)
        for s in range(0, len(order), 32):
            idx = order[s : s + 32]
            out[idx] = embed(sess, idx)
        return out

    res = {}
    for name, path in graphs:
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        all_embeddings(sess) if len(encs) < 300 else [embed(sess, order[:32])]
        t = time.perf_counter()
        e = all_embeddings(sess)
        secs = time.perf_counter() - t
        # batch invariance: 40 texts alone vs within their batch
        worst = 0.0
        for s in range(0, min(len(order), 1280), 32):
            idx = order[s : s + 32]
            alone = embed(sess, [idx[-1]])[0]
            worst = max(worst, float(np.abs(alone - e[idx[-1]]).max()))
            alone = embed(sess, [idx[0]])[0]
            worst = max(worst, float(np.abs(alone - e[idx[0]]).max()))
        res[name] = e
        cos = (e * res["fp32"]).sum(1)
        print(f"{name:13s} {len(encs)/secs:7.1f} texts/s  cos to fp32 mean {cos.mean():.5f} min {cos.min():.5f}"
              f"  alone-vs-batch max |diff| {worst:.2e}", flush=True)


if __name__ == "__main__":
    main()
