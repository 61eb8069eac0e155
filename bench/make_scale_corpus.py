#!/usr/bin/env python3
"""A large seeded JSONL.gz corpus of real text with planted near-duplicates (issue 21, the
MinHash scale benchmark).

    python3 bench/make_scale_corpus.py --out bench/data/minhash-scale-60g --gb 60
    python3 bench/make_scale_corpus.py --out /tmp/x --gb 1 --part-mb 256 --jobs 2

Standard library only. Every document is a run of paragraphs drawn from the real text in
../shared/data (make_corpus.py's loaders: WikiText-2, the gensim Wikipedia export, Gutenberg,
NLTK corpora, QA contexts, ...; never the machine's installed files): 3-40 paragraphs (log-uniform),
drawn at random from the ~111k-paragraph pool, so two base documents share almost no 5-gram.
Planted duplicates (fractions of all documents):
  * 4 %  near-duplicates of an earlier base document (same part, or the part before), made by
         substituting random words for a share of words chosen for a target 5-gram Jaccard drawn
         uniformly from [0.5, 1.0];
  * 1 %  exact copies of an earlier base document.
Each part is generated independently from (seed, part), so parts are written in parallel
(--jobs) and a document can be regenerated from its id alone: a variant's base is rebuilt, not
stored. Documents are {"id": "pNNNNN-IIIIIIII", "text": ...}.

Writes <out>/part-NNNNN.jsonl.gz (gzip level 1, mtime 0; about --part-mb MB of JSONL each) and
<out>/planted-NNNNN.tsv: `variant_id \\t base_id \\t kind \\t jaccard` where jaccard is the exact
5-gram Jaccard of the two texts under an approximation of datatrove's simplify_text (lowercase,
digits -> 0, punctuation -> space, whitespace collapsed). Output is byte-identical for the same
seed, sizes and ../shared/data.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

P_NEAR, P_EXACT = 0.04, 0.01
BASE_WINDOW = 3000  # a variant's base is among the first BASE_WINDOW documents of its part or the previous one

_POOL: list[str] = []
_WORDS: list[str] = []

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w\s]|_")


def norm(t: str) -> list[str]:
    t = _DIGITS.sub("0", t.lower())
    return _WS.sub(" ", _PUNCT.sub(" ", t)).split()


def jaccard(a: str, b: str) -> float:
    def shingles(t: str) -> set:
        w = norm(t)
        if len(w) < 5:
            return {tuple(w)}
        return set(zip(w, w[1:], w[2:], w[3:], w[4:]))
    x, y = shingles(a), shingles(b)
    return len(x & y) / max(1, len(x | y))


def load(data: Path) -> None:
    import make_corpus as mc
    global _POOL, _WORDS
    units = mc.load_pool(data)
    _POOL = [p for u in units for p in u.paras if len(p) >= 40]
    rng = random.Random(0)
    words = [w for p in rng.sample(_POOL, min(5000, len(_POOL))) for w in p.split()]
    _WORDS = sorted(set(w for w in words if w.isalpha() and len(w) > 2))


def kind_of(seed: int, part: int, i: int) -> tuple[random.Random, str]:
    rng = random.Random(f"{seed}/{part}/{i}")
    r = rng.random()
    return rng, ("near" if r < P_NEAR else "exact" if r < P_NEAR + P_EXACT else "base")


def base_text(rng: random.Random) -> str:
    n = int(math.exp(rng.uniform(math.log(3), math.log(40))))
    return "\n\n".join(rng.choices(_POOL, k=n))


def variant(rng: random.Random, text: str, target: float) -> str:
    # Substituting a share r of words spread over the text keeps about (1 - r)^5 of the 5-grams:
    # J = s / (2 - s) with s = (1 - r)^5, so s = 2J / (1 + J).
    s = 2 * target / (1 + target)
    r = 1 - s ** 0.2
    paras = [p.split(" ") for p in text.split("\n\n")]
    slots = [(i, j) for i, p in enumerate(paras) for j in range(len(p))]
    for i, j in rng.sample(slots, min(len(slots), round(r * len(slots)))):
        paras[i][j] = rng.choice(_WORDS)
    return "\n\n".join(" ".join(p) for p in paras)


def document(seed: int, part: int, i: int, depth: int = 0) -> tuple[str, str, tuple | None]:
    """(id, text, planted) of document i of a part; planted = (base_id, kind, base_text)."""
    rng, kind = kind_of(seed, part, i)
    ident = f"p{part:05d}-{i:08d}"
    if kind != "base" and depth == 0:
        bpart = part if (part == 0 or rng.random() < 0.5) else part - 1
        bi = rng.randrange(min(BASE_WINDOW, i) if bpart == part else BASE_WINDOW) if (bpart != part or i > 0) else -1
        if bi >= 0 and kind_of(seed, bpart, bi)[1] == "base":
            _, btext, _ = document(seed, bpart, bi, depth + 1)
            bid = f"p{bpart:05d}-{bi:08d}"
            if kind == "exact":
                return ident, btext, (bid, "exact", btext)
            return ident, variant(rng, btext, rng.uniform(0.5, 1.0)), (bid, "near", btext)
    return ident, base_text(rng), None


def write_part(job: tuple[int, int, str, int]) -> tuple[int, int, int]:
    seed, part, out, limit = job
    path = Path(out) / f"part-{part:05d}.jsonl.gz"
    planted_path = Path(out) / f"planted-{part:05d}.tsv"
    tmp, ptmp = path.with_suffix(".gz.tmp"), planted_path.with_suffix(".tsv.tmp")
    written = docs = 0
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0, filename="") as gz, \
            open(ptmp, "w") as planted:
        chunk: list[bytes] = []
        size = 0
        while written < limit:
            ident, text, plant = document(seed, part, docs)
            line = (json.dumps({"id": ident, "text": text}, ensure_ascii=False) + "\n").encode()
            chunk.append(line)
            size += len(line)
            written += len(line)
            docs += 1
            if plant:
                bid, kind, btext = plant
                j = 1.0 if kind == "exact" else jaccard(btext, text)
                planted.write(f"{ident}\t{bid}\t{kind}\t{j:.4f}\n")
            if size >= 1 << 22:
                gz.write(b"".join(chunk))
                chunk, size = [], 0
        gz.write(b"".join(chunk))
    os.replace(tmp, path)
    os.replace(ptmp, planted_path)
    return part, docs, written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gb", type=float, required=True, help="uncompressed JSONL size in GB (1e9 bytes)")
    ap.add_argument("--part-mb", type=int, default=1000, help="uncompressed MB per part")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--data", default=str(REPO.parent / "shared/data"))
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    load(Path(a.data))
    limit = a.part_mb * 1_000_000
    parts = max(1, math.ceil(a.gb * 1000 / a.part_mb))
    todo = [(a.seed, p, str(out), limit) for p in range(parts) if not (out / f"part-{p:05d}.jsonl.gz").exists()]
    print(f"pool: {len(_POOL)} paragraphs, {len(_WORDS)} edit words; {parts} parts of {a.part_mb} MB, {len(todo)} to write", flush=True)
    t0 = time.time()
    total_docs = total_bytes = 0
    with Pool(a.jobs, initializer=load, initargs=(Path(a.data),)) if a.jobs > 1 else _Serial() as pool:
        for part, docs, written in pool.imap_unordered(write_part, todo):
            total_docs += docs
            total_bytes += written
            rate = total_bytes / 1e6 / max(1e-9, time.time() - t0)
            print(f"  part {part}: {docs} documents, {written / 1e6:.0f} MB ({rate:.0f} MB/s so far)", flush=True)
    print(f"wrote {total_docs} documents, {total_bytes / 1e9:.2f} GB in {time.time() - t0:.0f} s", flush=True)


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def imap_unordered(self, fn, items):
        return map(fn, items)


if __name__ == "__main__":
    main()
