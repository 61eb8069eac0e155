#!/usr/bin/env python3
"""Straightforward numpy (no sklearn, no faiss) SemDeDup and greedy k-center, as peers of Winnow's
semantic_dedup and diversity stages on the same .npy (issue 7, Done-when item 4).

    OPENBLAS_NUM_THREADS=1 bench/.venv/bin/python bench/semantic_peer.py semdedup \
        --vectors bench/data/semantic/vectors-100000.npy --clusters 200 --eps 0.02 \
        --winnow-removed bench/out/semantic/run-semdedup/removed --truth bench/data/semantic/truth-100000.txt
    OPENBLAS_NUM_THREADS=1 bench/.venv/bin/python bench/semantic_peer.py kcenter \
        --vectors bench/data/semantic/vectors-100000.npy --count 1000 --winnow-data bench/out/semantic/run-div-k_center/data

semdedup: spherical k-means (k-means++ seeding on a sample of 64 rows per cluster, Lloyd on every row,
<= 50 iterations, stop at a relative improvement <= 1e-4 -- Winnow's settings), each cluster ordered
farthest-from-centroid first, then both removal rules on the cluster's full similarity matrix:
  reference  SemDeDup's code: remove j if max_{i<j} cos(i, j) >= 1 - eps (i may itself be removed)
  kept-only  Winnow's rule: remove j if cos(i, j) >= 1 - eps for a kept i < j
Prints one JSON line: seconds per phase, removed counts, and the overlap with Winnow's removed ids and
with the generator's truth (ids made as near-copies). The k-means differs from Winnow's (another RNG),
so cluster boundaries differ; near-copies (cosine ~0.999) land together in both.

kcenter: farthest-first from Winnow's first pick (read from its output: diversity_rank 0), one
x @ x[c] per pick; compares the pick sequence with Winnow's.
Row i of the .npy is document d{i:07d} (bench/semantic_make_vectors.py).
"""
import argparse
import glob
import gzip
import json
import time

import numpy as np


def load(path):
    x = np.load(path).astype(np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
    return x


def doc_id(i):
    return f"d{i:07d}"


def read_jsonl_ids(pattern):
    ids = {}
    for f in sorted(glob.glob(pattern, recursive=True)):
        opener = gzip.open if f.endswith(".gz") else open
        with opener(f, "rt") as fh:
            for line in fh:
                d = json.loads(line)
                ids[d["id"]] = d.get("metadata", {})
    return ids


def spherical_kmeans(x, k, seed, iterations=50, tol=1e-4, block=8192):
    rng = np.random.default_rng(seed)
    n = len(x)
    sample = np.sort(rng.choice(n, min(n, 64 * k), replace=False))
    s = x[sample]
    chosen = [int(rng.integers(len(s)))]
    nearest = np.full(len(s), np.inf, dtype=np.float32)
    taken = np.zeros(len(s), bool)
    taken[chosen[0]] = True
    while len(chosen) < k:
        nearest = np.minimum(nearest, np.maximum(0, 1 - s @ s[chosen[-1]]))
        p = np.where(taken, 0, nearest.astype(np.float64) ** 2)
        pick = int(rng.choice(len(s), p=p / p.sum())) if p.sum() > 0 else int(np.argmin(taken))
        taken[pick] = True
        chosen.append(pick)
    c = s[chosen].copy()

    def assign(c):
        a = np.empty(n, np.int64)
        dist = np.empty(n, np.float32)
        for b in range(0, n, block):
            sims = x[b:b + block] @ c.T
            a[b:b + block] = np.argmax(sims, axis=1)
            dist[b:b + block] = 1 - sims[np.arange(len(sims)), a[b:b + block]]
        return a, dist

    a, dist = assign(c)
    objective = float(dist.sum(dtype=np.float64))
    for it in range(iterations):
        sums = np.stack([np.bincount(a, weights=x[:, j], minlength=k) for j in range(x.shape[1])], axis=1)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        c = np.where(norms > 0, sums / np.maximum(norms, 1e-30), c).astype(np.float32)
        a2, dist = assign(c)
        new = float(dist.sum(dtype=np.float64))
        unchanged = np.array_equal(a2, a)
        a = a2
        if unchanged or objective - new <= tol * abs(objective):
            break
        objective = new
    return a, dist, it + 1


def semdedup(args):
    t0 = time.perf_counter()
    x = load(args.vectors)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    a, dist, iters = spherical_kmeans(x, args.clusters, args.seed)
    t_kmeans = time.perf_counter() - t0
    t0 = time.perf_counter()
    threshold = 1 - args.eps
    removed_ref, removed_kept = set(), set()
    for c in range(args.clusters):
        members = np.nonzero(a == c)[0]
        if len(members) < 2:
            continue
        order = members[np.lexsort((members, -dist[members]))]  # farthest first, ties by index
        e = x[order]
        sims = e @ e.T
        triu = np.triu(sims, 1)
        best_earlier = triu.max(axis=0)
        removed_ref.update(int(i) for i in order[best_earlier >= threshold])
        kept = np.zeros(len(order), bool)
        for j in range(len(order)):
            if j and (sims[j, :j][kept[:j]] >= threshold).any():
                removed_kept.add(int(order[j]))
            else:
                kept[j] = True
    t_pairs = time.perf_counter() - t0
    out = {"n": len(x), "clusters": args.clusters, "kmeans_iterations": iters, "load_s": round(t_load, 2),
           "kmeans_s": round(t_kmeans, 2), "pairwise_s": round(t_pairs, 2),
           "removed_reference_rule": len(removed_ref), "removed_kept_only_rule": len(removed_kept)}
    removed = {"peer_kept_only": {doc_id(i) for i in removed_kept}, "peer_reference": {doc_id(i) for i in removed_ref}}
    if args.winnow_removed:
        removed["winnow"] = set(read_jsonl_ids(args.winnow_removed + "/**/*.jsonl*"))
        out["winnow_removed"] = len(removed["winnow"])
    if args.truth:
        # Groups of an original and its near-copies: exactly one member of each should be kept,
        # and nothing outside the groups removed.
        groups = {}
        for line in open(args.truth):
            copy, orig = line.split()
            groups.setdefault(orig, {orig}).add(copy)
        members = set().union(*groups.values()) if groups else set()
        out["truth_groups"] = len(groups)
        for name, r in removed.items():
            one_kept = sum(1 for g in groups.values() if len(g - r) == 1)
            out[f"{name}_groups_keeping_exactly_one"] = one_kept
            out[f"{name}_removed_outside_groups"] = len(r - members)
    print(json.dumps(out))


def kcenter(args):
    x = load(args.vectors)
    winnow = read_jsonl_ids(args.winnow_data + "/*.jsonl*")
    ranked = sorted(winnow.items(), key=lambda kv: kv[1]["diversity_rank"])
    w_picks = [int(i[1:]) for i, _ in ranked]
    t0 = time.perf_counter()
    nearest = np.full(len(x), np.inf, np.float32)
    picks = [w_picks[0]]
    while True:
        nearest[picks[-1]] = -np.inf
        if len(picks) == args.count:
            break
        np.minimum(nearest, 1 - x @ x[picks[-1]], out=nearest)  # picks stay at -inf
        picks.append(int(np.argmax(nearest)))
    seconds = time.perf_counter() - t0
    same = next((k for k, (p, q) in enumerate(zip(picks, w_picks)) if p != q), len(picks))
    print(json.dumps({"n": len(x), "count": args.count, "kcenter_s": round(seconds, 2),
                      "identical_prefix": same, "winnow_picks": len(w_picks),
                      "same_set": set(picks) == set(w_picks)}))


p = argparse.ArgumentParser()
p.add_argument("mode", choices=["semdedup", "kcenter"])
p.add_argument("--vectors", required=True)
p.add_argument("--clusters", type=int, default=200)
p.add_argument("--eps", type=float, default=0.02)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--count", type=int, default=1000)
p.add_argument("--truth")
p.add_argument("--winnow-removed")
p.add_argument("--winnow-data")
args = p.parse_args()
semdedup(args) if args.mode == "semdedup" else kcenter(args)
