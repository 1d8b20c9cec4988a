#!/usr/bin/env python3
"""Exit 0 when every file listed in each model directory's MANIFEST has its recorded sha256."""
import hashlib
import json
import os
import sys


def ok(model_dir):
    with open(os.path.join(model_dir, "MANIFEST")) as f:
        files = json.load(f)["files"]
    for name, want in files.items():
        path = os.path.join(model_dir, name)
        if not os.path.isfile(path):
            return False
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != want:
            return False
    return True


sys.exit(0 if all(ok(d) for d in sys.argv[1:]) else 1)
