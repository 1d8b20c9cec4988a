#!/usr/bin/env python3
"""Turn a SemEval-2016 Task 5 XML file into coded.csv (DESIGN.md): text, themes, sentiment.

For evaluation only: the SemEval licence forbids derivatives, so the output goes outside
the repository (never commit it, never train shipped weights on it).

    python3 scripts/semeval_to_coded.py ../shared/data/semeval2016/fr_restaurants_train.xml /tmp/fr_coded.csv

themes: the sentence's ENTITY#ATTRIBUTE categories, lower-cased with '#' -> '_', joined by ';'.
sentiment: the polarity when all the sentence's opinions share one, else empty (mixed or none).
"""
import csv
import sys
import xml.etree.ElementTree as ET


def main():
    src, dst = sys.argv[1], sys.argv[2]
    rows = []
    for s in ET.parse(src).iter("sentence"):
        text = (s.findtext("text") or "").strip()
        if not text:
            continue
        ops = s.find("Opinions")
        ops = list(ops) if ops is not None else []
        themes = sorted({o.get("category").lower().replace("#", "_") for o in ops})
        pols = {o.get("polarity") for o in ops}
        sentiment = pols.pop() if len(pols) == 1 else ""
        rows.append((text, ";".join(themes), sentiment))
    with open(dst, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "themes", "sentiment"])
        w.writerows(rows)
    print(f"{dst}: {len(rows)} sentences, {sum(1 for r in rows if r[2])} with one polarity")


if __name__ == "__main__":
    main()
