#!/usr/bin/env python3
"""Compare two output directories of `verbatim run` file by file: every file must be
byte-identical, except run.json, compared without its timings (seconds per stage and the
encoder's seconds). Exit 1 on a difference. Used to show that a refactor changes no output:

    verbatim-old run data/sample_export.csv --out /tmp/a ; verbatim run ... --out /tmp/b
    python3 scripts/compare_outputs.py /tmp/a /tmp/b

With --any-version, two releases are compared: run.json and summary.json without the
`verbatim_version` that names the build (benches/bench_ab.sh).
"""
import json
import os
import sys


def without_version(path):
    v = json.load(open(path, encoding="utf-8"))
    v.pop("verbatim_version", None)
    return v


def without_timings(path, any_version=False):
    v = without_version(path) if any_version else json.load(open(path, encoding="utf-8"))
    v.pop("timings_seconds", None)
    enc = v.get("encode") or {}
    enc.pop("seconds", None)
    stats = enc.get("stats") or {}
    for k in [k for k in stats if "second" in k or k.endswith("_ms")]:
        stats.pop(k)
    return v


def main(a, b, any_version=False):
    names = sorted(set(os.listdir(a)) | set(os.listdir(b)))
    bad = 0
    for n in names:
        pa, pb = os.path.join(a, n), os.path.join(b, n)
        if not (os.path.isfile(pa) and os.path.isfile(pb)):
            print(f"ONLY IN ONE  {n}")
            bad += 1
            continue
        if n == "run.json":
            same = without_timings(pa, any_version) == without_timings(pb, any_version)
        elif n == "summary.json" and any_version:
            same = without_version(pa) == without_version(pb)
        else:
            same = open(pa, "rb").read() == open(pb, "rb").read()
        print(f"{'same' if same else 'DIFFERENT'}  {n}{' (timings aside)' if n == 'run.json' else ''}")
        bad += not same
    print(f"{len(names) - bad} same, {bad} different")
    return 1 if bad else 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--any-version"]
    sys.exit(main(args[0], args[1], any_version="--any-version" in sys.argv[1:]))
