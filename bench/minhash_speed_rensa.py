#!/usr/bin/env python3
"""rensa's shingle + sketch + LSH path on the MinHash speed corpus: read → dedup → write JSONL.gz.

  bench/.venv/bin/python bench/minhash_speed_rensa.py --input 'bench/data/corpus/*.jsonl.gz' \
      --output bench/out/rensa-minhash --workers 2 [--json result.json]

rensa (0.5) is a sketch + LSH library, not a pipeline: reading, shingling, clustering and
writing are the caller's. This script uses its documented bulk path and does the rest the
plain way a user would:

  1. sketch (a pool of --workers processes, one input file per task, in input order):
     gzip + orjson (json if orjson is missing) read the file; each text is lowercased and split
     on whitespace (`str.lower().split()`), word 5-grams are joined with single spaces (a text of
     1–4 words is one shingle of all its words, a text with no words is not sketched and is
     always kept) and `RMinHash.from_token_sets(shingles, num_perm=112, seed=42)` sketches them
     in batches of --batch documents (full-set R-MinHash, rensa's default; the faster "rho"
     variant samples token positions and is not used). The sketches (picklable) go back to the
     parent. RAYON_NUM_THREADS=1 in every process, so the tool uses --workers cores.
  2. lsh (parent, one process — rensa's index is an in-process object): `RMinHashLSH(threshold
     =0.8, num_perm=112, num_bands=14)`, `insert_many` of every sketch, then `query_all` in
     chunks: every key sharing a band with a document is a candidate. (The threshold does not
     change `query`'s candidates; the 14 bands of 8 rows do.)
  3. cluster (parent): union-find over all (document, candidate) pairs; the root of a cluster
     is its smallest index, i.e. its first document in input order, which is kept (as Winnow).
  4. write (pool of --workers processes, one input file per task): each input file is read
     again and its kept lines are written unchanged to <output>/part-NNNNN.jsonl.gz
     (Python gzip, --compresslevel, default 1, the fastest).

Prints a summary line and `RESULT {json}` (also to --json): wall seconds per phase, the sum
over worker processes of their read / shingle / sketch seconds, documents in / kept, candidate
pairs, clusters.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import pickle
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # before rensa is imported: one core per process

try:
    import orjson

    loads = orjson.loads
    JSON_LIB = "orjson"
except ImportError:  # pragma: no cover
    loads = json.loads
    JSON_LIB = "json"

NUM_PERM = 112
BANDS = 14
NGRAM = 5
SEED = 42


def shingles(text: str) -> list[str]:
    w = text.lower().split()
    if len(w) < NGRAM:
        return [" ".join(w)] if w else []
    return [" ".join(w[i:i + NGRAM]) for i in range(len(w) - NGRAM + 1)]


def sketch_file(task: tuple[str, int]) -> tuple[bytes, list[int], int, dict]:
    """One input file → (pickled list of RMinHash or None, indexes of unsketched docs, #docs, seconds)."""
    import rensa

    path, batch = task
    t = {"read": 0.0, "shingle": 0.0, "sketch": 0.0}
    sketches: list = []
    empty: list[int] = []
    pending: list[list[str]] = []

    def flush() -> None:
        t0 = time.perf_counter()
        sketches.extend(rensa.RMinHash.from_token_sets(pending, NUM_PERM, SEED))
        t["sketch"] += time.perf_counter() - t0
        pending.clear()

    t0 = time.perf_counter()
    with gzip.open(path, "rb") as fh:
        texts = [loads(line)["text"] for line in fh if line.strip()]
    t["read"] += time.perf_counter() - t0
    for n, text in enumerate(texts):
        t0 = time.perf_counter()
        sh = shingles(text)
        t["shingle"] += time.perf_counter() - t0
        if sh:
            pending.append(sh)
            if len(pending) >= batch:
                flush()
        else:
            empty.append(n)
            if pending:  # keep the sketch list aligned with document indexes
                flush()
            sketches.append(None)
    if pending:
        flush()
    t0 = time.perf_counter()
    blob = pickle.dumps(sketches, protocol=pickle.HIGHEST_PROTOCOL)
    t["pickle"] = time.perf_counter() - t0
    return blob, empty, len(texts), t


def write_file(task: tuple[str, str, bytes, int]) -> tuple[int, float]:
    """Re-read one input file and write its kept lines (keep = one byte 0/1 per document)."""
    path, dest, keep, level = task
    t0 = time.perf_counter()
    kept = 0
    with gzip.open(path, "rb") as fi, gzip.open(dest, "wb", compresslevel=level) as fo:
        i = 0
        for line in fi:
            if not line.strip():
                continue
            if keep[i]:
                fo.write(line)
                kept += 1
            i += 1
    return kept, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="glob of .jsonl.gz files")
    ap.add_argument("--output", required=True, help="output folder (wiped first)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2000, help="documents per from_token_sets call")
    ap.add_argument("--query-chunk", type=int, default=20000, help="documents per query_all call")
    ap.add_argument("--compresslevel", type=int, default=1)
    ap.add_argument("--json", help="also write the result as JSON to this file")
    args = ap.parse_args()

    import multiprocessing as mp

    import rensa

    files = sorted(glob.glob(args.input))
    if not files:
        sys.exit(f"error: no input matches {args.input}")
    out = Path(args.output)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ctx = mp.get_context("fork")
    phase: dict[str, float] = {}
    parts = {"read": 0.0, "shingle": 0.0, "sketch": 0.0, "pickle": 0.0}

    start = time.perf_counter()
    with ctx.Pool(args.workers) as pool:
        # 1. read + shingle + sketch, in parallel, file by file (results in input order)
        t0 = time.perf_counter()
        per_file = []
        for blob, empty, n, t in pool.imap(sketch_file, [(f, args.batch) for f in files]):
            per_file.append((pickle.loads(blob), empty, n))
            for k, v in t.items():
                parts[k] += v
        phase["read+shingle+sketch"] = time.perf_counter() - t0

        # 2. LSH: insert every sketch (keys 0..len(objs)-1), then query every document
        t0 = time.perf_counter()
        lsh = rensa.RMinHashLSH(0.8, NUM_PERM, BANDS)
        offsets, keys, objs = [], [], []  # keys[k] = global document index of LSH key k
        base = 0
        for sketches, _, n in per_file:
            offsets.append(base)
            for i, s in enumerate(sketches):
                if s is not None:
                    keys.append(base + i)
                    objs.append(s)
            base += n
        docs_in = base
        lsh.insert_many(objs, 0)
        t_insert = time.perf_counter() - t0

        parent = list(range(docs_in))

        def find(x: int) -> int:
            root = x
            while parent[root] != root:
                root = parent[root]
            while parent[x] != root:
                parent[x], x = root, parent[x]
            return root

        # 3. union-find, interleaved with the query chunks so not all candidates are held at once
        pairs = 0
        t_query = t_uf = 0.0
        for c0 in range(0, len(objs), args.query_chunk):
            tq = time.perf_counter()
            cands = lsh.query_all(objs[c0:c0 + args.query_chunk])
            t_query += time.perf_counter() - tq
            tq = time.perf_counter()
            for j, cs in enumerate(cands):
                a = keys[c0 + j]
                for c in cs:
                    b = keys[c]
                    if b <= a:
                        continue  # each pair once, and not the document itself
                    pairs += 1
                    ra, rb = find(a), find(b)
                    if ra != rb:
                        if ra < rb:
                            parent[rb] = ra
                        else:
                            parent[ra] = rb
            t_uf += time.perf_counter() - tq
        t0 = time.perf_counter()
        keep = bytearray(docs_in)
        sizes: dict[int, int] = {}
        for i in range(docs_in):
            r = find(i)
            if r == i:
                keep[i] = 1
            else:
                sizes[r] = sizes.get(r, 1) + 1
        t_uf += time.perf_counter() - t0
        phase["lsh"] = t_insert + t_query
        phase["cluster"] = t_uf

        # 4. write, in parallel, file by file
        t0 = time.perf_counter()
        tasks = [(f, str(out / f"part-{fi:05d}.jsonl.gz"), bytes(keep[offsets[fi]:offsets[fi] + n]),
                  args.compresslevel)
                 for fi, (f, (_, _, n)) in enumerate(zip(files, per_file))]
        kept = 0
        write_worker_s = 0.0
        for k, s in pool.imap(write_file, tasks):
            kept += k
            write_worker_s += s
        phase["write"] = time.perf_counter() - t0
    wall = time.perf_counter() - start

    try:
        import importlib.metadata as md

        version = md.version("rensa")
    except Exception:  # noqa: BLE001
        version = None
    res = {
        "tool": "rensa",
        "version": version,
        "workers": args.workers,
        "processes": f"read+shingle+sketch and write: {args.workers} processes; lsh and cluster: 1 process",
        "json_lib": JSON_LIB,
        "num_perm": NUM_PERM,
        "bands": BANDS,
        "ngram": NGRAM,
        "docs_in": docs_in,
        "docs_sketched": len(objs),
        "docs_kept": kept,
        "docs_dropped": docs_in - kept,
        "candidate_pairs": pairs,
        "clusters_multi": len(sizes),
        "largest_cluster": max(sizes.values(), default=1),
        "wall_seconds": round(wall, 3),
        "stage_seconds": {k: round(v, 3) for k, v in phase.items()},
        "worker_seconds_sum": {k: round(v, 3) for k, v in parts.items()} | {"write": round(write_worker_s, 3)},
        "lsh_insert_seconds": round(t_insert, 3),
        "lsh_query_seconds": round(t_query, 3),
    }
    print(f"rensa {version} minhash (workers={args.workers}): {docs_in:,} docs in, {kept:,} kept, "
          f"{pairs:,} candidate pairs, wall {wall:.2f}s ("
          + ", ".join(f"{k} {v:.2f}s" for k, v in phase.items()) + ")")
    print("RESULT " + json.dumps(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    if keep.count(1) != kept:
        sys.exit(f"error: wrote {kept} documents but kept {keep.count(1)}")


if __name__ == "__main__":
    main()
