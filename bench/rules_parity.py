"""Quality-rule parity: datatrove's GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and
FineWebQualityFilter (defaults) against winnow's gopher_quality, gopher_repetition, c4_quality and
fineweb_quality stages (defaults, release binary) on the same documents, one filter at a time.

    bench/.venv/bin/python bench/rules_parity.py [--corpus bench/data/text-corpus.jsonl]
        [--winnow .build/release/winnow] [--limit N] [--show 5]

Reports per filter: keep/drop agreement, drop-reason agreement on documents both drop, C4's
rewritten-text agreement on documents both keep, and the disagreements by class
(ours→theirs reason). Writes bench/out/rules-parity/report.json.
"""
import argparse
import collections
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys
import time

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

FILTERS = [
    ("gopher_repetition", GopherRepetitionFilter),
    ("gopher_quality", GopherQualityFilter),
    ("c4_quality", C4QualityFilter),
    ("fineweb_quality", FineWebQualityFilter),
]


def run_datatrove(name, cls, docs):
    f = cls()
    out = {}
    t0 = time.perf_counter()
    for d in docs:
        doc = Document(text=d["text"], id=d["id"])
        try:
            r = f.filter(doc)
        except Exception as e:  # datatrove raises on some inputs (e.g. division by zero)
            out[d["id"]] = ("error", type(e).__name__, None)
            continue
        if r is True or r == 1:
            out[d["id"]] = ("keep", None, doc.text)
        elif isinstance(r, tuple):
            out[d["id"]] = ("drop", r[1], None)
        else:
            out[d["id"]] = ("drop", "", None)
    return out, time.perf_counter() - t0


def read_jsonl_any(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def run_winnow(name, winnow, corpus, workdir):
    outdir = os.path.join(workdir, name)
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    recipe = os.path.join(workdir, name + ".yaml")
    with open(recipe, "w") as fh:
        fh.write(
            f"name: parity-{name}\n"
            f"input: {{ path: \"{corpus}\", format: jsonl }}\n"
            f"output: {{ path: {outdir}, format: jsonl, keep_removed: true }}\n"
            f"workers: 2\n"
            f"stages:\n  - {name}: {{}}\n"
        )
    t0 = time.perf_counter()
    subprocess.run([winnow, "run", recipe], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    out = {}
    for p in sorted(glob.glob(os.path.join(outdir, "data", "*.jsonl*"))):
        for d in read_jsonl_any(p):
            out[d["id"]] = ("keep", None, d["text"])
    for p in sorted(glob.glob(os.path.join(outdir, "removed", "*", "*.jsonl*"))):
        for d in read_jsonl_any(p):
            out[d["id"]] = ("drop", d.get("metadata", {}).get("winnow_reason"), None)
    return out, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="bench/data/text-corpus.jsonl")
    ap.add_argument("--winnow", default=".build/release/winnow")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--cache", action="store_true",
                    help="reuse datatrove's verdicts from bench/out/rules-parity/datatrove-<filter>.json when the corpus is unchanged")
    args = ap.parse_args()

    workdir = "bench/out/rules-parity"
    os.makedirs(workdir, exist_ok=True)
    corpus = args.corpus
    docs = list(read_jsonl_any(corpus))
    if args.limit:
        docs = docs[: args.limit]
        corpus = os.path.join(workdir, "corpus.jsonl")
        with open(corpus, "w") as fh:
            for d in docs:
                fh.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
    ids = [d["id"] for d in docs]
    assert len(set(ids)) == len(ids), "document ids must be unique"
    by_id = {d["id"]: d for d in docs}
    report = {"corpus": args.corpus, "documents": len(docs), "filters": {}}
    print(f"corpus: {args.corpus} ({len(docs)} documents)")
    print(f"{'filter':<18} {'keep/drop agree':>16} {'reason agree':>14} {'text agree':>11}  dt drops  ours drops")
    for name, cls in FILTERS:
        if args.only and name != args.only:
            continue
        cache = os.path.join(workdir, f"datatrove-{name}.json")
        stamp = [os.path.getsize(corpus), len(docs)]
        theirs = None
        if args.cache and os.path.exists(cache):
            c = json.load(open(cache))
            if c.get("stamp") == stamp:
                theirs, t_dt = {k: tuple(v) for k, v in c["verdicts"].items()}, c["seconds"]
        if theirs is None:
            theirs, t_dt = run_datatrove(name, cls, docs)
            json.dump({"stamp": stamp, "seconds": t_dt, "verdicts": theirs}, open(cache, "w"))
        ours, t_w = run_winnow(name, args.winnow, corpus, workdir)
        agree = 0
        both_drop = 0
        reason_agree = 0
        both_keep = 0
        text_agree = 0
        classes = collections.Counter()
        examples = collections.defaultdict(list)
        for i in ids:
            t = theirs[i]
            o = ours.get(i, ("missing", None, None))
            if (t[0] == "keep") == (o[0] == "keep") and o[0] != "missing":
                agree += 1
                if t[0] == "drop":
                    both_drop += 1
                    if t[1] == o[1]:
                        reason_agree += 1
                    else:
                        cls_ = f"reason: ours {o[1]} / datatrove {t[1]}"
                        classes[cls_] += 1
                        examples[cls_].append(i)
                else:
                    both_keep += 1
                    if t[2] == o[2]:
                        text_agree += 1
                    else:
                        classes["text differs (both keep)"] += 1
                        examples["text differs (both keep)"].append(i)
            else:
                cls_ = f"ours {o[0]}:{o[1]} / datatrove {t[0]}:{t[1]}"
                classes[cls_] += 1
                examples[cls_].append(i)
        n = len(ids)
        dt_drops = sum(1 for i in ids if theirs[i][0] != "keep")
        our_drops = sum(1 for i in ids if ours.get(i, ("missing",))[0] == "drop")
        ka = agree / n
        ra = reason_agree / both_drop if both_drop else 1.0
        ta = text_agree / both_keep if both_keep else 1.0
        print(f"{name:<18} {ka:>15.2%} {ra:>13.2%} {ta:>10.2%}  {dt_drops:>8}  {our_drops:>10}")
        for c, k in classes.most_common():
            print(f"    {k:>4} × {c}   e.g. {', '.join(examples[c][: args.show])}")
        report["filters"][name] = {
            "keep_drop_agreement": ka,
            "reason_agreement_on_common_drops": ra,
            "text_agreement_on_common_keeps": ta,
            "datatrove_drops": dt_drops,
            "winnow_drops": our_drops,
            "disagreements": dict(classes),
            "examples": {c: v[:20] for c, v in examples.items()},
            "datatrove_seconds": t_dt,
            "winnow_wall_seconds": t_w,
        }
    with open(os.path.join(workdir, "report.json"), "w") as fh:
        json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
