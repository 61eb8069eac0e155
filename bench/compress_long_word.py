#!/usr/bin/env python3
"""Release timings of compressing one long word or a run of brackets (issue 24, Done-when 1):
the context is one word of seeded letters, or `[[[…]]]` (half `[`, half `]`), of each size,
beside a one-sentence context, rate 0.5, GPT-2 counting, without MiniLM (as the debug timings
in docs/benchmarks.md). Each request is timed around one `winnow compress --json` process
(wall seconds), median of `--repeat`.

    python3 bench/compress_long_word.py --winnow .build/release/winnow --models models \\
        --sizes 10000,20000,40000,1000000 --repeat 3
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import time


def context(kind, size, seed=7):
    if kind == "word":
        rng = random.Random(seed)
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(size))
    return "[" * (size // 2) + "]" * (size - size // 2)


def run(winnow, models, request):
    with tempfile.TemporaryFile() as stdin:
        stdin.write(json.dumps(request).encode())
        stdin.seek(0)
        start = time.monotonic()
        process = subprocess.Popen([winnow, "compress", "--json", "--no-minilm", "--models", models],
                                   stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate()
        wall = time.monotonic() - start
    if process.returncode != 0:
        raise RuntimeError(f"winnow compress exited {process.returncode}: {err.decode()[-500:]}")
    return wall, json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--winnow", default=".build/release/winnow")
    parser.add_argument("--models", default="models")
    parser.add_argument("--sizes", default="10000,20000,40000,1000000")
    parser.add_argument("--kinds", default="word,brackets")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for kind in args.kinds.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            request = {"context": [context(kind, size), "The weather was mild for the season."],
                       "question": "What was the weather like?", "rate": 0.5}
            times = []
            for _ in range(args.repeat):
                wall, result = run(args.winnow, args.models, request)
                times.append(wall)
            print(json.dumps({"kind": kind, "bytes": size, "median_s": round(statistics.median(times), 3),
                              "runs_s": [round(t, 3) for t in times],
                              "tokens": [result.get("origin_tokens"), result.get("compressed_tokens")],
                              "load1": round(os.getloadavg()[0], 1)}), flush=True)


if __name__ == "__main__":
    main()
