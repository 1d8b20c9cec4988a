#!/usr/bin/env python3
"""An export of comments that never repeat, for the benchmarks (bench_unique.sh,
benches/device/): from CSVs with a `text` column (and `rating`, 1-5 stars, where the source
has one), write an export (id, date, score, comment; the score from the stars: 0 / 2 / 5 /
8 / 10, else 7) and a texts file, one comment per line. Whitespace is collapsed and empty
comments are left out.

  unique_export.py --export EXPORT.csv --texts TEXTS.txt CSV...
"""
import argparse
import csv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--export")
    ap.add_argument("--texts")
    ap.add_argument("csvs", nargs="+")
    args = ap.parse_args()
    texts, scores = [], []
    for p in args.csvs:
        for r in csv.DictReader(open(p, encoding="utf-8")):
            t = " ".join(r["text"].split())
            if t:
                texts.append(t)
                scores.append({"1": 0, "2": 2, "3": 5, "4": 8, "5": 10}.get(r.get("rating", ""), 7))
    if args.texts:
        with open(args.texts, "w", encoding="utf-8") as f:
            f.write("\n".join(texts) + "\n")
    if args.export:
        with open(args.export, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["id", "date", "score", "comment"])
            for i, (t, s) in enumerate(zip(texts, scores)):
                w.writerow([f"r{i}", f"2026-11-{1 + i % 20:02d}", s, t])
    print(f"comments: {len(texts)}, unique: {len(set(texts))}, mean length {sum(map(len, texts)) / len(texts):.0f} chars")


if __name__ == "__main__":
    main()
