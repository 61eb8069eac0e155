#!/usr/bin/env python3
"""datatrove 0.10's 4-stage MinHash near-dedup on a JSONL.gz corpus, timed per stage.

  bench/.venv/bin/python bench/datatrove_minhash.py --input 'bench/data/corpus/*.jsonl.gz' \
      --output bench/out/datatrove-minhash --workers 2

Stages (each a LocalPipelineExecutor run, as datatrove's own minhash example does):
  1 signature: JsonlReader → MinhashDedupSignature     (tasks = input files, `--workers` workers)
  2 buckets:   MinhashDedupBuckets                      (tasks = 14 buckets)
  3 cluster:   MinhashDedupCluster                      (1 task: datatrove clusters in one task)
  4 filter:    JsonlReader → MinhashDedupFilter → JsonlWriter (tasks = input files)
Config: 14 buckets × 8 hashes, word 5-grams, 64-bit hashes (MinhashConfig defaults but the
precision). Prints one JSON line with wall seconds per stage and documents in/out.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import shutil
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True, help="glob of .jsonl.gz files")
    ap.add_argument("--output", required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    files = sorted(glob.glob(args.input))
    if not files:
        raise SystemExit(f"no input matches {args.input}")
    data_dir = str(Path(files[0]).parent)
    pattern = Path(args.input).name
    out = Path(args.output)
    work = out.parent / (out.name + ".work")
    for p in (out, work):
        shutil.rmtree(p, ignore_errors=True)
    config = MinhashConfig(hash_config=HashConfig(precision=64), num_buckets=14, hashes_per_bucket=8, n_grams=5)
    tasks = len(files)

    def reader():
        return JsonlReader(data_dir, glob_pattern=pattern, compression="gzip")

    stages = [
        ("signature", LocalPipelineExecutor(
            pipeline=[reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)],
            tasks=tasks, workers=args.workers, logging_dir=str(work / "logs/1"))),
        ("buckets", LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config)],
            tasks=config.num_buckets, workers=args.workers, logging_dir=str(work / "logs/2"))),
        ("cluster", LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"), config=config)],
            tasks=1, workers=1, logging_dir=str(work / "logs/3"))),
        ("filter", LocalPipelineExecutor(
            pipeline=[reader(), MinhashDedupFilter(input_folder=str(work / "remove_ids")),
                      JsonlWriter(str(out), compression="gzip")],
            tasks=tasks, workers=args.workers, logging_dir=str(work / "logs/4"))),
    ]
    seconds = {}
    start = time.perf_counter()
    for name, executor in stages:
        t = time.perf_counter()
        executor.run()
        seconds[name] = round(time.perf_counter() - t, 3)
    total = round(time.perf_counter() - start, 3)
    kept = 0
    for f in sorted(out.glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            kept += sum(1 for _ in fh)
    print(json.dumps({"tool": "datatrove", "seconds": total, "stages": seconds, "docs_kept": kept}))


if __name__ == "__main__":
    main()
