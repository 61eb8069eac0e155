#!/usr/bin/env python3
"""Planted-pair recall and precision of a Winnow run over a make_scale_corpus.py corpus.

    python3 bench/minhash_scale_eval.py --corpus bench/data/minhash-scale-60g --run bench/out/minhash-scale/run

Standard library only. Reads the run's data/ and removed/<reason>/ (ids and metadata only: the
metadata object is cut from the end of each line, texts are not parsed) and the corpus's
planted-*.tsv. A document's MinHash cluster is metadata.cluster_id (kept members),
metadata.duplicate_of (removed as minhash_duplicate), else the document itself.
  * recall (J >= 0.8): share of planted (variant, base) pairs with exact 5-gram Jaccard >= 0.8
    whose two documents share a cluster (pairs where length dropped a document are left out);
    the same for exact copies, and for 0.7 <= J < 0.8 (not required: verify is 0.8);
  * precision: share of same-cluster document pairs whose exact 5-gram Jaccard is >= 0.8 (as
    minhash_quality.py); precision_planted_groups: share inside one planted group (a base, its
    variants and copies) -- lower, because two random paragraph draws sharing one long paragraph
    are genuine near-duplicates the corpus did not plant. Also: merged planted pairs with J < 0.7.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_scale_corpus import jaccard  # noqa: E402  (the ground truth's normalisation)


def scan(path: str, reason: str, clusters: dict, present: set, texts: dict) -> int:
    n = 0
    with gzip.open(path, "rb") as f:
        for line in f:
            n += 1
            # {"id":"...","text":...,"metadata":{...}}: the id is first, the metadata last.
            start = line.index(b'"id":"') + 6
            ident = line[start:line.index(b'"', start)].decode()
            present.add(ident)
            m = line.rfind(b'"metadata":')
            meta = json.loads(b"{" + line[m:].rstrip()) ["metadata"] if m >= 0 else {}
            if reason == "minhash_duplicate":
                clusters[ident] = meta["duplicate_of"]
            elif "cluster_id" in meta:
                clusters[ident] = meta["cluster_id"]
            else:
                continue
            texts[ident] = json.loads(line)["text"]  # clustered documents only (a few %)
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--run", required=True)
    a = ap.parse_args()
    clusters: dict[str, str] = {}
    texts: dict[str, str] = {}
    present: set[str] = set()  # documents that passed length (reached minhash_dedup)
    counts = Counter()
    for path in sorted(glob.glob(os.path.join(a.run, "data", "*.jsonl.gz"))):
        counts["kept"] += scan(path, "", clusters, present, texts)
    for path in sorted(glob.glob(os.path.join(a.run, "removed", "*", "*.jsonl.gz"))):
        reason = os.path.basename(os.path.dirname(path))
        seen: set[str] = set()
        counts[reason] += scan(path, reason, clusters, seen, texts)
        if reason not in ("too_short", "too_few_words", "too_long", "too_many_words"):
            present |= seen
    planted = []
    group: dict[str, str] = {}
    for path in sorted(glob.glob(os.path.join(a.corpus, "planted-*.tsv"))):
        with open(path) as f:
            for line in f:
                v, b, kind, j = line.rstrip("\n").split("\t")
                planted.append((v, b, kind, float(j)))
                group[v] = b
    cluster = lambda d: clusters.get(d, d)  # noqa: E731
    found = Counter()
    total = Counter()
    for v, b, kind, j in planted:
        if v not in present or b not in present:
            continue
        band = "exact" if kind == "exact" else "j>=0.8" if j >= 0.8 else "0.7<=j<0.8" if j >= 0.7 else "j<0.7"
        total[band] += 1
        if cluster(v) == cluster(b):
            found[band] += 1
    # Same-cluster pairs, and those inside one planted group.
    members = defaultdict(list)
    for d, r in clusters.items():
        members[r].append(d)
    for r in list(members):
        if r not in clusters and r in present:
            members[r].append(r)  # a root with no cluster_id of its own (cannot happen, kept roots carry it)
    pairs = good = similar = 0
    for r, ds in members.items():
        ds = sorted(set(ds) | {r})
        n = len(ds)
        pairs += n * (n - 1) // 2
        g = Counter(group.get(d, d) for d in ds)
        good += sum(k * (k - 1) // 2 for k in g.values())
        # Every same-cluster pair by its exact Jaccard (random paragraph draws can make two base
        # documents genuine near-duplicates: one long paragraph in common).
        for i in range(n):
            for k in range(i + 1, n):
                if ds[i] in texts and ds[k] in texts and jaccard(texts[ds[i]], texts[ds[k]]) >= 0.8:
                    similar += 1
    result = {
        "documents": dict(counts),
        "planted_pairs": dict(total),
        "recall": {k: round(found[k] / total[k], 4) for k in total if total[k]},
        "merged_below_0.7": found["j<0.7"],
        "same_cluster_pairs": pairs,
        "precision": round(similar / pairs, 4) if pairs else None,
        "precision_planted_groups": round(good / pairs, 4) if pairs else None,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
