#!/usr/bin/env python3
"""Python baselines for benches/bench_encoder.sh, on the same weights as verbatim.

  --backend st   sentence-transformers (torch) on models/multilingual-e5-small
                 (model.safetensors + tokenizer.json), mean pooling, normalised
  --backend ort  onnxruntime on model.onnx, tokenizers, batches sorted by length
  --backend ort-int8
                 the same, on onnxruntime.quantization.quantize_dynamic(model.onnx, per_channel,
                 int8 weights): what a data scientist gets in one more line (activation scales
                 per batch, so an embedding depends on its batch); quantised before timing

Prints one JSON line like the Rust bench: texts, tokens, seconds, texts_per_s, tokens_per_s.
"""
import argparse
import json
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--backend", choices=["st", "ort", "ort-int8"], required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    texts = ["query: " + t for t in open(args.texts, encoding="utf-8").read().splitlines()]

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tokens = sum(min(len(e.ids), 512) for e in tok.encode_batch(texts))

    if args.backend == "st":
        import torch
        from sentence_transformers import SentenceTransformer, models

        torch.set_num_threads(args.threads)
        word = models.Transformer(args.model, max_seq_length=512)
        pool = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
        model = SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")
        model.encode(texts[:64], batch_size=args.batch)
        t = time.perf_counter()
        model.encode(texts, batch_size=args.batch, normalize_embeddings=True)
        secs = time.perf_counter() - t
        name = f"Python sentence-transformers (torch {torch.__version__}, {args.threads} threads, batch {args.batch})"
    else:
        import numpy as np
        import onnxruntime as ort

        graph = os.path.join(args.model, "model.onnx")
        if args.backend == "ort-int8":
            import tempfile
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = tempfile.mkdtemp()
            quantized = os.path.join(tmp, "model-dynamic-int8.onnx")
            quantize_dynamic(graph, quantized, per_channel=True, weight_type=QuantType.QInt8)
            graph = quantized
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(graph, so, providers=["CPUExecutionProvider"])
        out_name = "last_hidden_state"

        def run(batch_texts):
            encs = [e.ids[:511] + ([2] if len(e.ids) > 511 else []) for e in tok.encode_batch(batch_texts)]
            order = sorted(range(len(encs)), key=lambda i: len(encs[i]))
            for s in range(0, len(order), args.batch):
                idx = order[s : s + args.batch]
                T = max(len(encs[i]) for i in idx)
                ids = np.ones((len(idx), T), np.int64)
                mask = np.zeros((len(idx), T), np.int64)
                for r, i in enumerate(idx):
                    ids[r, : len(encs[i])] = encs[i]
                    mask[r, : len(encs[i])] = 1
                h = sess.run([out_name], {"input_ids": ids, "attention_mask": mask})[0]
                m = mask[:, :, None]
                e = (h * m).sum(1) / m.sum(1)
                e / np.linalg.norm(e, axis=1, keepdims=True)

        run(texts[:64])
        t = time.perf_counter()
        run(texts)
        secs = time.perf_counter() - t
        kind = "int8 quantize_dynamic per-channel" if args.backend == "ort-int8" else "fp32"
        name = f"Python onnxruntime {ort.__version__} {kind} ({args.threads} threads, batch {args.batch} sorted by length)"
    print(json.dumps({"impl": name, "texts": len(texts), "tokens": tokens, "seconds": round(secs, 3),
                      "texts_per_s": round(len(texts) / secs, 1), "tokens_per_s": round(tokens / secs)}))


if __name__ == "__main__":
    main()
