#!/usr/bin/env python3
"""DSIR parity and speed: Winnow's `dsir` stage vs the data-selection package's HashedNgramDSIR.

Same pool (bench/make_dsir_pool.py), same target (WikiText-2 target articles), same features
(wordpunct tokens of the lowercased text, unigrams + bigrams hashed by SHA-256 into 10,000
buckets, min_example_length 100). Compares:
  1. the per-document log importance weights (Winnow's scores.dsir vs the package's
     log_importance_weights),
  2. the selected sets in plain top-k mode (`--no-noise` vs `resample(top_k=True)`),
  3. the selected sets with Gumbel noise (different RNGs: compared with the overlap of two
     draws of the same tool with different seeds),
and times fit + weights + selection end to end (median of --runs), both sides with the same
number of processes/threads.

Usage: bench/.venv/bin/python bench/dsir_parity.py [--count 2000] [--runs 3] [--workers 2]
Needs: swift build -c release --product winnow; bench/.venv/bin/python bench/make_dsir_pool.py
"""
import argparse
import glob
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data", "dsir")
OUT = os.path.join(HERE, "out", "dsir")
WINNOW = os.path.join(ROOT, ".build", "release", "winnow")


def read_jsonl_any(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def run_winnow(args, count, noise, seed, workers, out_dir, keep_removed):
    cmd = [WINNOW, "select", "--method", "dsir", "--target", args.target, "--input", args.pool,
           "--count", str(count), "--seed", str(seed), "--workers", str(workers),
           "--output", out_dir, "--overwrite", "--quiet", "--shard-size", args.shard_size]
    if not noise:
        cmd.append("--no-noise")
    if keep_removed:
        cmd.append("--keep-removed")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def winnow_result(out_dir):
    """(kept ids, id → weight over kept and removed documents)."""
    kept, weights = set(), {}
    for p in sorted(glob.glob(f"{out_dir}/data/*.jsonl*")):
        for r in read_jsonl_any(p):
            kept.add(r["id"])
            weights[r["id"]] = r["scores"]["dsir"]
    for p in sorted(glob.glob(f"{out_dir}/removed/*/*.jsonl*")):
        for r in read_jsonl_any(p):
            weights[r["id"]] = r["scores"]["dsir"]
    return kept, weights


def reference_fit(args, workers):
    """HashedNgramDSIR fit + weights; returns (dsir, work folder, seconds)."""
    from data_selection import HashedNgramDSIR
    work = tempfile.mkdtemp(prefix="dsir-ref-", dir=OUT)
    t0 = time.perf_counter()
    dsir = HashedNgramDSIR([args.pool], [args.target], cache_dir=f"{work}/cache", num_proc=workers,
                           ngrams=2, num_buckets=10000, min_example_length=100)
    dsir.fit_importance_estimator(num_tokens_to_fit="auto")
    dsir.compute_importance_weights()
    return dsir, work, time.perf_counter() - t0


def reference_resample(dsir, work, count, top_k, seed, name):
    """resample() on fitted weights; returns (seconds, kept ids)."""
    np.random.seed(seed)
    t0 = time.perf_counter()
    dsir.resample(out_dir=f"{work}/{name}", num_to_sample=count, cache_dir=f"{work}/{name}-cache", top_k=top_k)
    seconds = time.perf_counter() - t0
    kept = set()
    for p in sorted(glob.glob(f"{work}/{name}/*.jsonl")):
        for r in read_jsonl_any(p):
            kept.add(r["id"])
    return seconds, kept


def reference_weights(args, dsir, work):
    """id → log importance weight (one file per virtual shard; shard j of n holds i % n == j)."""
    ids = [r["id"] for r in read_jsonl_any(args.pool)]
    weights = {}
    for s in dsir._get_virtually_sharded_datasets([args.pool]):
        w = np.load(f"{work}/cache/log_importance_weights/{s['overall_idx']}.npy")
        mine = ids[s["shard_idx"]::s["num_shards"]]
        assert len(mine) == len(w)
        weights.update(zip(mine, w.tolist()))
    return weights


def run_reference(args, count, top_k, seed, workers):
    """End to end (fit, weights, resample); returns seconds."""
    dsir, work, fit = reference_fit(args, workers)
    seconds, _ = reference_resample(dsir, work, count, top_k, seed, "out")
    shutil.rmtree(work)
    return fit + seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pool", default=os.path.join(DATA, "pool.jsonl"))
    ap.add_argument("--target", default=os.path.join(DATA, "wikitext-target.jsonl"))
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shard-size", default="8MiB", help="Winnow input shard size (so every worker has shards)")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-parity", action="store_true")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    ids = [r["id"] for r in read_jsonl_any(args.pool)]
    assert len(ids) == len(set(ids)), "pool ids must be unique"
    report = {"pool_docs": len(ids), "count": args.count, "workers": args.workers}

    if not args.skip_parity:
        # 1 + 2: weights and top-k sets.
        w_dir = f"{OUT}/winnow-topk"
        run_winnow(args, args.count, False, 0, args.workers, w_dir, keep_removed=True)
        w_kept, w_weights = winnow_result(w_dir)
        dsir, work, _ = reference_fit(args, args.workers)
        r_weights = reference_weights(args, dsir, work)
        _, r_kept = reference_resample(dsir, work, args.count, True, 0, "topk")
        assert set(w_weights) == set(r_weights), "both sides must weigh every document"
        a = np.array([w_weights[i] for i in ids])
        b = np.array([r_weights[i] for i in ids])
        diff = np.abs(a - b)
        rel = diff / np.maximum(1e-300, np.abs(b))
        report["weights"] = {
            "max_abs_diff": float(diff.max()), "max_rel_diff": float(rel.max()),
            "docs_with_rel_diff_over_1e-9": int((rel > 1e-9).sum()),
            "identical_bits": int((a == b).sum()),
        }
        report["topk_overlap"] = len(w_kept & r_kept) / args.count
        report["topk_sets_equal"] = w_kept == r_kept

        # 3: Gumbel noise (the reference's np.random.gumbel on the same fitted weights).
        g = {}
        for seed in (0, 1):
            d = f"{OUT}/winnow-gumbel-{seed}"
            run_winnow(args, args.count, True, seed, args.workers, d, keep_removed=False)
            g[f"winnow{seed}"] = winnow_result(d)[0]
            g[f"ref{seed}"] = reference_resample(dsir, work, args.count, False, seed, f"gumbel{seed}")[1]
        shutil.rmtree(work)
        for x, y in (("winnow0", "ref0"), ("winnow0", "winnow1"), ("ref0", "ref1"), ("winnow1", "ref1")):
            report[f"gumbel_overlap_{x}_{y}"] = len(g[x] & g[y]) / args.count
        # Worker-count independence.
        d1 = f"{OUT}/winnow-gumbel-0-w1"
        run_winnow(args, args.count, True, 0, 1, d1, keep_removed=False)
        report["gumbel_same_set_1_vs_n_workers"] = winnow_result(d1)[0] == g["winnow0"]
        source = {r["id"]: r["source"] for r in read_jsonl_any(args.pool)}
        for name, kept in (("winnow_topk", w_kept), ("reference_topk", r_kept), ("winnow_gumbel0", g["winnow0"]),
                           ("reference_gumbel0", g["ref0"])):
            by = {}
            for i in kept:
                by[source[i]] = by.get(source[i], 0) + 1
            report[f"sources_{name}"] = dict(sorted(by.items()))
        print(json.dumps(report, indent=1), flush=True)

    if args.skip_speed:
        return
    # Speed: fit + weights + selection, end to end, median of runs (runs interleaved).
    ws, rs = [], []
    for _ in range(args.runs):
        ws.append(run_winnow(args, args.count, True, 0, args.workers, f"{OUT}/winnow-speed", keep_removed=False))
        rs.append(run_reference(args, args.count, False, 0, args.workers))
        print(json.dumps({"run": len(ws), "winnow_s": ws[-1], "reference_s": rs[-1]}), flush=True)
    speed = {"winnow_s": ws, "reference_s": rs, "winnow_median_s": statistics.median(ws),
             "reference_median_s": statistics.median(rs)}
    speed["speedup"] = speed["reference_median_s"] / speed["winnow_median_s"]
    print(json.dumps(speed, indent=1))


if __name__ == "__main__":
    sys.exit(main())
