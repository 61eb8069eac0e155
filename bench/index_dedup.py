#!/usr/bin/env python3
"""Dedup against an existing corpus (issue 21 item 2): `winnow index build` over an "old" half,
then a run with `exact_dedup` and `minhash_dedup` given that index over a "new" half.

    python3 bench/index_dedup.py                      # real paragraphs (../shared/data), 3 runs
    python3 bench/index_dedup.py --synthetic 200000   # + a seeded synthetic corpus of that size
    RUNS=1 WINNOW=.build/debug/winnow python3 bench/index_dedup.py

Data: documents are paragraphs of wikitext-2 (test) and ~150-word chunks of two Gutenberg books
from ../shared/data/text (or, with --synthetic N, N seeded pseudo-word documents drawn from that
text's vocabulary). They are shuffled (seed 21) and cut in halves. The new half gets planted:
  cross_exact  copies of old documents, case changed or spacing doubled (equal after normalising)
  cross_near   copies of old documents with one word replaced and two appended (Jaccard ~0.9)
  new_copy     exact and near copies of new documents (dedup inside new, as without an index)
Reported: recall of cross duplicates (dropped with an *_of_index reason), false drops (a unique
new document or an original of a new copy dropped, or a new copy dropped with an index reason),
and wall time and peak RSS (bench/measure.py) of the index build and of the dedup run; medians
of RUNS runs. Standard library only. Output: a table on stdout and
bench/out/results/index-dedup-<UTC time>.json.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
SHARED = os.environ.get("SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
WINNOW = os.environ.get("WINNOW", ".build-release/release/winnow")
RUNS = int(os.environ.get("RUNS", "3"))
WORKERS = os.environ.get("WORKERS", "2")
OUT = "bench/out/index-dedup"


def real_documents() -> list[str]:
    docs = []
    wiki = os.path.join(SHARED, "text/wikitext-2-raw/wiki.test.raw")
    with open(wiki, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("=") or len(line.split()) < 40:
                continue
            docs.append(line)
    for book in ("pg3261.txt", "pg9198.txt"):
        with open(os.path.join(SHARED, "text/gutenberg-gitenberg", book), encoding="utf-8", errors="replace") as f:
            words = f.read().split()
        for i in range(0, len(words) - 150, 150):
            docs.append(" ".join(words[i:i + 150]))
    return docs


def synthetic_documents(n: int, vocabulary: list[str], rng: random.Random) -> list[str]:
    # Zipf-like draws from the real vocabulary: 60-200 words in lines of 8-16.
    weights = [1.0 / (r + 1) for r in range(len(vocabulary))]
    docs = []
    for _ in range(n):
        words = rng.choices(vocabulary, weights=weights, k=rng.randint(60, 200))
        lines, i = [], 0
        while i < len(words):
            k = rng.randint(8, 16)
            lines.append(" ".join(words[i:i + k]))
            i += k
        docs.append("\n".join(lines))
    return docs


def near_copy(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    k = rng.randrange(3, len(words) - 3)
    tail = words[k][words[k].find("\n"):] if "\n" in words[k] else ""
    words[k] = "zyxwv" + tail
    return " ".join(words) + " extra tail"


def shingles(text: str, n: int = 5) -> set[str]:
    # Close to the stage's datatrove normalisation for this text: lowercase, punctuation off.
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    return {" ".join(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def write_jsonl(path: str, docs: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for doc_id, text in docs:
            f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")


def build_corpus(name: str, docs: list[str], rng: random.Random) -> dict:
    rng.shuffle(docs)
    half = len(docs) // 2
    old, fresh = docs[:half], docs[half:]
    planted = max(10, len(old) // 20)
    new: list[tuple[str, str, str]] = [(f"new-{i}", t, "unique") for i, t in enumerate(fresh)]
    sources: dict[str, str] = {}
    for i in range(planted):
        src = old[rng.randrange(len(old))]
        t = src.upper() if i % 2 == 0 else src.replace(" ", "  ")
        new.append((f"cross-exact-{i}", t, "cross_exact"))
        near_src = old[rng.randrange(len(old))]
        new.append((f"cross-near-{i}", near_copy(near_src, rng), "cross_near"))
        sources[f"cross-near-{i}"] = near_src
    originals = rng.sample(range(len(fresh)), planted)
    for j, o in enumerate(originals):
        new[o] = (new[o][0], new[o][1], "new_original")
        t = new[o][1] if j % 2 == 0 else near_copy(new[o][1], rng)
        new.append((f"new-copy-{j}", t, "new_copy"))
    # Shuffle, but keep every copy after its original (input order decides who is kept).
    order = list(range(len(new)))
    rng.shuffle(order)
    pos = {new[i][0]: p for p, i in enumerate(order)}
    for j, o in enumerate(originals):
        a, b = pos[new[o][0]], pos[f"new-copy-{j}"]
        if a > b:
            order[a], order[b] = order[b], order[a]
            pos[new[o][0]], pos[f"new-copy-{j}"] = b, a
    new = [new[i] for i in order]
    # Old documents whose text (normalised) repeats: their copies count too, but the halves
    # are drawn from distinct paragraphs, so a unique new document matching old is rare and
    # reported as such.
    base = os.path.join(OUT, name)
    subprocess.run(["rm", "-rf", base], check=True)
    os.makedirs(base + "/old")
    os.makedirs(base + "/new")
    # Contiguous parts: input order is file order, then line order.
    parts = 4
    for p in range(parts):
        a, b = p * len(old) // parts, (p + 1) * len(old) // parts
        write_jsonl(f"{base}/old/part-{p}.jsonl", [(f"old-{i}", old[i]) for i in range(a, b)])
        a, b = p * len(new) // parts, (p + 1) * len(new) // parts
        write_jsonl(f"{base}/new/part-{p}.jsonl", [(d, t) for d, t, _ in new[a:b]])
    kinds = {d: k for d, _, k in new}
    return {"base": base, "old": len(old), "new": len(new), "kinds": kinds, "sources": sources,
            "texts": {d: t for d, t, _ in new}}


def measure(cmd: list[str], log: str) -> dict:
    out = log + ".json"
    subprocess.run([sys.executable, "bench/measure.py", "--json", out, "--log", log, "--"] + cmd, check=True,
                   stdout=subprocess.DEVNULL)
    with open(out) as f:
        m = json.load(f)
    if m.get("exit_code") != 0:
        sys.exit(f"error: {' '.join(cmd)} failed; see {log}")
    return m


def removed(run: str) -> dict[str, str]:
    out = {}
    folder = os.path.join(run, "removed")
    for reason in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        for name in sorted(os.listdir(os.path.join(folder, reason))):
            with open(os.path.join(folder, reason, name), encoding="utf-8") as f:
                for line in f:
                    out[json.loads(line)["id"]] = reason
    return out


def bench(name: str, corpus: dict) -> dict:
    base = corpus["base"]
    recipe = f"{base}/recipe.yaml"
    with open(recipe, "w") as f:
        f.write(f"""name: index-dedup-{name}
input: {{ path: "{base}/new/*.jsonl", format: jsonl }}
output: {{ path: "{base}/run", format: jsonl, keep_removed: true }}
workers: {WORKERS}
stages:
  - exact_dedup: {{ index: "{base}/index" }}
  - minhash_dedup: {{ index: "{base}/index" }}
""")
    builds, runs = [], []
    for r in range(RUNS):
        builds.append(measure([WINNOW, "index", "build", "--input", f"{base}/old/*.jsonl", "--output", f"{base}/index",
                               "--workers", WORKERS, "--overwrite", "-q"], f"{base}/build-{r}.log"))
        runs.append(measure([WINNOW, "run", recipe, "--overwrite"], f"{base}/run-{r}.log"))
    verdicts = removed(f"{base}/run")
    # The same run without the index: documents that are not cross duplicates must get the same
    # verdicts (dedup inside new works as without the index).
    with open(recipe) as f:
        plain = f.read().replace(f'{{ index: "{base}/index" }}', "{}").replace(f"{base}/run", f"{base}/run-noindex")
    with open(f"{base}/recipe-noindex.yaml", "w") as f:
        f.write(plain)
    subprocess.run([WINNOW, "run", f"{base}/recipe-noindex.yaml", "--overwrite", "-q"], check=True)
    plain_verdicts = removed(f"{base}/run-noindex")
    kinds = corpus["kinds"]
    cross = [d for d, k in kinds.items() if k.startswith("cross")]
    found = [d for d in cross if verdicts.get(d, "").endswith("_of_index")]
    by_kind = {}
    for k in ("cross_exact", "cross_near"):
        ids = [d for d in cross if kinds[d] == k]
        by_kind[k] = f"{sum(1 for d in ids if verdicts.get(d, '').endswith('_of_index'))}/{len(ids)}"
    false_unique = [d for d, k in kinds.items() if k in ("unique", "new_original") and d in verdicts]
    copies = [d for d, k in kinds.items() if k == "new_copy"]
    copies_dropped = [d for d in copies if verdicts.get(d) in ("exact_duplicate", "minhash_duplicate")]
    copies_index = [d for d in copies if verdicts.get(d, "").endswith("_of_index")]
    differ = [d for d, k in kinds.items() if not k.startswith("cross") and verdicts.get(d) != plain_verdicts.get(d)]
    med = lambda xs, key: statistics.median(x[key] for x in xs)
    cpu = lambda xs: statistics.median(x["user_seconds"] + x["sys_seconds"] for x in xs)
    # Near copies not found: their Jaccard to the source and the LSH catch probability
    # 1 - (1 - J^8)^14 of minhash_dedup's defaults.
    misses = []
    for d in cross:
        if kinds[d] == "cross_near" and d not in found:
            a, b = shingles(corpus["texts"][d]), shingles(corpus["sources"][d])
            j = len(a & b) / len(a | b)
            misses.append({"id": d, "words": len(corpus["sources"][d].split()), "jaccard": round(j, 3),
                           "p_found": round(1 - (1 - j ** 8) ** 14, 3)})
    return {
        "corpus": name, "old_documents": corpus["old"], "new_documents": corpus["new"],
        "cross_duplicates": len(cross), "cross_found": len(found), "recall": len(found) / max(1, len(cross)),
        "recall_by_kind": by_kind,
        "false_drops_unique": len(false_unique), "false_drop_ids": false_unique[:10],
        "new_copies": len(copies), "new_copies_dropped_as_within_new": len(copies_dropped),
        "new_copies_dropped_with_index_reason": len(copies_index),
        "near_misses": misses, "non_cross_verdicts_differing_from_no_index_run": len(differ), "differing_ids": differ[:10],
        "build_seconds": med(builds, "wall_seconds"), "build_cpu_seconds": cpu(builds), "build_max_rss_mb": med(builds, "max_rss_mb"),
        "run_seconds": med(runs, "wall_seconds"), "run_cpu_seconds": cpu(runs), "run_max_rss_mb": med(runs, "max_rss_mb"),
    }


def main() -> None:
    synthetic = 0
    if "--synthetic" in sys.argv:
        synthetic = int(sys.argv[sys.argv.index("--synthetic") + 1])
    if not os.access(WINNOW, os.X_OK):
        sys.exit(f"error: no winnow binary at {WINNOW} (swift build -c release --scratch-path .build-release, or set WINNOW=)")
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(21)
    docs = real_documents()
    results = [bench("real", build_corpus("real", list(docs), rng))]
    if synthetic:
        vocab = sorted({w for d in docs for w in re.findall(r"[A-Za-z]+", d)})
        results.append(bench(f"synthetic-{synthetic}", build_corpus(f"synthetic-{synthetic}", synthetic_documents(synthetic, vocab, rng), rng)))
    load = os.getloadavg()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    os.makedirs("bench/out/results", exist_ok=True)
    with open(f"bench/out/results/index-dedup-{stamp}.json", "w") as f:
        json.dump({"results": results, "workers": WORKERS, "runs": RUNS, "load_average": load, "winnow": WINNOW}, f, indent=2)
    print(f"workers {WORKERS}, median of {RUNS} runs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'corpus':<18} {'old':>7} {'new':>7} {'cross':>6} {'recall':>7} {'exact':>8} {'near':>8} {'false':>6} "
          f"{'copies ok':>9} {'build s':>8} {'cpu s':>6} {'build MB':>8} {'run s':>7} {'cpu s':>6} {'run MB':>7}")
    for r in results:
        print(f"{r['corpus']:<18} {r['old_documents']:>7} {r['new_documents']:>7} {r['cross_duplicates']:>6} "
              f"{r['recall']:>7.4f} {r['recall_by_kind']['cross_exact']:>8} {r['recall_by_kind']['cross_near']:>8} "
              f"{r['false_drops_unique']:>6} {r['new_copies_dropped_as_within_new']:>4}/{r['new_copies']:<4} "
              f"{r['build_seconds']:>8.2f} {r['build_cpu_seconds']:>6.2f} {r['build_max_rss_mb']:>8.1f} "
              f"{r['run_seconds']:>7.2f} {r['run_cpu_seconds']:>6.2f} {r['run_max_rss_mb']:>7.1f}")
        print(f"  documents that are not cross duplicates whose verdict differs from a run without the index: "
              f"{r['non_cross_verdicts_differing_from_no_index_run']} {r['differing_ids']}; false drop ids: {r['false_drop_ids']}")
        for m in r["near_misses"]:
            print(f"  near copy not found: {m['id']} ({m['words']} words, Jaccard {m['jaccard']}, LSH catch probability {m['p_found']})")


if __name__ == "__main__":
    main()
