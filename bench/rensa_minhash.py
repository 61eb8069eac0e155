#!/usr/bin/env python3
"""rensa 0.5's shingle + sketch + LSH path on the MinHash benchmark corpus, timed in parts.

  bench/.venv/bin/python bench/rensa_minhash.py --input 'bench/data/corpus/*.jsonl.gz' \
      --output bench/out/rensa-minhash

Path: read the JSONL.gz (Python gzip + json) → word 5-gram shingles of the lowercased,
whitespace-split text (a document under 5 words is one shingle) → R-MinHash digests of 112
permutations for all documents in one call (`RMinHash.digest_matrix_from_token_sets`, full-set
MinHash, no rho sampling) → `RMinHashLSH(threshold=0.8, num_perm=112, num_bands=14)`
`insert_matrix_and_query_duplicate_flags`, which flags every row sharing a band with an earlier
or later row; the first row of each flagged group is kept by keeping a row when no earlier row
shares one of its bands (computed here from the flags' band keys) → write kept documents as
jsonl.gz (compresslevel 1). One process; rensa's Rust side uses its own threads.
Prints one JSON line: seconds for read, shingle, sketch, lsh, write and total; docs in/kept.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    args = ap.parse_args()
    import rensa

    t0 = time.perf_counter()
    lines: list[str] = []
    texts: list[str] = []
    for f in sorted(glob.glob(args.input)):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    lines.append(line)
                    texts.append(json.loads(line)["text"])
    t1 = time.perf_counter()
    shingle_sets = []
    for t in texts:
        w = t.lower().split()
        if len(w) < 5:
            shingle_sets.append([" ".join(w)])
        else:
            shingle_sets.append([" ".join(w[i:i + 5]) for i in range(len(w) - 4)])
    t2 = time.perf_counter()
    matrix = rensa.RMinHash.digest_matrix_from_token_sets(shingle_sets, 112, 42)
    t3 = time.perf_counter()
    lsh = rensa.RMinHashLSH(0.8, 112, 14)
    flags = lsh.insert_matrix_and_query_duplicate_flags(matrix)
    # Keep the first document of every group: a flagged row is dropped when an earlier row
    # shares one of its bands (band = 8 consecutive digest values).
    rows = matrix.to_rows()
    seen: set = set()
    keep = []
    for i, row in enumerate(rows):
        bands = [(b, tuple(row[b * 8:(b + 1) * 8])) for b in range(14)]
        dup = flags[i] and any(k in seen for k in bands)
        seen.update(bands)
        keep.append(not dup)
    t4 = time.perf_counter()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    kept = 0
    with gzip.open(out / "kept.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as fh:
        for line, k in zip(lines, keep):
            if k:
                fh.write(line)
                kept += 1
    t5 = time.perf_counter()
    print(json.dumps({
        "tool": "rensa", "version": "0.5.0", "docs_in": len(texts), "docs_kept": kept,
        "seconds": round(t5 - t0, 3),
        "parts": {"read": round(t1 - t0, 3), "shingle": round(t2 - t1, 3), "sketch": round(t3 - t2, 3),
                  "lsh": round(t4 - t3, 3), "write": round(t5 - t4, 3)},
        "core_seconds_shingle_sketch_lsh": round(t4 - t1, 3),
    }))


if __name__ == "__main__":
    main()
