#!/usr/bin/env python3
"""Synthetic embeddings for the semantic_dedup / diversity scale test (issue 7, Done-when item 4).

    bench/.venv/bin/python bench/semantic_make_vectors.py --n 100000 --out bench/data/semantic

Writes, for N documents of D dimensions (defaults 100,000 x 384, MiniLM's size):
  vectors-N.npy  float32, unit rows: C Gaussian blobs (centre ~ N(0, I), point = centre + 0.9 * N(0, I),
                 so same-blob pairs have cosine ~0.55 and other pairs ~0), of which a fraction DUP are
                 near-copies of an earlier row (row + 0.05 * N(0, I) / sqrt(D) * |row|: cosine ~0.9987)
  docs-N.jsonl   {"id": "d0000000", "text": "synthetic document i"} in the same order (row i = line i)
  truth-N.txt    "copy original" id pairs, one per near-copy row (each group of an original and its
                 copies should keep exactly one member)
Seeded (numpy default_rng(SEED)), so the files are the same on every machine.
"""
import argparse
import json
import os

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=100_000)
p.add_argument("--d", type=int, default=384)
p.add_argument("--clusters", type=int, default=200)
p.add_argument("--dup", type=float, default=0.1)
p.add_argument("--seed", type=int, default=7)
p.add_argument("--out", default="bench/data/semantic")
p.add_argument("--truth-only", action="store_true", help="rewrite only truth-N.txt")
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(a.seed)
centres = rng.standard_normal((a.clusters, a.d)).astype(np.float32)
blob = rng.integers(0, a.clusters, a.n)
x = centres[blob] + 0.9 * rng.standard_normal((a.n, a.d)).astype(np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
is_copy = rng.random(a.n) < a.dup
is_copy[0] = False
copies = np.nonzero(is_copy)[0]
original = {}
for i in copies:  # a near-copy of a random earlier original
    j = int(rng.integers(0, i))
    while is_copy[j]:
        j = int(rng.integers(0, i))
    original[int(i)] = j
    x[i] = x[j] + (0.05 / np.sqrt(a.d)) * rng.standard_normal(a.d).astype(np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
x = x.astype(np.float32)
if not a.truth_only:
    np.save(os.path.join(a.out, f"vectors-{a.n}.npy"), x)
    with open(os.path.join(a.out, f"docs-{a.n}.jsonl"), "w") as f:
        for i in range(a.n):
            f.write(json.dumps({"id": f"d{i:07d}", "text": f"synthetic document {i}"}) + "\n")
with open(os.path.join(a.out, f"truth-{a.n}.txt"), "w") as f:
    for i in copies:
        f.write(f"d{i:07d} d{original[int(i)]:07d}\n")
print(f"{a.n} x {a.d} vectors, {len(copies)} near-copies -> {a.out}")
