#!/usr/bin/env python3
"""Where the quality-rule stages spend their time on one long and one short document.

    python3 bench/rules_profile.py [--winnow .build-release/release/winnow] [--repeat 9]
        [--long bench/data/long-corpus.jsonl] [--text bench/data/text-corpus.jsonl]

Picks, by a fixed rule, documents of four shapes: from the long corpus (bench/make_long_corpus.py)
the copyright-style, natural and repeated-section documents closest to 2 MB; from the text corpus
(bench/make_text_corpus.py) the natural documents of 3.5–4.5 KB (all of them). Each set runs
through Winnow (one worker) twice: the four stages in FineWeb's order (the per-stage seconds of
stats.json: stages after the first reuse its word tokens) and each stage alone (its whole cost,
tokenisation included). Each long document is repeated --repeat times with new ids so that the
run's fixed cost is small against the work. Prints milliseconds per document and the verdicts;
for a function-level picture run the same recipe under `perf record` (the recipes are left in
bench/out/rules-profile/).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAGES = ["gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality"]


def pick(args) -> dict[str, list[dict]]:
    sets: dict[str, list[dict]] = {}
    best: dict[str, tuple[int, dict]] = {}
    with open(args.long, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            kind = d["metadata"]["kind"]
            if kind == "copyright" and d["text"].startswith("THIRD-PARTY"):
                continue  # the notices shape drops at once on duplicate paragraphs
            gap = abs(len(d["text"].encode()) - 2_000_000)
            if kind not in best or gap < best[kind][0]:
                best[kind] = (gap, d)
    for kind, (_, d) in sorted(best.items()):
        sets[f"2MB-{kind}"] = [{"id": f"{d['id']}#{i}", "text": d["text"]} for i in range(args.repeat)]
    short = []
    with open(args.text, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if 3500 <= len(d["text"].encode()) <= 4500:
                short.append({"id": d["id"], "text": d["text"]})
    sets["4KB-natural"] = short
    return sets


def run(winnow: str, folder: Path, name: str, stages: list[str]) -> dict:
    recipe = folder / f"{name}.yaml"
    out = folder / f"out-{name}"
    recipe.write_text(
        f"name: {name}\ninput: {{ path: \"{folder}/input-{name.split('.')[0]}.jsonl\", format: jsonl }}\n"
        f"output: {{ path: {out}, format: jsonl }}\nstages:\n" + "".join(f"  - {s}: {{}}\n" for s in stages))
    if out.exists():
        shutil.rmtree(out)
    subprocess.run([winnow, "run", str(recipe), "--workers", "1"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((out / "stats.json").read_text())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--winnow", default=str(REPO / ".build-release/release/winnow"))
    ap.add_argument("--long", default=str(REPO / "bench/data/long-corpus.jsonl"))
    ap.add_argument("--text", default=str(REPO / "bench/data/text-corpus.jsonl"))
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    folder = REPO / "bench/out/rules-profile"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    print(f"{'input':22s} {'docs':>5s} {'stage':18s} {'ms/doc in pipeline':>19s} {'ms/doc alone':>13s}  verdicts in the pipeline")
    for name, docs in pick(args).items():
        with open(folder / f"input-{name}.jsonl", "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        pipe = run(args.winnow, folder, name, STAGES)
        per_stage = {s["stage"]: s for s in pipe["stages"]}
        for st in STAGES:
            alone = {s["stage"]: s for s in run(args.winnow, folder, f"{name}.{st}", [st])["stages"]}[st]
            p = per_stage[st]
            ms_p = 1000 * p["seconds"] / p["in"] if p["in"] else float("nan")
            ms_a = 1000 * alone["seconds"] / alone["in"]
            verdicts = ", ".join(f"{k} {v}" for k, v in sorted(p["dropped"].items())) or "-"
            print(f"{name:22s} {len(docs):5d} {st:18s} {ms_p:19.2f} {ms_a:13.2f}  in {p['in']}, kept {p['kept']}; {verdicts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
