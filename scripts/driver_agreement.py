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
the first three drivers (most negative impacts) of each ranking. Then, for each ranking, each
impact's 95 % margin and the tiers of the report (docs/METRICS.md "Too close to rank";
written again here, apart from the Rust code): the costly themes a report would call too
close to rank apart from one of its first three.
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


def points(s):
    return 100.0 if s >= 9 else 0.0 if s >= 7 else -100.0


def without_influence(scores, mentions):
    """(NPS of the responses not mentioning, each response's influence on it x n)."""
    rest = [points(s) for s, m in zip(scores, mentions) if not m]
    if not rest:
        return None
    mean0, r = sum(rest) / len(rest), len(scores) / len(rest)
    return mean0, [0.0 if m else r * (points(s) - mean0) for s, m in zip(scores, mentions)]


def impact_moe95(scores, mentions):
    w = without_influence(scores, mentions)
    if w is None:
        return None
    mu = sum(points(s) for s in scores) / len(scores)
    ss = sum((points(s) - mu - x) ** 2 for s, x in zip(scores, w[1]))
    return 1.96 * ss**0.5 / len(scores)


def tiers(scores, masks):
    """Tier of each theme, most costly first: a theme joins the tier before it unless its
    difference from that tier's first theme is outside the difference's 95 % margin."""
    out, first = [], 0
    for k, m in enumerate(masks):
        apart = k == 0
        if k > 0:
            a, b = without_influence(scores, m), without_influence(scores, masks[first])
            if a is None or b is None:
                apart = True
            else:
                d = b[0] - a[0]
                moe = 1.96 * sum((y - x) ** 2 for x, y in zip(a[1], b[1])) ** 0.5 / len(scores)
                apart = abs(d) > moe
            if apart:
                first = k
        out.append(0 if k == 0 else out[-1] + 1 if apart else out[-1])
    return out


def report_view(scores, themes, ids, imp):
    """The report's ranking: themes with at least 10 mentions by impact, their margins and
    tiers, and the costly themes sharing a tier with one of the first three."""
    ranked = sorted((t for t in ids if sum(t in ts for ts in themes) >= 10), key=lambda t: (imp[t], t))
    masks = [[t in ts for ts in themes] for t in ranked]
    tier = dict(zip(ranked, tiers(scores, masks)))
    moe = {t: impact_moe95(scores, m) for t, m in zip(ranked, masks)}
    costing = [t for t in ranked if imp[t] < 0]
    first = {tier[t] for t in costing[:3]}
    tied = [t for t in costing if tier[t] in first and sum(tier[u] == tier[t] for u in costing) > 1]
    return moe, tier, tied


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
    views = {"coded": report_view(scores, coded, ids, by_hand), "predicted": report_view(scores, predicted, ids, by_model)}
    for name, (moe, tier, tied) in views.items():
        out[f"margins_{name}"] = {t: round(m, 1) for t, m in moe.items() if m is not None}
        out[f"tiers_{name}"] = tier
        out[f"too_close_to_rank_{name}"] = tied
    if as_json:
        print(json.dumps(out, indent=2))
        return
    print(f"n {out['n']}  Spearman {out['spearman']:.3f}  same first three: {out['same_top3_set']} (order: {out['same_top3_order']})")
    print(f"{'theme':<24} {'coded':>8} {'± ':>5} {'tier':>4} {'predicted':>10} {'± ':>5} {'tier':>4}")
    (mc, tc, _), (mp, tp, _) = views["coded"], views["predicted"]
    cell = lambda d, t, f: "-" if d.get(t) is None else format(d[t], f)
    for t in sorted(ids, key=lambda t: (by_hand[t], t)):
        print(
            f"{t:<24} {by_hand[t]:>8.1f} {cell(mc, t, '.1f'):>5} {cell(tc, t, 'd'):>4}"
            f" {by_model[t]:>10.1f} {cell(mp, t, '.1f'):>5} {cell(tp, t, 'd'):>4}"
        )
    for name in views:
        tied = out[f"too_close_to_rank_{name}"]
        print(f"too close to rank apart ({name} themes): {', '.join(tied) if tied else 'none'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--json" in sys.argv[3:])
