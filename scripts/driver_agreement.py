#!/usr/bin/env python3
"""Driver agreement: theme impacts computed from predicted themes against those computed
from the themes coded by hand, on the same comments and scores (docs/QUALITY.md).

    python3 scripts/driver_agreement.py REALDEV.csv PREDICTIONS.csv [--json]

REALDEV.csv: ../shared/data/realdev/{en,fr}.csv (text, themes, sentiment, rating).
PREDICTIONS.csv: `verbatim themes evaluate --themes-model DIR --predictions FILE` on the same
rows, in the same order (text, themes, predicted).

Scores: the 1-5 star rating where the source has one (1 -> 0, 2 -> 2, 3 -> 5, 4 -> 8,
5 -> 10: one and two stars are detractors, four a passive, five a promoter); otherwise, for
tweets and comments without stars, the coded comment sentiment (negative 2, mixed 6,
neutral 7, positive 10). The same scores serve both rankings: only the themes differ.

Impact of a theme (docs/METRICS.md): NPS of all responses minus NPS of the responses that do
not mention it. Prints Spearman's rank correlation of the impacts over the leaf themes, and
the first three drivers (most negative impacts) of each ranking.
"""
import csv
import json
import sys

STARS = {"1": 0, "2": 2, "3": 5, "4": 8, "5": 10}
BY_SENTIMENT = {"negative": 2, "mixed": 6, "neutral": 7, "positive": 10}


def nps(scores):
    if not scores:
        return 0.0
    return 100.0 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def impacts(scores, themes, ids):
    total = nps(scores)
    return {t: total - nps([s for s, ts in zip(scores, themes) if t not in ts]) for t in ids}


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0 + 1
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va and vb else 0.0


def main(realdev, predictions, as_json=False):
    gold_rows = list(csv.DictReader(open(realdev, encoding="utf-8")))
    pred_rows = list(csv.DictReader(open(predictions, encoding="utf-8")))
    if len(gold_rows) != len(pred_rows):
        sys.exit(f"{predictions} has {len(pred_rows)} rows, {realdev} {len(gold_rows)}: same rows, same order")
    scores = [STARS.get(r["rating"].strip(), BY_SENTIMENT[r["sentiment"]]) for r in gold_rows]
    coded = [set(t for t in r["themes"].split(";") if t) for r in gold_rows]
    predicted = [set(t for t in r["predicted"].split(";") if t) for r in pred_rows]
    ids = sorted(set().union(*coded))
    by_hand, by_model = impacts(scores, coded, ids), impacts(scores, predicted, ids)
    rho = spearman([by_hand[t] for t in ids], [by_model[t] for t in ids])
    top = lambda imp: sorted(ids, key=lambda t: (imp[t], t))[:3]
    out = {
        "n": len(scores),
        "spearman": round(rho, 3),
        "top3_coded": top(by_hand),
        "top3_predicted": top(by_model),
        "same_top3_set": set(top(by_hand)) == set(top(by_model)),
        "same_top3_order": top(by_hand) == top(by_model),
        "impacts": {t: [round(by_hand[t], 1), round(by_model[t], 1)] for t in ids},
    }
    if as_json:
        print(json.dumps(out, indent=2))
        return
    print(f"n {out['n']}  Spearman {out['spearman']:.3f}  same first three: {out['same_top3_set']} (order: {out['same_top3_order']})")
    print(f"{'theme':<24} {'coded':>8} {'predicted':>10}")
    for t in sorted(ids, key=lambda t: (by_hand[t], t)):
        print(f"{t:<24} {by_hand[t]:>8.1f} {by_model[t]:>10.1f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--json" in sys.argv[3:])
