#!/usr/bin/env python3
"""GPU baseline on the same weights as verbatim: PyTorch (transformers' XLMRobertaModel over
models/multilingual-e5-small's config.json and model.safetensors), mean pooling, normalised,
"query: " prefix, batches sorted by length, fp32 and fp16. What a data scientist with a GPU
would run instead of verbatim. Tokenisation is timed with the model, as in the CPU benches.

  python3 benches/encoder_gpu.py --model models/multilingual-e5-small --texts TEXTS.txt \
      [--repeat 20] [--batches 32,128,512]

Prints one JSON line per precision and batch size (texts, tokens, seconds, texts_per_s,
tokens_per_s), and fp16's cosine to fp32 on the texts.
"""
import argparse
import json
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--texts", required=True)
    ap.add_argument("--repeat", type=int, default=20, help="encode the texts this many times (a GPU needs work)")
    ap.add_argument("--batches", default="32,128,512")
    args = ap.parse_args()

    import torch
    from tokenizers import Tokenizer
    from transformers import XLMRobertaConfig, XLMRobertaModel

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    base = ["query: " + t for t in open(args.texts, encoding="utf-8").read().splitlines() if t.strip()]
    texts = base * args.repeat
    cfg = XLMRobertaConfig.from_pretrained(args.model)

    def load(dtype):
        return XLMRobertaModel.from_pretrained(args.model, config=cfg, add_pooling_layer=False, dtype=dtype).cuda().eval()
    name = torch.cuda.get_device_name()

    def encode(model, batch):
        t = time.perf_counter()
        encs = tok.encode_batch(texts)
        ids_all = [e.ids[:511] + ([2] if len(e.ids) > 511 else []) for e in encs]
        order = sorted(range(len(ids_all)), key=lambda i: len(ids_all[i]))
        tok_secs = time.perf_counter() - t
        out = [None] * len(ids_all)
        with torch.inference_mode():
            for s in range(0, len(order), batch):
                idx = order[s : s + batch]
                T = max(len(ids_all[i]) for i in idx)
                ids = torch.ones((len(idx), T), dtype=torch.long)
                mask = torch.zeros((len(idx), T), dtype=torch.long)
                for r, i in enumerate(idx):
                    ids[r, : len(ids_all[i])] = torch.tensor(ids_all[i])
                    mask[r, : len(ids_all[i])] = 1
                ids, mask = ids.cuda(non_blocking=True), mask.cuda(non_blocking=True)
                h = model(input_ids=ids, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).float()
                e = (h.float() * m).sum(1) / m.sum(1)
                e = torch.nn.functional.normalize(e, dim=-1)
                for r, i in enumerate(idx):
                    out[i] = e[r]
        torch.cuda.synchronize()
        return torch.stack(out), sum(len(x) for x in ids_all), tok_secs

    results = {}
    for dtype in (torch.float32, torch.float16):
        model = load(dtype)
        for batch in [int(b) for b in args.batches.split(",")]:
            encode(model, batch)  # warm-up: kernels, allocator
            t = time.perf_counter()
            emb, tokens, tok_secs = encode(model, batch)
            secs = time.perf_counter() - t
            results[(dtype, batch)] = emb
            print(json.dumps({"impl": f"PyTorch {torch.__version__} {str(dtype).split('.')[-1]} on {name}, batch {batch}",
                              "texts": len(texts), "tokens": tokens, "seconds": round(secs, 3), "tokenize_seconds": round(tok_secs, 3),
                              "texts_per_s": round(len(texts) / secs, 1), "tokens_per_s": round(tokens / secs)}), flush=True)
    b = int(args.batches.split(",")[0])
    cos = (results[(torch.float32, b)] * results[(torch.float16, b)]).sum(-1)
    print(json.dumps({"fp16_cosine_to_fp32": {"mean": round(cos.mean().item(), 6), "min": round(cos.min().item(), 6)}}))


if __name__ == "__main__":
    main()
