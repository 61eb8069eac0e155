#!/usr/bin/env python3
"""datatrove peer for Winnow's `exact_dedup`: read JSONL.gz -> exact dedup -> write JSONL.gz.

    bench/.venv/bin/python bench/datatrove_exact_dedup.py \
        --input bench/data/corpus --output bench/out/datatrove-exact-dedup --workers 2

datatrove 0.10.x does exact dedup in three LocalPipelineExecutor runs:
  1. JsonlReader -> ExactDedupSignature      tasks = #input files, workers = N
     (one 64-bit xxhash per document of config.content_getter(doc), sorted, bucketed
      into `finder_workers` hash ranges)
  2. ExactFindDedups                           tasks = finder_workers (= N), workers = N
     (k-way merge of the sorted signatures; every hash after the first of a run is
      written out as a duplicate (task rank, doc index) )
  3. JsonlReader -> ExactDedupFilter -> JsonlWriter   tasks = #input files, workers = N
The reported wall time is the sum of the three (process start-up of each pool included),
not counting interpreter start and imports.

Normalisation (--norm): datatrove's ExactDedupConfig has *no* default content_getter,
the caller chooses what is hashed:
  winnow    (default) text.lower() with whitespace runs collapsed to one space and
            trimmed -- the same key as Winnow's exact_dedup, for a like-for-like run
  datatrove datatrove.utils.text.simplify_text (lowercase, numbers -> 0, punctuation ->
            space, diacritics stripped, whitespace collapsed), what its other dedup blocks use
  none      the raw text

Which copy survives (--keep): datatrove orders signatures by (hash, -priority, doc index
within its task) -- the file/task is *not* part of the key -- so by default the copy
with the smallest index inside its own input file wins, whichever file it is in.
  first     (default) priority = 65535 - input file index, so the earliest file wins and,
            inside a file, the earliest document: first occurrence in input order, as Winnow
  datatrove priority 1 for every document (datatrove's default behaviour)
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


def norm_winnow(doc) -> str:
    return " ".join(doc.text.lower().split())


def norm_datatrove(doc) -> str:
    from datatrove.utils.text import simplify_text

    return simplify_text(doc.text)


def norm_none(doc) -> str:
    return doc.text


NORMS = {"winnow": norm_winnow, "datatrove": norm_datatrove, "none": norm_none}


class FilePriority:
    """document_priority: earlier input files get higher priority (picklable)."""

    def __init__(self, files: list[str]):
        self.index = {os.path.basename(f): i for i, f in enumerate(files)}

    def __call__(self, doc) -> int:
        return 65535 - self.index[os.path.basename(doc.metadata["file_path"])]


def step_stats(stats, name_part: str) -> dict:
    for s in stats.stats:
        if name_part in s.name:
            return {k: v.total if hasattr(v, "total") else v for k, v in s.stats.items()}
    return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", default="bench/data/corpus", help="input folder (default bench/data/corpus)")
    ap.add_argument("--glob", default="*.jsonl.gz", help="input file pattern inside --input")
    ap.add_argument("--output", default="bench/out/datatrove-exact-dedup", help="output folder (wiped first)")
    ap.add_argument("--work", help="folder for signatures/duplicates/logs (default <output>.work, wiped first)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--finder-workers", type=int, help="tasks of stage 2 (default = --workers)")
    ap.add_argument("--norm", choices=sorted(NORMS), default="winnow")
    ap.add_argument("--keep", choices=["first", "datatrove"], default="first")
    ap.add_argument("--json", help="also write the result as JSON to this file")
    args = ap.parse_args()
    os.chdir(REPO)

    t_import = time.perf_counter()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import ExactDedupConfig, ExactDedupFilter, ExactDedupSignature, ExactFindDedups
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.logging import logger

    t_import = time.perf_counter() - t_import
    logger.remove()  # keep the console quiet; per-stage logs stay under <work>/logs
    logger.add(sys.stderr, level="WARNING")

    files = sorted(glob.glob(os.path.join(args.input, args.glob)))
    if not files:
        sys.exit(f"error: no input files match {args.input}/{args.glob} (run bench/make_corpus.py)")
    if len(files) > 65534 and args.keep == "first":
        sys.exit("error: --keep first supports at most 65534 input files")
    in_bytes = sum(os.path.getsize(f) for f in files)
    tasks = len(files)
    finder = args.finder_workers or args.workers
    work = Path(args.work or args.output.rstrip("/") + ".work")
    for d in (Path(args.output), work):
        shutil.rmtree(d, ignore_errors=True)

    # content_getter's return annotation picks the hash function; all three return str.
    config = ExactDedupConfig(
        content_getter=NORMS[args.norm],
        document_priority=FilePriority(files) if args.keep == "first" else None,
    )

    def reader(add_file_path: bool):
        return JsonlReader(args.input, glob_pattern=args.glob, add_file_path=add_file_path)

    stages = [
        ("signature", LocalPipelineExecutor(
            [reader(args.keep == "first"),
             ExactDedupSignature(output_folder=str(work / "sigs"), config=config, finder_workers=finder)],
            tasks=tasks, workers=args.workers, logging_dir=str(work / "logs/1-signature"))),
        ("find-dups", LocalPipelineExecutor(
            [ExactFindDedups(data_folder=str(work / "sigs"), output_folder=str(work / "dups"), config=config)],
            tasks=finder, workers=min(args.workers, finder), logging_dir=str(work / "logs/2-find-dups"))),
        ("filter+write", LocalPipelineExecutor(
            [reader(False),
             ExactDedupFilter(data_folder=str(work / "dups"), config=config),
             JsonlWriter(args.output, compression="gzip")],
            tasks=tasks, workers=args.workers, logging_dir=str(work / "logs/3-filter"))),
    ]

    times, results = {}, {}
    t_all = time.perf_counter()
    for name, ex in stages:
        t0 = time.perf_counter()
        results[name] = ex.run()
        times[name] = time.perf_counter() - t0
    wall = time.perf_counter() - t_all

    filt = step_stats(results["filter+write"], "exact-deduplication stage 3")
    docs_in = int(filt.get("total", 0))
    kept = int(filt.get("forwarded", 0))
    dropped = int(filt.get("dropped", 0))
    out_files = sorted(glob.glob(os.path.join(args.output, "*.jsonl.gz")))
    res = {
        "tool": "datatrove",
        "version": __import__("datatrove").__version__ if hasattr(__import__("datatrove"), "__version__") else None,
        "norm": args.norm,
        "keep": args.keep,
        "workers": args.workers,
        "tasks": tasks,
        "finder_workers": finder,
        "input_files": tasks,
        "input_gz_bytes": in_bytes,
        "docs_in": docs_in,
        "docs_kept": kept,
        "docs_dropped": dropped,
        "wall_seconds": round(wall, 3),
        "stage_seconds": {k: round(v, 3) for k, v in times.items()},
        "import_seconds": round(t_import, 3),
        "output_files": len(out_files),
        "output_gz_bytes": sum(os.path.getsize(f) for f in out_files),
    }
    try:
        import importlib.metadata as md

        res["version"] = md.version("datatrove")
    except Exception:  # noqa: BLE001
        pass
    print(f"datatrove {res['version']} exact dedup (norm={args.norm}, keep={args.keep}, workers={args.workers}): "
          f"{docs_in:,} docs in, {kept:,} kept, {dropped:,} removed, wall {wall:.2f}s "
          f"(" + ", ".join(f"{k} {v:.2f}s" for k, v in times.items()) + ")")
    print("RESULT " + json.dumps(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    if docs_in and kept + dropped != docs_in:
        sys.exit(f"error: kept + dropped != docs in ({kept} + {dropped} != {docs_in})")


if __name__ == "__main__":
    main()
