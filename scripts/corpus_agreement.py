#!/usr/bin/env python3
"""How far a second, independent coder agrees with the corpus's codes.

  python3 scripts/corpus_agreement.py [data/corpus/coded.csv] [data/corpus/second_coding.csv]

The second file holds comments of the corpus (text, themes, sentiment, lang) coded again by
someone who read the coding rules (data/themes.toml, data/corpus/README.md) and never saw
the corpus's codes. Prints, per language: the micro-F1 of the two codings' themes (one
coding taken as the reference, the figure is symmetric), each theme's F1 with the count
coded by both, by the corpus only and by the second coder only, and the share of comments
given the same sentiment. docs/QUALITY.md reads them; realdev's two coders agree at 0.93
(themes) and 0.99 (sentiment) by its README.
"""
import csv
import sys
from collections import Counter


def themes(cell):
    return {t for t in cell.split(";") if t}


def main():
    corpus_path = sys.argv[1] if len(sys.argv) > 1 else "data/corpus/coded.csv"
    second_path = sys.argv[2] if len(sys.argv) > 2 else "data/corpus/second_coding.csv"
    corpus = {r["text"]: r for r in csv.DictReader(open(corpus_path, encoding="utf-8"))}
    second = list(csv.DictReader(open(second_path, encoding="utf-8")))
    missing = [r["text"] for r in second if r["text"] not in corpus]
    if missing:
        sys.exit(f"{len(missing)} comments of {second_path} are not in {corpus_path}, e.g. {missing[0][:80]!r}")
    for lang in sorted({r["lang"] for r in second}):
        rows = [r for r in second if r["lang"] == lang]
        both, corpus_only, second_only = Counter(), Counter(), Counter()
        same_sentiment = 0
        for r in rows:
            c = corpus[r["text"]]
            a, b = themes(c["themes"]), themes(r["themes"])
            both.update(a & b)
            corpus_only.update(a - b)
            second_only.update(b - a)
            same_sentiment += c["sentiment"] == r["sentiment"]
        tp, fa, fb = sum(both.values()), sum(corpus_only.values()), sum(second_only.values())
        print(
            f"{lang}: {len(rows)} comments, themes micro-F1 {2 * tp / (2 * tp + fa + fb):.3f} "
            f"({tp} codes in both, {fa} in the corpus only, {fb} in the second coding only), "
            f"same sentiment {same_sentiment / len(rows):.3f}"
        )
        for t in sorted(set(both) | set(corpus_only) | set(second_only)):
            f1 = 2 * both[t] / (2 * both[t] + corpus_only[t] + second_only[t])
            print(f"  {t:<22} F1 {f1:.3f}  both {both[t]:>3}  corpus only {corpus_only[t]:>3}  second only {second_only[t]:>3}")


if __name__ == "__main__":
    main()
