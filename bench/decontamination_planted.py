#!/usr/bin/env python3
"""Decontamination on planted contamination: recall, false positives, span cuts, memory.

    python3 bench/decontamination_planted.py [--winnow .build/debug/winnow]

Benchmarks (real): GSM8K test (../shared/data/qa/gsm8k/test.jsonl, fields question + answer) and
NQ-open (../shared/data/qa/nq-open/nq-open-oracle.jsonl.gz, fields question + ctxs.text, the gold
passage). Clean documents (real): the wikitext-2 test articles (split at ` = Title = ` lines,
those over 2,000 characters) and the Gutenberg texts pg3261/pg9198 in chunks of 400 lines.

Planting, as Tests/WinnowDedupTests/DecontaminationPlantedTests.swift does: every 10th item of
each benchmark goes into a copy of a clean document (host i·7 mod count) at the first blank line
after its middle, cycling through three kinds: verbatim (the item's fields joined with a
newline), partial (16 consecutive whitespace tokens that contain a letter or digit, from the
item's middle: ≥ 13 words), paraphrase (every 6th such token replaced by "something"; usually
no 13-gram survives, so these measure what exact n-grams do not catch). Clean documents go in
unchanged.

It runs `winnow decontaminate` twice (mode drop, mode cut with min_remaining_chars 100) and
reports: recall per kind and benchmark, flagged clean documents (false positives), the report's
per-benchmark counts, and for cut mode whether every cut document keeps the clean text before and
after the plant byte for byte with no planted word left. Memory: the index's bytes per n-gram
from decontamination.json, and the peak RSS of a run over the same corpus with a larger index
(GSM8K train + test + NQ-open) minus that of a run with a one-item benchmark.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
GSM8K = os.path.join(DATA, "qa", "gsm8k", "test.jsonl")
GSM8K_TRAIN = os.path.join(DATA, "qa", "gsm8k", "train.jsonl")
NQ = os.path.join(DATA, "qa", "nq-open", "nq-open-oracle.jsonl.gz")
WIKITEXT = os.path.join(DATA, "text", "wikitext-2-raw", "wiki.test.raw")
GUTENBERG = [os.path.join(DATA, "text", "gutenberg-gitenberg", p) for p in ("pg3261.txt", "pg9198.txt")]


def items(path, fields):
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            parts = []
            for field in fields:
                a, _, b = field.partition(".")
                if b and isinstance(obj.get(a), list):
                    parts += [x[b] for x in obj[a] if isinstance(x.get(b), str)]
                elif isinstance(obj.get(field), str):
                    parts.append(obj[field])
            out.append("\n".join(parts))
    return out


def clean_documents():
    docs, current = [], ""
    for line in open(WIKITEXT, encoding="utf-8", newline="").read().split("\n"):
        if line.startswith(" = ") and not line.startswith(" = = "):
            if len(current) > 2000:
                docs.append(current)
            current = ""
        current += line + "\n"
    if len(current) > 2000:
        docs.append(current)
    for path in GUTENBERG:
        lines = open(path, encoding="utf-8", newline="").read().split("\n")
        for start in range(0, len(lines), 400):
            docs.append("\n".join(lines[start:start + 400]))
    return docs


def plant():
    clean = clean_documents()
    docs = [dict(id=f"clean-{i}", text=t, kind="clean", benchmark="", item="", prefix=t, suffix="") for i, t in enumerate(clean)]
    host = 0
    for name, its in (("gsm8k", items(GSM8K, ["question", "answer"])), ("nq_open", items(NQ, ["question", "ctxs.text"]))):
        for k, item in enumerate(its):
            if k % 10:
                continue
            kind = ("verbatim", "partial", "paraphrase")[(k // 10) % 3]
            tokens = [t for t in item.replace("\n", " ").split(" ") if any(c.isalnum() for c in t)]
            if kind == "verbatim":
                planted = item
            elif kind == "partial":
                if len(tokens) < 20:
                    continue
                s = (len(tokens) - 16) // 2
                planted = " ".join(tokens[s:s + 16])
            else:
                planted = " ".join("something" if i % 6 == 5 else t for i, t in enumerate(tokens))
            text = clean[host % len(clean)].encode()
            host += 7
            cut = len(text) // 2
            while cut < len(text) - 1 and not (text[cut] == 10 and text[cut + 1] == 10):
                cut += 1
            prefix = text[:cut].decode() + "\n\n"
            suffix = "\n\n" + text[cut:].decode()
            docs.append(dict(id=f"{name}-{k}-{kind}", text=prefix + planted + suffix, kind=kind, benchmark=name,
                             item=f"line {k + 1}", prefix=prefix, suffix=suffix))
    return docs


def run(winnow, inp, out, mode, benchmarks):
    args = [winnow, "decontaminate", inp, "--output", out, "--mode", mode, "--min-remaining-chars", "100",
            "--keep-removed", "--output-format", "jsonl", "--overwrite", "--quiet", "--workers", "2"]
    for name, path, fields in benchmarks:
        args += ["--benchmark", f"{name}={path}", "--fields", f"{name}={','.join(fields)}"]
    # The child's peak RSS (KiB), measured by a wrapper process of its own.
    wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    rss = int(subprocess.run([sys.executable, "-c", wrapper] + args, check=True, capture_output=True, text=True).stdout.split()[-1])
    result = {}
    for sub in ("data", "removed/contaminated"):
        folder = os.path.join(out, sub)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            for line in open(os.path.join(folder, name), encoding="utf-8"):
                d = json.loads(line)
                result[d["id"]] = (sub, d)
    report = json.load(open(os.path.join(out, "decontamination.json")))
    return result, report, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "debug", "winnow"))
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "winnow-decont-bench"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    docs = plant()
    inp = os.path.join(args.work, "planted.jsonl")
    with open(inp, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
    kinds = {}
    for d in docs:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    print(f"documents: {len(docs)} ({', '.join(f'{k} {v}' for k, v in kinds.items())})")
    benchmarks = [("gsm8k", GSM8K, ["question", "answer"]), ("nq_open", NQ, ["question", "ctxs.text"])]
    failed = False
    for mode in ("drop", "cut"):
        result, report, _ = run(args.winnow, inp, os.path.join(args.work, "run-" + mode), mode, benchmarks)
        found = {}
        total = {}
        cut_ok = cut_n = reached = 0
        for d in docs:
            sub, out = result[d["id"]]
            flagged = sub != "data" or "decontaminated_items" in out.get("metadata", {})
            key = (d["kind"], d["benchmark"])
            total[key] = total.get(key, 0) + 1
            found[key] = found.get(key, 0) + (1 if flagged else 0)
            if mode == "cut" and sub == "data" and d["kind"] in ("verbatim", "partial"):
                cut_n += 1
                before, after = d["text"].encode(), out["text"].encode()
                head = 0
                while head < len(after) and after[head] == before[head]:
                    head += 1
                tail = 0
                while tail < len(after) - head and after[-1 - tail] == before[-1 - tail]:
                    tail += 1
                p0, p1 = len(d["prefix"].encode()), len(before) - len(d["suffix"].encode())
                left = before[p0:max(p0, min(p1, head))] + before[min(p1, max(p0, len(before) - tail)):p1]
                if head + tail == len(after) and not any(c.isalnum() for c in left.decode("utf-8", "replace")):
                    cut_ok += 1
                if head < p0 - 2 or len(before) - tail > p1 + 2:
                    reached += 1
        print(f"\nmode {mode}:")
        for key in sorted(total):
            r = found.get(key, 0) / total[key]
            print(f"  {key[0]:10} {key[1] or '-':8} found {found.get(key, 0):4}/{total[key]:4} ({100 * r:.1f} %)")
            if key[0] in ("verbatim", "partial") and r < 1 or key[0] == "clean" and found.get(key, 0):
                failed = True
        for b in report["benchmarks"]:
            print(f"  report {b['name']}: {b['items_found']} of {b['items']} items found in {b['documents']} documents")
        if mode == "cut":
            print(f"  cut documents kept: {cut_ok}/{cut_n} cut in one region, the rest byte-identical, no planted word left; "
                  f"{reached} cuts reach past the plant into the host text (a neighbouring word that also continues the item's n-gram)")
            failed |= cut_ok != cut_n
        idx = report["index"]
        print(f"  index: {idx['ngrams']} n-grams, {idx['bytes']} bytes ({idx['bytes'] / idx['ngrams']:.1f} bytes per n-gram)")
    # Memory: a large index against a one-item index, same corpus, peak RSS of the child.
    tiny = os.path.join(args.work, "tiny.txt")
    with open(tiny, "w") as f:
        f.write("one two three four five six seven eight nine ten eleven twelve thirteen\n")
    big = [("gsm8k_train", GSM8K_TRAIN, ["question", "answer"])] + benchmarks
    _, small_report, small_rss = run(args.winnow, inp, os.path.join(args.work, "run-tiny"), "drop", [("tiny", tiny, ["text"])])
    _, big_report, big_rss = run(args.winnow, inp, os.path.join(args.work, "run-big"), "drop", big)
    idx = big_report["index"]
    print(f"\nmemory: index of {idx['ngrams']} n-grams = {idx['bytes']} bytes ({idx['bytes'] / idx['ngrams']:.1f} B/n-gram by count)")
    if small_rss and big_rss:
        delta = (big_rss - small_rss) * 1024
        print(f"  peak RSS {big_rss / 1024:.1f} MiB vs {small_rss / 1024:.1f} MiB with a one-item benchmark: "
              f"+{delta / 2**20:.1f} MiB = {delta / idx['ngrams']:.1f} B per n-gram (includes the build's temporary arrays)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
