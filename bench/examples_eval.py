#!/usr/bin/env python3
"""In-context example selection on TREC and SST-2: does the majority label of the k chosen
demonstrations predict the test label, and does every selection respect its token budget?

For each test item, `winnow examples --queries` picks k demonstrations from the train pool
(knn, mmr, bm25; random as the baseline, mean of 3 seeds), with and without a token budget.
The prediction is the majority label of the chosen demonstrations (ties: the label of the most
similar among the tied). Budgets are checked again here, independently: whitespace tokens of
"input\\noutput" recomputed in Python, and one WordPiece-budget run recounted with the Hugging
Face `tokenizers` library. A sentence-transformers kNN (same model, numpy cosine) is the peer:
its accuracy and its agreement with winnow's kNN picks are reported.

    swift build -c release --product winnow
    bench/.venv/bin/python bench/examples_eval.py            # writes bench/out/examples/results.md
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "classification")

DATASETS = {
    # name: (train file, test file, encoding, parser, whitespace budget)
    "trec": ("TREC.train", "TREC.test", "latin-1", "trec", 60),
    "sst2": ("stsa.binary.train", "stsa.binary.test", "utf-8", "sst", 100),
}


def read(path, encoding, kind):
    rows = []
    with open(path, encoding=encoding) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            head, text = line.split(" ", 1)
            label = head.split(":")[0] if kind == "trec" else head
            rows.append({"input": text, "output": label, "label": label})
    return rows


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def majority(examples):
    counts = collections.Counter(e.get("label") for e in examples)
    if not counts:
        return None
    best = max(counts.values())
    for e in reversed(examples):  # prompt order: most similar last
        if counts[e.get("label")] == best:
            return e.get("label")


def run_winnow(winnow, pool, queries, method, k, budget, tokenizer, seed, cache):
    cmd = [winnow, "examples", "--pool", pool, "--queries", queries, "--k", str(k), "--method", method,
           "--tokenizer", tokenizer, "--seed", str(seed), "--cache", cache]
    if budget is not None:
        cmd += ["--budget", str(budget)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - t0
    return [json.loads(line) for line in out.splitlines()], seconds, " ".join(os.path.relpath(c, ROOT) if os.path.exists(c) else c for c in cmd)


def check_budget(selections, budget, count):
    """Count selections over budget, by winnow's totals and by an independent recount."""
    violations = 0
    for s in selections:
        recount = sum(count(e["input"] + "\n" + e["output"]) for e in s["examples"])
        if recount != s["total_tokens"] or any(count(e["input"] + "\n" + e["output"]) != e["tokens"] for e in s["examples"]):
            violations += 1
        elif budget is not None and recount > budget:
            violations += 1
    return violations


def evaluate(selections, tests):
    correct = sum(1 for s, t in zip(selections, tests) if majority(s["examples"]) == t["label"])
    return correct / len(tests)


def peer_knn(train, tests, k, model_dir):
    """sentence-transformers + numpy cosine top-k (no budget), skipping exact duplicates."""
    import numpy as np
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(model_dir, device="cpu")
    t0 = time.perf_counter()
    pool = model.encode([r["input"] for r in train], batch_size=64, normalize_embeddings=True)
    queries = model.encode([t["input"] for t in tests], batch_size=64, normalize_embeddings=True)
    scores = queries @ pool.T
    picks = []
    for q, t in enumerate(tests):
        order = np.argsort(-scores[q], kind="stable")
        chosen = []
        seen = set()
        for i in order:
            key = train[i]["input"].strip()
            if key == t["input"].strip() or key in seen:
                continue
            seen.add(key)
            chosen.append(int(i))
            if len(chosen) == k:
                break
        picks.append(chosen)
    seconds = time.perf_counter() - t0
    return picks, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--winnow", default=os.path.join(ROOT, ".build/release/winnow"))
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench/out/examples"))
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--no-peer", action="store_true", help="skip the sentence-transformers kNN peer")
    args = parser.parse_args()
    if not os.path.isdir(DATA):
        sys.exit(f"missing {DATA} (the shared evaluation data)")
    os.makedirs(args.out, exist_ok=True)
    cache = os.path.join(args.out, "cache.sqlite")
    model_dir = os.path.join(ROOT, "models/all-MiniLM-L6-v2")
    whitespace = lambda text: len(text.split())
    wordpiece = None
    try:
        from tokenizers import Tokenizer
        hf = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        hf.no_truncation()
        hf.no_padding()
        wordpiece = lambda text: len(hf.encode(text, add_special_tokens=False).ids)
    except Exception as e:  # noqa: BLE001 - the recount is optional
        print(f"(no WordPiece recount: {e})", file=sys.stderr)

    lines = ["| data | method | budget (tokens) | accuracy | vs random | mean demos | mean tokens | over budget | time (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    commands = []
    summary = {}
    for name in args.datasets:
        train_file, test_file, encoding, kind, budget = DATASETS[name]
        train = read(os.path.join(DATA, train_file), encoding, kind)
        tests = read(os.path.join(DATA, test_file), encoding, kind)
        pool = os.path.join(args.out, f"{name}-pool.jsonl")
        queries = os.path.join(args.out, f"{name}-queries.jsonl")
        write_jsonl(pool, train)
        write_jsonl(queries, [{"id": str(i), "query": t["input"]} for i, t in enumerate(tests)])
        # Embed the pool once (fills the cache) so the timings below are selection + query embedding.
        run_winnow(args.winnow, pool, queries, "knn", args.k, None, "whitespace", 0, cache)
        results = {}
        for b in (None, budget):
            random_runs = [run_winnow(args.winnow, pool, queries, "random", args.k, b, "whitespace", seed, cache) for seed in (0, 1, 2)]
            rand_acc = sum(evaluate(r[0], tests) for r in random_runs) / 3
            rows = [("random (3 seeds)", random_runs)]
            for method in ("knn", "mmr", "bm25"):
                rows.append((method, [run_winnow(args.winnow, pool, queries, method, args.k, b, "whitespace", 0, cache)]))
            for method, runs in rows:
                acc = sum(evaluate(r[0], tests) for r in runs) / len(runs)
                selections = [s for r in runs for s in r[0]]
                over = check_budget(selections, b, whitespace)
                demos = sum(len(s["examples"]) for s in selections) / len(selections)
                tokens = sum(s["total_tokens"] for s in selections) / len(selections)
                seconds = sum(r[1] for r in runs) / len(runs)
                delta = "" if method.startswith("random") else f"{100 * (acc - rand_acc):+.1f}"
                lines.append(f"| {name} ({len(tests)} test, {len(train)} pool) | {method} | {b if b else '—'} (whitespace) | "
                             f"{100 * acc:.1f} % | {delta} | {demos:.2f} | {tokens:.1f} | {over} | {seconds:.2f} |")
                results[(method, b)] = acc
                commands.append(runs[0][2])
        if wordpiece is not None:
            wp_budget = budget + budget // 2
            sel, seconds, cmd = run_winnow(args.winnow, pool, queries, "knn", args.k, wp_budget, "wordpiece", 0, cache)
            over = check_budget(sel, wp_budget, wordpiece)
            acc = evaluate(sel, tests)
            demos = sum(len(s["examples"]) for s in sel) / len(sel)
            tokens = sum(s["total_tokens"] for s in sel) / len(sel)
            lines.append(f"| {name} | knn | {wp_budget} (WordPiece, recounted with HF tokenizers) | {100 * acc:.1f} % | "
                         f"{100 * (acc - results[('random (3 seeds)', None)]):+.1f} | {demos:.2f} | {tokens:.1f} | {over} | {seconds:.2f} |")
            commands.append(cmd)
        if not args.no_peer:
            picks, seconds = peer_knn(train, tests, args.k, model_dir)
            ours, _, _ = run_winnow(args.winnow, pool, queries, "knn", args.k, None, "whitespace", 0, cache)
            same = sum(1 for p, s in zip(picks, ours) if set(p) == {e["index"] for e in s["examples"]})
            overlap = sum(len(set(p) & {e["index"] for e in s["examples"]}) for p, s in zip(picks, ours)) / (args.k * len(tests))
            acc = sum(1 for p, t in zip(picks, tests) if majority([train[i] for i in reversed(p)]) == t["label"]) / len(tests)
            lines.append(f"| {name} | peer: sentence-transformers kNN | — | {100 * acc:.1f} % | "
                         f"{100 * (acc - results[('random (3 seeds)', None)]):+.1f} | {args.k:.2f} | — | — | {seconds:.2f} (pool + queries) |")
            summary[name] = {"identical_sets": same, "tests": len(tests), "overlap": overlap}
        print(f"{name}: done", file=sys.stderr)

    report = "\n".join(lines)
    report += "\n\nkNN agreement with the sentence-transformers peer (same top-k set; mean overlap of the k picks):\n"
    for name, s in summary.items():
        report += f"- {name}: {s['identical_sets']}/{s['tests']} identical sets, {100 * s['overlap']:.1f} % of picks shared\n"
    report += "\nCommands (one per row, first seed for random):\n" + "\n".join(f"    {c}" for c in dict.fromkeys(commands)) + "\n"
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
