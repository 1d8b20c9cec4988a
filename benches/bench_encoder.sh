#!/usr/bin/env bash
# Side by side, in one run, on the same weights (models/multilingual-e5-small) and the same
# 5,000 realistic comments (French and English, short and long, with the repetitions of a
# real export):
#   1. verbatim's raw encoder (Rust, ort)          -> cargo bench --bench encoder
#   2. Python onnxruntime (batches sorted by length)
#   3. Python sentence-transformers (torch)
#   4. verbatim's whole text stage (`verbatim run`: normalise, clauses, dedupe, encode)
# The Python side lives in a venv under ~/.cache/verbatim/bench-venv (created on first use).
#
#   bash benches/bench_encoder.sh [N_COMMENTS] [THREADS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n="${1:-5000}"
threads="${2:-$(nproc)}"
model="models/multilingual-e5-small"
venv="${VERBATIM_CACHE_DIR:-$HOME/.cache/verbatim}/bench-venv"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -f "$model/model.onnx" ] || { echo "run scripts/setup.sh first" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sentence_transformers, onnxruntime' 2>/dev/null; then
  echo "creating $venv (sentence-transformers, torch, onnxruntime)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "sentence-transformers==5.1.2" onnxruntime==1.32.0
fi

# The comments: the sample generator with another seed, non-empty comments only.
python3 scripts/gen_sample.py --rows $((n * 2)) --seed 7 --no-bad-rows --out "$work/export_all.csv" >/dev/null
python3 - "$work" "$n" <<'PY'
import csv, sys
work, n = sys.argv[1], int(sys.argv[2])
rows = [r for r in csv.DictReader(open(f"{work}/export_all.csv", encoding="utf-8"))
        if r["What is the main reason for your score?"].strip()][:n]
with open(f"{work}/texts.txt", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(r["What is the main reason for your score?"].replace("\n", " ") + "\n")
with open(f"{work}/export.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader(); w.writerows(rows)
texts = [r["What is the main reason for your score?"] for r in rows]
print(f"comments: {len(texts)}, unique: {len(set(texts))}, mean length {sum(map(len, texts)) / len(texts):.0f} chars")
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); threads: $threads"

cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/verbatim"
{
  cargo bench -q --bench encoder -- --texts "$work/texts.txt" --threads "$threads" 2>/dev/null | grep '^{'
  "$venv/bin/python" benches/encoder_python.py --backend ort --texts "$work/texts.txt" --model "$model" --threads "$threads"
  "$venv/bin/python" benches/encoder_python.py --backend st --texts "$work/texts.txt" --model "$model" --threads "$threads" 2>/dev/null
} | tee "$work/results.jsonl"

"$bin" -q run "$work/export.csv" --out "$work/out" --no-cache --threads "$threads" >/dev/null
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
res = [json.loads(l) for l in open(f"{work}/results.jsonl")]
run = json.load(open(f"{work}/out/run.json"))
t = run["timings_seconds"]
stage = t["text"] + t["encode"]
n = res[0]["texts"]
print(json.dumps({"impl": "verbatim run: text + encode stages (normalise, clauses, dedupe, length batching, model load)",
                  "texts": n, "unique_clauses": run["encode"]["unique_texts"], "seconds": round(stage, 3),
                  "texts_per_s": round(n / stage, 1)}))
rust, py_ort, py_st = res
print()
print(f"raw encoder, verbatim / Python onnxruntime:        {rust['texts_per_s'] / py_ort['texts_per_s']:.2f}x")
print(f"raw encoder, verbatim / sentence-transformers:     {rust['texts_per_s'] / py_st['texts_per_s']:.2f}x")
print(f"text stage,  verbatim run / sentence-transformers: {n / stage / py_st['texts_per_s']:.2f}x")
PY
