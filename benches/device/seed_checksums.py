#!/usr/bin/env python3
"""Print a checksum memo (the `file-sha256.json` of verbatim's cache directory) that gives
the graphs of a pruned encoder directory (benches/device/prune_vocab.py) the checksums of the
full encoder's graphs, so that the shipped sentiment head and themes model, which name the
encoder they were trained on, accept it.

  seed_checksums.py MODEL_DIR FULL_MANIFEST > file-sha256.json

Only for benchmarks on a machine the full encoder cannot reach: the pruned graphs compute
exactly what the full ones compute on the texts they were pruned for (prepare.sh checks
it), and nothing else.
"""
import json
import os
import sys

model_dir, manifest = sys.argv[1], sys.argv[2]
full = json.load(open(manifest))["files"]
memo = {}
for graph in ("model.onnx", "model-int8.onnx"):
    path = os.path.join(model_dir, graph)
    st = os.stat(path)
    # verbatim's key: canonical path | size | modification time in nanoseconds
    memo[f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}"] = full[graph]
json.dump(memo, sys.stdout, indent=2)
