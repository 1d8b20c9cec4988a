#!/usr/bin/env python3
"""Checks that text written for the project does not copy or paraphrase a reference set.

The corpus (data/corpus/coded.csv) is written by the project; some data it is measured on
(../shared/data/realdev) must never be copied or paraphrased into it. This finds, for
every corpus comment, the reference comment with which it shares the largest part of its
rare word trigrams (accents, case, punctuation and @handles ignored; "rare": in at most
two texts of each side, so stock phrases such as "when I complained I was told" weigh
little), prints the closest pairs, and exits 1 when a pair reaches the limit: the comment
then reads as a paraphrase and must go.

    python3 scripts/audit_corpus.py ../shared/data/realdev/en.csv ../shared/data/realdev/fr.csv
    python3 scripts/audit_corpus.py --corpus FILE --top 30 REFERENCE.csv ...

Standard library only; every CSV needs a `text` column.
"""
import argparse
import collections
import csv
import re
import sys
import unicodedata


def words(text):
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"@\w+", " ", t)
    return re.findall(r"[a-z0-9]+", t)


def trigrams(text):
    w = words(text)
    return {" ".join(w[i : i + 3]) for i in range(len(w) - 2)}


def read_texts(path):
    with open(path, encoding="utf-8", newline="") as f:
        return [r["text"] for r in csv.DictReader(f)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reference", nargs="+", help="CSV files with a text column (what must not be copied)")
    ap.add_argument("--corpus", default="data/corpus/coded.csv")
    ap.add_argument("--top", type=int, default=15, help="closest pairs to print")
    ap.add_argument("--share", type=float, default=0.3, help="limit: part of the comment's trigrams that are rare and shared")
    ap.add_argument("--min-shared", type=int, default=3, help="limit: least number of rare shared trigrams")
    a = ap.parse_args()

    corpus = read_texts(a.corpus)
    ref = [t for p in a.reference for t in read_texts(p)]
    c_tri = [trigrams(t) for t in corpus]
    r_tri = [trigrams(t) for t in ref]
    c_df = collections.Counter(g for s in c_tri for g in s)
    r_df = collections.Counter(g for s in r_tri for g in s)
    index = collections.defaultdict(list)
    for j, s in enumerate(r_tri):
        for g in s:
            if r_df[g] <= 2:
                index[g].append(j)
    pairs = []
    for i, s in enumerate(c_tri):
        shared = collections.Counter(j for g in s if c_df[g] <= 2 for j in index.get(g, ()))
        if shared:
            j, n = shared.most_common(1)[0]
            pairs.append((n / max(len(s), 1), n, i, j))
    pairs.sort(reverse=True)
    bad = [p for p in pairs if p[0] >= a.share and p[1] >= a.min_shared]
    print(f"{len(corpus)} corpus comments against {len(ref)} reference comments: "
          f"{len(pairs)} share a rare trigram, {len(bad)} at the limit (share >= {a.share}, >= {a.min_shared} trigrams)")
    # Closest by share (short paraphrases), then by count (a long comment that reuses
    # several phrases of one reference comment): for a person to read.
    by_count = sorted(pairs, key=lambda p: (p[1], p[0]), reverse=True)
    for title, listing in (("by share", pairs), ("by number of shared trigrams", by_count)):
        print(f"-- closest {a.top} {title}")
        for share, n, i, j in listing[: a.top]:
            mark = "LIMIT" if share >= a.share and n >= a.min_shared else "     "
            print(f"{mark} share {share:.2f} ({n} trigrams)  corpus row {i + 2}: {corpus[i][:110]!r}")
            print(f"{'':5} {'':27} reference: {ref[j][:110]!r}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
