#!/usr/bin/env python3
"""Selection proxy for DSIR: does a 3-gram Kneser-Ney model trained on a DSIR-selected subset of
the raw pool model held-out WikiText better than one trained on a random subset of equal size?

Data (bench/make_dsir_pool.py): the mixed pool, the WikiText-2 *target* articles (even-numbered)
and the *held-out* articles (odd-numbered; disjoint from the target).

1. `winnow select --method dsir` picks --count documents toward the target (Gumbel top-k, seed 0;
   and the plain top-k with --no-noise).
2. Random baselines: pool documents in a seeded random order, taken until they hold as many words
   as the DSIR subset (token-matched, so the DSIR subset is not favoured by size), for --seeds.
3. `winnow lm train --order 3` on each subset; `winnow lm score` on the held-out text.
   Perplexity = 10^(−Σ log10 p / Σ tokens) over the held-out file (OOV words scored as <unk>).
   With the kenlm module, the same ARPA files are also scored per word to report the OOV rate
   and the perplexity over in-vocabulary words only.

Usage: bench/.venv/bin/python bench/dsir_proxy.py [--count 2000] [--seeds 1 2 3] [--winnow .build/release/winnow]
"""
import argparse
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data", "dsir")
OUT = os.path.join(HERE, "out", "dsir-proxy")


def words(text):
    return len(text.split())


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, docs):
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")


def train_and_score(args, name, subset_path):
    model = f"{OUT}/{name}.arpa"
    subprocess.run([args.winnow, "lm", "train", "--input", subset_path, "--order", "3", "--output", model,
                    "--discount-fallback", "--quiet"], check=True)
    out = subprocess.run([args.winnow, "lm", "score", "--input", args.heldout, "--model", model, "--quiet"],
                         check=True, capture_output=True, text=True).stdout
    logp = tokens = 0
    for line in out.splitlines():
        r = json.loads(line)
        logp += r["log10_prob"]
        tokens += r["tokens"]
    result = {"perplexity": 10 ** (-logp / tokens), "heldout_tokens": tokens}
    try:
        import kenlm
    except ImportError:
        return result
    # Per-word scores of the same model with kenlm on lowercased held-out lines (an approximation
    # of Winnow's cc_net normalisation, enough to see the OOV rate of each model).
    lm = kenlm.Model(model)
    oov = n = 0
    iv_logp = 0.0
    iv_n = 0
    with open(args.heldout, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            for logprob, _, is_oov in lm.full_scores(line.lower()):
                n += 1
                if is_oov:
                    oov += 1
                else:
                    iv_logp += logprob
                    iv_n += 1
    result["oov_rate_kenlm_lowercased"] = oov / max(1, n)
    result["perplexity_in_vocabulary_kenlm_lowercased"] = 10 ** (-iv_logp / max(1, iv_n))
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "release", "winnow"))
    ap.add_argument("--pool", default=os.path.join(DATA, "pool.jsonl"))
    ap.add_argument("--target", default=os.path.join(DATA, "wikitext-target.jsonl"))
    ap.add_argument("--heldout", default=os.path.join(DATA, "wikitext-heldout.txt"))
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    pool = read_jsonl(args.pool)
    rows = []

    for name, extra in (("dsir-gumbel", []), ("dsir-topk", ["--no-noise"])):
        path = f"{OUT}/{name}.jsonl"
        subprocess.run([args.winnow, "select", "--method", "dsir", "--target", args.target, "--input", args.pool,
                        "--count", str(args.count), "--seed", "0", "--output", path, "--overwrite", "--quiet"] + extra,
                       check=True)
        docs = read_jsonl(path)
        row = {"subset": name, "docs": len(docs), "words": sum(words(d["text"]) for d in docs)}
        by = {}
        for d in docs:
            src = d.get("source") or d["metadata"]["source"]
            by[src] = by.get(src, 0) + 1
        row["sources"] = dict(sorted(by.items()))
        row.update(train_and_score(args, name, path))
        rows.append(row)
        print(json.dumps(row), flush=True)

    target_words = rows[0]["words"]
    for seed in args.seeds:
        order = list(range(len(pool)))
        random.Random(seed).shuffle(order)
        chosen, total = [], 0
        for i in order:
            if total >= target_words:
                break
            chosen.append(pool[i])
            total += words(pool[i]["text"])
        name = f"random-seed{seed}"
        path = f"{OUT}/{name}.jsonl"
        write_jsonl(path, chosen)
        by = {}
        for d in chosen:
            by[d["source"]] = by.get(d["source"], 0) + 1
        row = {"subset": name, "docs": len(chosen), "words": total, "sources": dict(sorted(by.items()))}
        row.update(train_and_score(args, name, path))
        rows.append(row)
        print(json.dumps(row), flush=True)

    print("\n| subset | documents | words | held-out perplexity |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['subset']} | {r['docs']:,} | {r['words']:,} | {r['perplexity']:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
