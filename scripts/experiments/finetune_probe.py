#!/usr/bin/env python3
"""Does fine-tuning the encoder on data/corpus move themes and sentiment on real comments?

An experiment (docs/QUALITY.md, "Fine-tuning the encoder"): one protocol for the frozen
encoder and fine-tuned ones, so that only the encoder differs.

  - train split: data/corpus/coded.csv minus a fixed 15 % (by hash of the text), which
    chooses the theme thresholds (each theme's F1 optimum, shrunk halfway to the shared one);
  - encoders (--variants): e5-small frozen; LoRA adapters (`loraR:EPOCHS:LR`: rank R on every
    linear layer of the 12 blocks) or all the encoder's layers (`full:EPOCHS:LR`), trained
    with a themes head (sigmoid) and a sentiment head (softmax) on the train split;
  - for each encoder, a fresh logistic head per theme and a softmax sentiment head on its
    mean-pooled, normalised "query: " embeddings of the train split, scored on the eval files
    as whole comments: themes micro-F1, sentiment accuracy. The eval files are only measured:
    nothing is trained on them;
  - --final VARIANT (or auto: the variant with the best themes F1 summed over the eval
    files): the same training on the whole corpus, written to OUT/adapter.safetensors.
    `scripts/build_models.py --adapter` merges such a file into the encoder's weights, so the
    whole pipeline can be trained and measured on it.

Needs torch, transformers, tokenizers, numpy; a GPU makes it minutes (benches/device/ has
how the encoder gets to a lent GPU machine: .device/e5-pruned.bin.xz is an E5S1 file).

  python3 scripts/experiments/finetune_probe.py --e5s1 e5.bin --tokenizer tokenizer.json \
      --corpus data/corpus/coded.csv --eval realdev/en.csv realdev/fr.csv --out OUT \
      [--variants frozen,lora16:6:5e-4] [--final auto]
"""
import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import build_models  # noqa: E402

SENT = ["negative", "neutral", "positive", "mixed"]


def read(path):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    return [
        (re.sub(r"@\w+", " ", r["text"]).strip(), [t for t in r["themes"].split(";") if t], r.get("sentiment", ""))
        for r in rows
        if r["text"].strip()
    ]


class LoRA(torch.nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.a = torch.nn.Parameter(torch.randn(r, base.in_features) * (1.0 / base.in_features) ** 0.5)
        self.b = torch.nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.a.t() @ self.b.t()) * self.scale


def read_encoder(e5s1):
    hdr, tensors = build_models.read_e5s1(open(e5s1, "rb").read())
    return hdr, build_models.hf_state_dict(hdr, tensors)


def load_encoder(hdr, sd, dev):
    from transformers import XLMRobertaConfig, XLMRobertaModel

    cfg = XLMRobertaConfig(
        hidden_size=hdr["H"], num_hidden_layers=hdr["NL"], num_attention_heads=hdr["NH"],
        intermediate_size=hdr["FF"], vocab_size=hdr["VOC"], max_position_embeddings=hdr["MAXP"] + 2,
        type_vocab_size=1, layer_norm_eps=hdr["eps"], hidden_act="gelu", pad_token_id=hdr["pad"],
        bos_token_id=hdr["bos"], eos_token_id=hdr["eos"])
    m = XLMRobertaModel(cfg, add_pooling_layer=False)
    missing, unexpected = m.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}, strict=False)
    missing = [k for k in missing if "position_ids" not in k]
    assert not missing, missing
    return m.to(dev)


def batches(ids, order, size):
    for s in range(0, len(order), size):
        yield order[s : s + size]


def pad(ids, idx, dev):
    T = max(len(ids[i]) for i in idx)
    x = torch.ones((len(idx), T), dtype=torch.long)
    m = torch.zeros((len(idx), T), dtype=torch.long)
    for r, i in enumerate(idx):
        x[r, : len(ids[i])] = torch.tensor(ids[i])
        m[r, : len(ids[i])] = 1
    return x.to(dev), m.to(dev)


def pool(model, x, m):
    h = model(input_ids=x, attention_mask=m).last_hidden_state
    mf = m.unsqueeze(-1).float()
    return torch.nn.functional.normalize((h * mf).sum(1) / mf.sum(1), dim=-1)


def embed(model, ids, dev):
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = torch.zeros((len(ids), model.config.hidden_size), device=dev)
    with torch.no_grad():
        for idx in batches(ids, order, 256):
            x, m = pad(ids, idx, dev)
            out[idx] = pool(model, x, m)
    return out


def targets(rows, themes):
    y = torch.zeros((len(rows), len(themes)))
    for i, (_, ts, _) in enumerate(rows):
        for t in ts:
            if t in themes:
                y[i, themes.index(t)] = 1
    return y


def sent_targets(rows):
    return torch.tensor([SENT.index(s) if s in SENT else 1 for _, _, s in rows])


def fit_heads(X, Y, S, dev, steps=400):
    """Logistic per theme and softmax sentiment on standardised embeddings (full batch Adam)."""
    mu, sd = X.mean(0), X.std(0) + 1e-6
    Z = (X - mu) / sd
    W = torch.zeros((X.shape[1], Y.shape[1]), device=dev, requires_grad=True)
    b = torch.zeros(Y.shape[1], device=dev, requires_grad=True)
    V = torch.zeros((X.shape[1], len(SENT)), device=dev, requires_grad=True)
    c = torch.zeros(len(SENT), device=dev, requires_grad=True)
    opt = torch.optim.Adam([W, b, V, c], lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(Z @ W + b, Y) + \
            torch.nn.functional.cross_entropy(Z @ V + c, S) + 1e-4 * ((W ** 2).sum() + (V ** 2).sum()) / 2
        loss.backward()
        opt.step()
    W, b, V, c = W.detach(), b.detach(), V.detach(), c.detach()
    return lambda E: (torch.sigmoid(((E - mu) / sd) @ W + b), torch.softmax(((E - mu) / sd) @ V + c, -1))


def best_threshold(p, y):
    best, bt = -1.0, 0.5
    for t in np.arange(0.05, 0.96, 0.05):
        pr = p >= t
        tp = (pr & y).sum()
        f = 2 * tp / max(pr.sum() + y.sum(), 1)
        if f > best:
            best, bt = f, t
    return bt


def thresholds(P, Y):
    P, Y = P.cpu().numpy(), Y.cpu().numpy().astype(bool)
    shared = best_threshold(P.ravel(), Y.ravel())
    return np.array([0.5 * best_threshold(P[:, t], Y[:, t]) + 0.5 * shared for t in range(P.shape[1])])


def micro_f1(P, Y, th):
    pr = P.cpu().numpy() >= th
    y = Y.cpu().numpy().astype(bool)
    tp = (pr & y).sum()
    return 2 * tp / max(pr.sum() + y.sum(), 1)


def finetune(model, ids, Y, S, dev, lora_rank, epochs, lr, seed):
    torch.manual_seed(seed)
    H = model.config.hidden_size
    if lora_rank:
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.encoder.layer:
            att, inter, out = layer.attention, layer.intermediate, layer.output
            for parent, name in ((att.self, "query"), (att.self, "key"), (att.self, "value"), (att.output, "dense"),
                                 (inter, "dense"), (out, "dense")):
                setattr(parent, name, LoRA(getattr(parent, name), lora_rank, 2 * lora_rank).to(dev))
    else:
        for p in model.embeddings.parameters():
            p.requires_grad_(False)
    head_t = torch.nn.Linear(H, Y.shape[1]).to(dev)
    head_s = torch.nn.Linear(H, len(SENT)).to(dev)
    params = [p for p in model.parameters() if p.requires_grad] + list(head_t.parameters()) + list(head_s.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    n = len(ids)
    steps = epochs * ((n + 31) // 32)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.06 * steps)) * max(0.0, 1 - s / steps))
    g = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=g).tolist()
        total = 0.0
        for idx in batches(ids, perm, 32):
            x, m = pad(ids, idx, dev)
            e = pool(model, x, m) * 20.0  # normalised embeddings are small: a fixed scale for the heads
            loss = torch.nn.functional.binary_cross_entropy_with_logits(head_t(e), Y[idx].to(dev)) + \
                torch.nn.functional.cross_entropy(head_s(e), S[idx].to(dev))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"    epoch {ep + 1}: loss {total / n:.4f}", flush=True)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e5s1", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--eval", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--variants", default="frozen,lora8:4:5e-4,lora16:6:5e-4,full:3:3e-5")
    ap.add_argument("--final", default="", help="a lora variant, or auto (the best on the eval files): also train it on the whole corpus and write adapter.safetensors")
    args = ap.parse_args()
    from tokenizers import Tokenizer

    dev = "cuda" if torch.cuda.is_available() else "cpu"
    tok = Tokenizer.from_file(args.tokenizer)

    def tokens(rows):
        return [e.ids[:511] + ([2] if len(e.ids) > 511 else []) for e in tok.encode_batch(["query: " + t for t, _, _ in rows])]

    corpus = read(args.corpus)
    themes = sorted({t for _, ts, _ in corpus for t in ts})
    hold = [int(hashlib.sha256(t.encode()).hexdigest(), 16) % 100 < 15 for t, _, _ in corpus]
    train = [r for r, h in zip(corpus, hold) if not h]
    held = [r for r, h in zip(corpus, hold) if h]
    evals = {os.path.basename(p): read(p) for p in args.eval}
    ids_tr, ids_ho = tokens(train), tokens(held)
    ids_ev = {k: tokens(v) for k, v in evals.items()}
    Ytr, Str, Yho = targets(train, themes), sent_targets(train), targets(held, themes)
    print(f"device {dev}; themes {themes}; train {len(train)}, held {len(held)}, eval {[len(v) for v in evals.values()]}")
    hdr, sd = read_encoder(args.e5s1)
    results = {}
    os.makedirs(args.out, exist_ok=True)
    for variant in args.variants.split(","):
        t0 = time.time()
        model = load_encoder(hdr, sd, dev)
        if variant != "frozen":
            kind, epochs, lr = variant.split(":")
            rank = int(kind[4:]) if kind.startswith("lora") else 0
            print(f"== {variant}: fine-tuning", flush=True)
            model = finetune(model, ids_tr, Ytr, Str, dev, rank, int(epochs), float(lr), 7)
        heads = fit_heads(embed(model, ids_tr, dev), Ytr.to(dev), Str.to(dev), dev)
        th = thresholds(heads(embed(model, ids_ho, dev))[0], Yho)
        res = {}
        for name, rows in evals.items():
            P, Q = heads(embed(model, ids_ev[name], dev))
            Y = targets(rows, themes)
            S = sent_targets(rows)
            res[name] = {"themes_micro_f1": round(float(micro_f1(P, Y, th)), 4),
                         "sentiment_acc": round(float((Q.argmax(-1).cpu() == S).float().mean()), 4)}
        res["seconds"] = round(time.time() - t0, 1)
        results[variant] = res
        print(f"== {variant}: {json.dumps(res)}", flush=True)
        if variant.startswith("lora"):
            save_adapter(model, variant, os.path.join(args.out, f"{variant.replace(':', '_')}.safetensors"), "85 % split")
        del model
        torch.cuda.empty_cache() if dev == "cuda" else None
    json.dump(results, open(os.path.join(args.out, "finetune_probe.json"), "w"), indent=1)
    if args.final:
        lora = [v for v in results if v.startswith("lora")]
        if args.final == "auto" and not lora:
            sys.exit("--final auto chooses among the lora variants: --variants names none")
        final = args.final if args.final != "auto" else max(
            lora, key=lambda v: sum(r["themes_micro_f1"] for k, r in results[v].items() if k != "seconds"))
        print(f"== final adapter: {final}, on the whole corpus ({len(corpus)} comments)", flush=True)
        kind, epochs, lr = final.split(":")
        ids_all = tokens(corpus)
        model = finetune(load_encoder(hdr, sd, dev), ids_all, targets(corpus, themes), sent_targets(corpus), dev,
                         int(kind[4:]), int(epochs), float(lr), 7)
        save_adapter(model, final, os.path.join(args.out, "adapter.safetensors"), "whole corpus")


def save_adapter(model, variant, path, data):
    """The LoRA matrices (f32 safetensors, `<linear>.lora_a` r x in, `.lora_b` out x r; the
    weight delta is scale * b @ a) and how they were trained."""
    sd = {}
    scale = None
    for name, mod in model.named_modules():
        if isinstance(mod, LoRA):
            sd[name + ".lora_a"] = mod.a.detach().float().cpu().numpy()
            sd[name + ".lora_b"] = mod.b.detach().float().cpu().numpy()
            scale = mod.scale
    meta = {"format": "verbatim-lora", "variant": variant, "scale": str(scale), "data": data,
            "torch": torch.__version__, "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"}
    build_models.write_safetensors(path, sd, metadata=meta)


if __name__ == "__main__":
    main()
