#!/usr/bin/env python3
"""datatrove peer for Winnow's `minhash_dedup`: read JSONL.gz → MinHash near-dedup → write JSONL.gz.

  bench/.venv/bin/python bench/minhash_speed_datatrove.py --input 'bench/data/corpus/*.jsonl.gz' \
      --output bench/out/datatrove-minhash --workers 2 [--json result.json]

datatrove 0.10.x's 4-stage MinHash pipeline (as its examples/minhash_deduplication.py), each
stage a LocalPipelineExecutor run, tasks/workers as bench/datatrove_exact_dedup.py:
  1 signature: JsonlReader → MinhashDedupSignature     tasks = #input files, workers = N
     (simplify_text → spaCy English word tokenizer (spacy.blank("en") + sentencizer) → word
      5-grams → xxhash64 per shingle → 112 hashes (a·h + b) mod (2^61 − 1) → 14 bucket files
      per task, each sorted)
  2 buckets:   MinhashDedupBuckets                      tasks = 14 (one per bucket), workers = N
     (k-way merge of the tasks' sorted signatures; equal band = duplicate pair)
  3 cluster:   MinhashDedupCluster                      tasks = 1 (datatrove asserts world_size == 1)
     (union-find over all pairs in one Python process; every non-root node is removed)
  4 filter:    JsonlReader → MinhashDedupFilter → JsonlWriter (gzip)   tasks = #input files, workers = N
Config: MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1,
hash_config=HashConfig(precision=64, hash_fc="xxhash")) -- datatrove 0.10's defaults, spelled out.
A text with fewer than 5 words has no shingles, gets no signature and is always kept.
The reported wall time is the sum of the four stages (pool start-up of each included), not
counting interpreter start and imports; measure.py times the whole process.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def step_stats(stats, name_part: str) -> dict:
    for s in stats.stats:
        if name_part in s.name:
            return {k: v.total if hasattr(v, "total") else v for k, v in s.stats.items()}
    return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="glob of .jsonl.gz files (relative to the repo root)")
    ap.add_argument("--output", required=True, help="output folder (wiped first)")
    ap.add_argument("--work", help="folder for signatures/buckets/clusters/logs (default <output>.work, wiped first)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the result as JSON to this file")
    args = ap.parse_args()
    os.chdir(REPO)

    t_import = time.perf_counter()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.logging import logger

    t_import = time.perf_counter() - t_import
    logger.remove()  # keep the console quiet; per-stage logs stay under <work>/logs
    logger.add(sys.stderr, level="WARNING")

    files = sorted(glob.glob(args.input))
    if not files:
        sys.exit(f"error: no input matches {args.input}")
    data_dir = str(Path(files[0]).parent)
    pattern = Path(args.input).name
    out = Path(args.output)
    work = Path(args.work or str(out).rstrip("/") + ".work")
    for p in (out, work):
        shutil.rmtree(p, ignore_errors=True)
    config = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1,
                           hash_config=HashConfig(precision=64, hash_fc="xxhash"))
    tasks = len(files)

    def reader():
        return JsonlReader(data_dir, glob_pattern=pattern, compression="gzip")

    stages = [
        ("signature", LocalPipelineExecutor(
            pipeline=[reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)],
            tasks=tasks, workers=args.workers, logging_dir=str(work / "logs/1-signature"))),
        ("buckets", LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"),
                                          config=config)],
            tasks=config.num_buckets, workers=args.workers, logging_dir=str(work / "logs/2-buckets"))),
        ("cluster", LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"),
                                          config=config)],
            tasks=1, workers=1, logging_dir=str(work / "logs/3-cluster"))),
        ("filter+write", LocalPipelineExecutor(
            pipeline=[reader(), MinhashDedupFilter(input_folder=str(work / "remove_ids")),
                      JsonlWriter(str(out), compression="gzip")],
            tasks=tasks, workers=args.workers, logging_dir=str(work / "logs/4-filter"))),
    ]
    times, results = {}, {}
    start = time.perf_counter()
    for name, executor in stages:
        t0 = time.perf_counter()
        results[name] = executor.run()
        times[name] = time.perf_counter() - t0
        print(f"  datatrove stage {name}: {times[name]:.2f}s", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start

    filt = step_stats(results["filter+write"], "MinHash stage 4")
    sig = step_stats(results["signature"], "MinHash stage 1")
    clus = step_stats(results["cluster"], "MinHash stage 3")
    docs_in = int(filt.get("total", 0))
    kept = int(filt.get("forwarded", 0))
    dropped = int(filt.get("dropped", 0))
    out_files = sorted(glob.glob(str(out / "*.jsonl.gz")))
    try:
        import importlib.metadata as md

        version = md.version("datatrove")
    except Exception:  # noqa: BLE001
        version = None
    res = {
        "tool": "datatrove",
        "version": version,
        "config": str(config),
        "workers": args.workers,
        "tasks": {"signature": tasks, "buckets": config.num_buckets, "cluster": 1, "filter+write": tasks},
        "docs_in": docs_in,
        "docs_signed": int(sig.get("total", 0)),
        "docs_kept": kept,
        "docs_dropped": dropped,
        "docs_in_clusters": int(clus.get("duplicates", 0)),
        "wall_seconds": round(wall, 3),
        "stage_seconds": {k: round(v, 3) for k, v in times.items()},
        "import_seconds": round(t_import, 3),
        "output_files": len(out_files),
        "output_gz_bytes": sum(os.path.getsize(f) for f in out_files),
    }
    print(f"datatrove {version} minhash (workers={args.workers}): {docs_in:,} docs in, {kept:,} kept, "
          f"{dropped:,} removed, wall {wall:.2f}s (" + ", ".join(f"{k} {v:.2f}s" for k, v in times.items()) + ")")
    print("RESULT " + json.dumps(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    if docs_in and kept + dropped != docs_in:
        sys.exit(f"error: kept + dropped != docs in ({kept} + {dropped} != {docs_in})")


if __name__ == "__main__":
    main()
