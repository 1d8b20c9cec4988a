#!/usr/bin/env python3
"""Write an NPS export of N comments that are all different, clause by clause.

The bundled sample repeats its comments (as real weekly exports of short answers do), so
the encoder's dedupe and cache hide how a run grows. This starts from the project's own
coded corpus (data/corpus/coded.csv, written for the project) and makes variant k of each
comment differ in every sentence: a typo in one word per sentence and, on some, a detail
("for 12 days", "depuis 3 semaines") - the kind of variation real comments have. Scores
follow the comment's coded sentiment. Deterministic (seeded).

    python3 benches/gen_unique.py 10000 /tmp/unique-10k.csv
"""
import csv
import datetime as dt
import random
import re
import sys

DETAILS = {
    "en": ["for {n} days", "since {n} weeks ago", "after {n} calls", "order {n}", "on day {n}", "x{n}"],
    "fr": ["depuis {n} jours", "après {n} appels", "commande {n}", "ça fait {n} semaines", "le {n}", "x{n}"],
}


def typo(rng, word):
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:  # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:  # double a letter
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1:]  # drop a letter


def variant(rng, text, lang, k):
    if k == 0:
        return text
    sentences = re.split(r"(?<=[.!?,;])\s+|\s+(?=(?:but|mais|however|cependant|though|alors que)\b)", text)
    out = []
    for s in sentences:
        words = s.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if candidates:
            i = rng.choice(candidates)
            words[i] = typo(rng, words[i])
        else:
            words.append(rng.choice(DETAILS[lang]).format(n=rng.randrange(2, 999)))
        if rng.random() < 0.3:
            words.append(rng.choice(DETAILS[lang]).format(n=rng.randrange(2, 999)))
        out.append(" ".join(words))
    return " ".join(out)


def main():
    n, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261126)
    corpus = list(csv.DictReader(open("data/corpus/coded.csv", encoding="utf-8")))
    scores = {"negative": range(0, 7), "mixed": range(4, 9), "neutral": range(6, 10), "positive": range(8, 11)}
    seen = set()
    start = dt.date(2026, 9, 7)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Response ID", "Date", "Score", "Comment", "Channel"])
        k = 0
        while len(seen) < n:
            for row in corpus:
                if len(seen) >= n:
                    break
                text = variant(rng, row["text"], row["lang"] if row["lang"] in DETAILS else "en", k)
                if text.lower() in seen:
                    continue
                seen.add(text.lower())
                day = start + dt.timedelta(days=rng.randrange(84))
                w.writerow([f"U{len(seen):06d}", day.isoformat(), rng.choice(scores[row["sentiment"]]), text,
                            rng.choice(["app", "web", "shop", "phone"])])
            k += 1


if __name__ == "__main__":
    main()
