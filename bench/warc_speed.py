#!/usr/bin/env python3
"""WARC → JSONL speed: Winnow's `format: warc` reader against datatrove's WarcReader.

    bench/.venv/bin/python bench/warc_speed.py [--copies 20] [--runs 3] [--winnow .build/release/winnow]

Input: `--copies` copies of each real WARC sample in ../shared/data/web/warc-samples/
concatenated (gzip per record, so the copies concatenate into valid WARC files), written to
bench/data/warc-speed/ as 4 files (one per sample). Both sides read those files and write the
HTML responses as uncompressed JSONL, one worker:

- Winnow: `winnow run` of a recipe with `format: warc` (defaults: response records of type
  text/html or application/xhtml+xml; conversion records of type text/plain), no stages,
  `workers: 1`, output `jsonl`. Text: the HTTP body decoded by header / <meta> / ICU detector.
- datatrove: `WarcReader` (warcio; keeps response/conversion records whose
  WARC-Identified-Payload-Type is HTML, or whose bytes libmagic says are; decodes as UTF-8,
  else as cchardet's guess) → `JsonlWriter(compression=None)`, LocalPipelineExecutor with
  1 task and 1 worker.

Runs alternate (Winnow, datatrove, …) `--runs` times each through bench/measure.py; the median
wall time, the peak RSS and the documents written are printed. The documents differ in number
where the two keep different records: datatrove selects by WARC-Identified-Payload-Type (empty
in the ClueWeb sample, so those records go) or else libmagic, Winnow by the HTTP Content-Type.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "..", "shared", "data", "web", "warc-samples")
DATA = os.path.join(ROOT, "bench", "data", "warc-speed")
OUT = os.path.join(ROOT, "bench", "out", "warc-speed")

DATATROVE = r'''
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.writers import JsonlWriter
inp, out, logs = sys.argv[1:4]
LocalPipelineExecutor(
    pipeline=[WarcReader(inp, glob_pattern="*.warc.gz"), JsonlWriter(out, compression=None)],
    tasks=1, workers=1, logging_dir=logs,
).run()
'''


def build_input(copies):
    os.makedirs(DATA, exist_ok=True)
    files = sorted(glob.glob(os.path.join(SAMPLES, "*.warc.gz")))
    if not files:
        sys.exit("no WARC samples in %s" % SAMPLES)
    total = 0
    for f in files:
        data = open(f, "rb").read()
        dst = os.path.join(DATA, os.path.basename(f))
        if not (os.path.exists(dst) and os.path.getsize(dst) == len(data) * copies):
            with open(dst, "wb") as w:
                for _ in range(copies):
                    w.write(data)
        total += len(data) * copies
        subprocess.run(["cat", dst], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    return total


def measure(name, i, cmd, cwd=ROOT):
    rundir = os.path.join(OUT, "runs")
    os.makedirs(rundir, exist_ok=True)
    js = os.path.join(rundir, "%s-%d.json" % (name, i))
    log = os.path.join(rundir, "%s-%d.log" % (name, i))
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "measure.py"), "--json", js, "--log", log, "--"] + cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    m = json.load(open(js))
    if m["exit_code"] != 0:
        sys.exit("%s failed, see %s" % (name, log))
    return m


def count_lines(folder):
    return sum(1 for f in glob.glob(os.path.join(folder, "**", "*.jsonl"), recursive=True) for _ in open(f, "rb"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "release", "winnow"))
    args = ap.parse_args()
    stored = build_input(args.copies)
    raw = sum(len(subprocess.run(["zcat", f], capture_output=True, check=True).stdout) for f in glob.glob(os.path.join(DATA, "*.warc.gz")))
    os.makedirs(OUT, exist_ok=True)
    recipe = os.path.join(OUT, "winnow-warc.yaml")
    with open(recipe, "w") as r:
        r.write(
            'name: warc-speed\ninput: { path: "%s/*.warc.gz", format: warc }\n'
            "output: { path: %s/winnow, format: jsonl }\nworkers: 1\nstages: []\n" % (DATA, OUT)
        )
    dt_script = os.path.join(OUT, "datatrove_warc.py")
    with open(dt_script, "w") as f:
        f.write(DATATROVE)
    results = {"winnow": [], "datatrove": []}
    for i in range(args.runs):
        subprocess.run(["rm", "-rf", os.path.join(OUT, "winnow"), os.path.join(OUT, "datatrove"), os.path.join(OUT, "dt-logs")])
        results["winnow"].append(measure("winnow", i, [os.path.abspath(args.winnow), "run", recipe, "--overwrite"]))
        results["datatrove"].append(
            measure("datatrove", i, [sys.executable, dt_script, DATA, os.path.join(OUT, "datatrove"), os.path.join(OUT, "dt-logs")])
        )
    docs = {"winnow": count_lines(os.path.join(OUT, "winnow", "data")), "datatrove": count_lines(os.path.join(OUT, "datatrove"))}
    print("input: %d files, %.1f MB stored (gzip), %.1f MB WARC" % (len(glob.glob(os.path.join(DATA, "*.warc.gz"))), stored / 1e6, raw / 1e6))
    print("| tool | documents | median wall (s) | walls (s) | median CPU user+sys (s) | MB/s (WARC bytes / wall) | peak RSS (MB) |")
    print("|---|---:|---:|---|---:|---:|---:|")
    med, cpu = {}, {}
    for name in ("winnow", "datatrove"):
        walls = [m["wall_seconds"] for m in results[name]]
        med[name] = statistics.median(walls)
        cpu[name] = statistics.median(m["user_seconds"] + m["sys_seconds"] for m in results[name])
        print(
            "| %s | %d | %.2f | %s | %.2f | %.0f | %.0f |"
            % (name, docs[name], med[name], ", ".join("%.2f" % w for w in walls), cpu[name], raw / 1e6 / med[name],
               max(m["max_rss_mb"] for m in results[name]))
        )
    print()
    print("datatrove / Winnow: wall time %.1f×, CPU time %.1f×" % (med["datatrove"] / med["winnow"], cpu["datatrove"] / cpu["winnow"]))


if __name__ == "__main__":
    main()
