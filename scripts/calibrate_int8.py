#!/usr/bin/env python3
"""Calibrate the int8 encoder's fixed activation scales: writes data/int8_calibration.json,
which scripts/build_models.py reads to write models/multilingual-e5-small/model-int8.onnx.

  ~/.cache/verbatim/setup-venv/bin/python scripts/calibrate_int8.py \\
      [--model models/multilingual-e5-small] [--examples data/corpus/coded.csv] [--n 1000] [--seed 1]

Run once per encoder (the file names the weights it fits by a checksum of their layers; a
build with other weights quantises every activation per token instead). The fp32 graph
reads `--n` comments of the project's corpus, drawn with `--seed`; build_models.calibrate_int8
says what is measured. Nothing here reads realdev or any data the project does not own.
"""
import argparse
import csv
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_models as bm  # noqa: E402


def corpus_sample(path, n, seed):
    """`n` comments of a coded CSV's text column, drawn with `seed`, line breaks as spaces."""
    with open(path, encoding="utf-8", newline="") as f:
        texts = [r["text"].replace("\n", " ") for r in csv.DictReader(f) if r["text"].strip()]
    random.Random(seed).shuffle(texts)
    return texts[:n]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="models/multilingual-e5-small")
    ap.add_argument("--examples", default="data/corpus/coded.csv")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--alpha", type=float, default=0.5, help="SmoothQuant's migration strength")
    ap.add_argument("--percentile", type=float, default=99.9, help="of the tokens' largest |x|: the clipping point")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=bm.CALIBRATION)
    args = ap.parse_args()

    texts = corpus_sample(args.examples, args.n, args.seed)
    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    sd = bm.read_safetensors(os.path.join(args.model, "model.safetensors"))
    scales, smooth, tokens = bm.calibrate_int8(
        sd, cfg, os.path.join(args.model, "model.onnx"), os.path.join(args.model, "tokenizer.json"), texts,
        threads=args.threads, alpha=args.alpha, percentile=args.percentile)
    cal = {
        "about": "Fixed activation scales of model-int8.onnx (scripts/calibrate_int8.py; scripts/build_models.py "
                 "reads them). scales: one per quantised input (x / scale is rounded to int8, larger values "
                 "clipped); smooth: SmoothQuant factors s per input channel (x / s is quantised, the weights' "
                 "input rows are multiplied by s). Inputs not named keep a scale per token.",
        "encoder": cfg["verbatim"]["source"],
        "layers_sha256": bm.layer_fingerprint(sd),
        "texts": {"file": os.path.relpath(args.examples), "n": len(texts), "seed": args.seed, "tokens": tokens},
        "alpha": args.alpha,
        "percentile": args.percentile,
        "scales": dict(sorted(scales.items())),
        "smooth": {k: [float(f"{x:.6g}") for x in v] for k, v in sorted(smooth.items())},
    }
    # One line per vector.
    text = re.sub(r"\[\n\s+([-+0-9.e,\s]+?)\n\s+\]", lambda m: "[" + re.sub(r",\n\s+", ", ", m.group(1)) + "]",
                  json.dumps(cal, indent=1))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"{args.out}: {len(scales)} static scales, {len(smooth)} smoothed inputs, from {len(texts)} comments "
          f"({tokens} tokens)")


if __name__ == "__main__":
    main()
