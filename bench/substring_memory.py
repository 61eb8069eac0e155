#!/usr/bin/env python3
"""Peak memory of `substring_dedup` per input byte, on >= 1 GB of text with planted repeats.

    python3 bench/substring_memory.py [--winnow .build-release/release/winnow] [--gb 1.0]
        [--memory 12GiB] [--workers 2] [--data ../shared/data] [--seed 21] [--min-bytes 100]

Standard library only. Builds bench/data/substring-<gb>g/part-NN.jsonl once (the bytes depend
only on the seed and on ../shared/data, never on the machine's installed files; the script
prints their sha256): documents of 2-20 KB of words drawn (seeded, by frequency) from the
vocabulary of WikiText-2's test split, so no 100-byte window repeats by chance, and in one
document of five, 1-3 planted spans of 100-3,000 bytes copied from earlier documents (a recent
one or any before it). Then runs `winnow run` on a one-stage recipe (substring_dedup, min_bytes
100, the given `memory:` and workers) under bench/measure.py and reports the peak PSS of the
process tree, its largest RSS, both divided by the input bytes, the wall and CPU seconds, the
load average, and how many planted spans are gone from the output (of those >= min_bytes).

The stage's memory formula (docs/benchmarks.md, SubstringDeduplicator's doc comment): the whole
build needs about 5.25 bytes per input byte, so `memory:` / workers must exceed that for the
whole build; below it the stage builds suffix arrays per block and merges them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def vocabulary(data: str) -> tuple[list[str], list[int]]:
    path = os.path.join(data, "text", "wikitext-2-raw", "wiki.test.raw")
    counts: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for word in re.findall(r"[^\s=@]+", f.read()):
            counts[word] = counts.get(word, 0) + 1
    words = sorted(counts)
    return words, [counts[w] for w in words]


def build(out_dir: str, gb: float, data: str, seed: int, min_bytes: int) -> tuple[int, list[str]]:
    """Writes the corpus; returns its text bytes and the planted spans (their second copies)."""
    marker = os.path.join(out_dir, "planted.json")
    if os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
        return info["text_bytes"], info["planted"]
    os.makedirs(out_dir, exist_ok=True)
    words, weights = vocabulary(data)
    rng = random.Random(seed)
    target = int(gb * 1e9)
    files = 8
    per_file = target // files
    recent: list[str] = []  # the last documents (planted spans come from them or from `older`)
    older: list[str] = []  # one kept document per 200
    planted: list[str] = []
    total = 0
    doc_id = 0
    digest = hashlib.sha256()
    pool: list[str] = []
    for k in range(files):
        path = os.path.join(out_dir, f"part-{k:02d}.jsonl")
        written = 0
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            while written < per_file:
                size = rng.randint(2000, 20000)
                parts: list[str] = []
                length = 0
                while length < size:
                    if len(pool) < 64:
                        pool.extend(rng.choices(words, weights, k=200_000))
                    n = rng.randint(8, 30)
                    sentence = " ".join(pool[-n:]) + ". "
                    del pool[-n:]
                    parts.append(sentence)
                    length += len(sentence.encode())
                if (recent or older) and rng.random() < 0.2:
                    for _ in range(rng.randint(1, 3)):
                        source = rng.choice(recent) if (rng.random() < 0.7 or not older) else rng.choice(older)
                        span_len = int(math.exp(rng.uniform(math.log(100), math.log(3000))))
                        if len(source) <= span_len + 2:
                            continue
                        start = rng.randrange(0, len(source) - span_len)
                        span = source[start:start + span_len]
                        parts.insert(rng.randrange(0, len(parts) + 1), "[" + span + "] ")
                        if len(span.encode()) >= min_bytes + 2:
                            planted.append(span[1:-1])  # its edges may touch neighbours that repeat
                text = "".join(parts)
                line = json.dumps({"id": f"d{doc_id}", "text": text}, ensure_ascii=False) + "\n"
                f.write(line)
                digest.update(line.encode())
                doc_id += 1
                written += len(line.encode())
                total += len(text.encode())
                recent.append(text)
                if len(recent) > 50:
                    recent.pop(0)
                if doc_id % 200 == 0:
                    older.append(text)
        os.replace(path + ".tmp", path)
    info = {"text_bytes": total, "documents": doc_id, "planted": planted, "sha256": digest.hexdigest(), "seed": seed}
    with open(marker, "w") as f:
        json.dump(info, f)
    print(f"built {doc_id} documents, {total} text bytes, {len(planted)} planted spans, sha256 {digest.hexdigest()}")
    return total, planted



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build-release", "release", "winnow"))
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--memory", default="12GiB")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--min-bytes", type=int, default=100)
    ap.add_argument("--build-only", action="store_true", help="only write the corpus")
    args = ap.parse_args()

    corpus = os.path.join(HERE, "data", f"substring-{args.gb:g}g")
    text_bytes, planted = build(corpus, args.gb, args.data, args.seed, args.min_bytes)
    if args.build_only:
        return
    out_root = os.path.join(HERE, "out", "substring-memory")
    os.makedirs(out_root, exist_ok=True)
    tag = f"{args.gb:g}g-{args.memory}-w{args.workers}"
    recipe = os.path.join(out_root, f"recipe-{tag}.yaml")
    out_dir = os.path.join(out_root, f"run-{tag}")
    with open(recipe, "w") as f:
        f.write(
            f"name: substring-memory\n"
            f"input:  {{ path: \"{corpus}/*.jsonl\", format: jsonl }}\n"
            f"output: {{ path: {out_dir}, format: jsonl }}\n"
            f"memory: {args.memory}\n"
            f"stages: [ {{ substring_dedup: {{ min_bytes: {args.min_bytes} }} }} ]\n")
    cmd = [args.winnow, "run", recipe, "--workers", str(args.workers), "--overwrite"]
    load_before = os.getloadavg()
    result_json = os.path.join(out_root, f"measure-{tag}.json")
    subprocess.run([sys.executable, os.path.join(HERE, "measure.py"), "--json", result_json,
                    "--log", os.path.join(out_root, f"run-{tag}.log"), "--"] + cmd, check=True)
    load_after = os.getloadavg()
    with open(result_json) as f:
        m = json.load(f)
    # Planted spans still present in the output (each should be gone from its later copy; the
    # first copy is in an earlier document, so count occurrences over the whole output).
    remaining = 0
    if m.get("exit_code") == 0:
        output = []
        data_dir = os.path.join(out_dir, "data")
        for name in sorted(os.listdir(data_dir)):
            with open(os.path.join(data_dir, name), encoding="utf-8") as f:
                for line in f:
                    output.append(json.loads(line)["text"])
        joined = "\x00".join(output)
        sample = planted[:: max(1, len(planted) // 200)]
        remaining = sum(1 for s in sample if joined.count(s) > 1)
        checked = len(sample)
    else:
        checked = 0
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(cmd),
        "input_text_bytes": text_bytes,
        "peak_tree_pss_mb": m["peak_tree_pss_mb"],
        "max_rss_mb": m["max_rss_mb"],
        "pss_bytes_per_input_byte": round(m["peak_tree_pss_mb"] * 2**20 / text_bytes, 2),
        "rss_bytes_per_input_byte": round(m["max_rss_mb"] * 2**20 / text_bytes, 2),
        "wall_seconds": m["wall_seconds"],
        "cpu_seconds": round(m["user_seconds"] + m["sys_seconds"], 1),
        "exit_code": m["exit_code"],
        "load_average_before_after": [round(x, 2) for x in load_before + load_after],
        "planted_checked": checked,
        "planted_still_repeated": remaining,
    }
    with open(os.path.join(out_root, f"report-{tag}.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
