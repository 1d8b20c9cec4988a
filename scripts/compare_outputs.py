#!/usr/bin/env python3
"""Compare two output directories of `verbatim run` file by file: every file must be
byte-identical, except run.json, compared without its timings (seconds per stage and the
encoder's seconds). Exit 1 on a difference. Used to show that a refactor changes no output:

    verbatim-old run data/sample_export.csv --out /tmp/a ; verbatim run ... --out /tmp/b
    python3 scripts/compare_outputs.py /tmp/a /tmp/b
"""
import json
import os
import sys


def without_timings(path):
    v = json.load(open(path, encoding="utf-8"))
    v.pop("timings_seconds", None)
    enc = v.get("encode") or {}
    enc.pop("seconds", None)
    stats = enc.get("stats") or {}
    for k in [k for k in stats if "second" in k or k.endswith("_ms")]:
        stats.pop(k)
    return v


def main(a, b):
    names = sorted(set(os.listdir(a)) | set(os.listdir(b)))
    bad = 0
    for n in names:
        pa, pb = os.path.join(a, n), os.path.join(b, n)
        if not (os.path.isfile(pa) and os.path.isfile(pb)):
            print(f"ONLY IN ONE  {n}")
            bad += 1
            continue
        same = without_timings(pa) == without_timings(pb) if n == "run.json" else open(pa, "rb").read() == open(pb, "rb").read()
        print(f"{'same' if same else 'DIFFERENT'}  {n}{' (timings aside)' if n == 'run.json' else ''}")
        bad += not same
    print(f"{len(names) - bad} same, {bad} different")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
