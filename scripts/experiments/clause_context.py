#!/usr/bin/env python3
"""Issue 15 item 2: one encoder pass per comment, each clause's vector read from the
comment's token states, against today's one pass per clause. Quality on coded comments
(realdev), with the default models as they are.

  1. `verbatim.annotate` (the Python package) annotates the coded comments as a run does:
     clauses, each clause's embedding and token-attention scores, one pass per clause;
  2. the same clauses joined into one text per comment ("query: " + clauses joined by a
     space) go through the same int8 graph once; a clause's embedding is the normalised
     mean of the last hidden states over its own tokens, its attention scores are the
     themes model's attention head over its tokens' layer-mean states;
  3. `verbatim run` on each annotated table (it recomputes sentiment and themes from the
     annotations with the run's own heads); each response's themes and sentiment are scored
     against the coded ones (themes micro-F1, sentiment accuracy), with the cosine of each
     clause's two embeddings and the tokens each way encodes.

  [DUMP=DIR] .venv/bin/python scripts/experiments/clause_context.py ../shared/data/realdev/en.csv ...
  (DUMP: also write the texts each way encodes, DIR/NAME-clauses.txt and NAME-comments.txt,
  for `cargo bench --bench encoder -- --texts FILE`)
  (needs the package, onnxruntime and tokenizers in .venv: pip install onnxruntime tokenizers)
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer

import verbatim

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
BIN = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/verbatim/target")) / "release" / "verbatim"


def attention_scores(head, states):
    """TokenAttention::scores (src/themes/attention.rs) over `states` (tokens x dim)."""
    q, o, w, b = (np.asarray(head[k], np.float64) for k in ("query", "output", "mean_weights", "bias"))
    x = states.astype(np.float64)
    a = x @ q.T  # tokens x themes
    p = np.exp(a - a.max(0))
    p /= p.sum(0)
    s = b + w @ x.mean(0) + (p * (x @ o.T)).sum(0)
    return (1 / (1 + np.exp(-s))).astype(np.float32)


def in_context(table, tok, sess, head):
    """Per row: the clause embeddings and attention scores read from one pass over the
    comment, and the tokens that pass encodes."""
    embs, atts, tokens = [], [], 0
    for clauses in table.column("verbatim_clauses").to_pylist():
        if not clauses:
            embs.append(None)
            atts.append(None)
            continue
        prefix = "query: "
        text, spans = prefix, []
        for c in clauses:
            spans.append((len(text), len(text) + len(c)))
            text += c + " "
        text = text[:-1]
        enc = tok.encode(text)
        ids = enc.ids[:512]
        tokens += len(ids)
        out = sess.run(["last_hidden_state", "layer_mean_states"],
                       {"input_ids": np.array([ids], np.int64), "attention_mask": np.ones((1, len(ids)), np.int64)})
        h, m = out[0][0], out[1][0]
        e_row, a_row = [], []
        for s, t in spans:
            idx = [i for i, (a, b) in enumerate(enc.offsets[: len(ids)]) if b > a and s <= a < t]
            if not idx:  # truncated away: the clause alone
                idx = [len(ids) - 1]
            v = h[idx].astype(np.float64).mean(0)
            e_row.append((v / max(np.linalg.norm(v), 1e-12)).astype(np.float32).tolist())
            a_row.append(attention_scores(head, m[idx]).tolist())
        embs.append(e_row)
        atts.append(a_row)
    return embs, atts, tokens


def run(table, work, name):
    path = work / f"{name}.parquet"
    pq.write_table(table, path)
    out = work / name
    subprocess.run([str(BIN), "-q", "run", str(path), "--out", str(out), "--comment-col", "comment",
                    "--score-col", "score", "--no-cache"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    encode = json.load(open(out / "run.json"))["encode"]
    # The run re-splits each comment and reads its clauses' vectors from the annotations:
    # none may have been encoded again.
    assert encode["encoded"] == 0, f"{name}: the run encoded {encode['encoded']} clauses itself"
    return pq.read_table(out / "responses.parquet").to_pylist()


def score(rows, gold):
    tp = fp = fn = ok = 0
    for r, (themes, sent) in zip(rows, gold):
        p = set(r["themes"] or [])
        tp += len(p & themes)
        fp += len(p - themes)
        fn += len(themes - p)
        ok += (r["sentiment"] or "neutral") == sent
    return {"themes_micro_f1": round(2 * tp / max(2 * tp + fp + fn, 1), 3), "sentiment_accuracy": round(ok / len(gold), 3)}


def main():
    tok = Tokenizer.from_file(str(MODELS / "multilingual-e5-small" / "tokenizer.json"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(MODELS / "multilingual-e5-small" / "model-int8.onnx"), so)
    head = json.load(open(MODELS / "themes-default" / "model.json"))["attention"]["head"]
    results = {}
    for path in sys.argv[1:]:
        rows = list(csv.DictReader(open(path, encoding="utf-8")))
        gold = [(set(t for t in r["themes"].split(";") if t), r["sentiment"]) for r in rows]
        stars = {"1": 0, "2": 2, "3": 5, "4": 8, "5": 10}
        table = pa.table({"id": [r["id"] for r in rows], "comment": [r["text"] for r in rows],
                          "score": [stars.get(r.get("rating", ""), 7) for r in rows]})
        ann = verbatim.annotate(table, comment_col="comment", model_dir=str(MODELS))
        clauses = ann.column("verbatim_clauses").to_pylist()
        embs, atts, tokens = in_context(ann, tok, sess, head)
        base = ann.column("verbatim_embeddings").to_pylist()
        cos = [float(np.dot(a, b)) for ra, rb in zip(base, embs) if ra for a, b in zip(ra, rb)]
        def replaced(t, columns):
            for name, values in columns.items():
                i = t.schema.get_field_index(name)
                t = t.set_column(i, name, pa.array(values, t.schema.field(name).type))
            return t

        ctx = replaced(ann, {"verbatim_embeddings": embs, "verbatim_attention": atts})
        clause_tokens = sum(len(tok.encode("query: " + c).ids) for cs in clauses if cs for c in cs)
        if os.environ.get("DUMP"):  # the texts each way encodes, for benches/encoder.rs (--texts)
            name = Path(path).stem
            Path(os.environ["DUMP"], f"{name}-clauses.txt").write_text("\n".join(c for cs in clauses if cs for c in cs) + "\n")
            Path(os.environ["DUMP"], f"{name}-comments.txt").write_text("\n".join(" ".join(cs) for cs in clauses if cs) + "\n")
        with tempfile.TemporaryDirectory() as d:
            work = Path(d)
            res = {"comments": len(rows), "clauses": sum(len(c or []) for c in clauses),
                   "tokens_per_clause_pass": clause_tokens, "tokens_one_pass": tokens,
                   "cosine_to_clause_pass": {"mean": round(float(np.mean(cos)), 4), "min": round(float(np.min(cos)), 4)},
                   "one_pass_per_clause": score(run(ann, work, "clauses"), gold),
                   "one_pass_per_comment": score(run(ctx, work, "context"), gold)}
        results[os.path.basename(path)] = res
        print(json.dumps({os.path.basename(path): res}), flush=True)


if __name__ == "__main__":
    main()
