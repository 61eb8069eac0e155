#!/usr/bin/env python3
"""MinHash near-duplicate quality: Winnow's `minhash_dedup` and datasketch's MinHashLSH
against exact 5-gram Jaccard ground truth (issue 4, "Done when" item 1).

    bench/.venv/bin/python bench/minhash_quality.py                 # build corpus, run, report
    bench/.venv/bin/python bench/minhash_quality.py --workers 1
    bench/.venv/bin/python bench/minhash_quality.py --winnow path/to/winnow --seed 7

Needs bench/.venv (datatrove, datasketch, xxhash, numpy) and a release build of winnow
(`swift build -c release`). Runs in about 2 minutes on 2 cores.

1. Corpus (bench/data/minhash-quality/part-{0..3}.jsonl, deterministic for a seed):
   * real documents: WikiText-2 articles, Project Gutenberg books, NLTK corpora (inaugural,
     state_union, webtext, abc) and the gensim Wikipedia XML export, cut into chunks of whole
     paragraphs of 300-1500 words (target drawn per chunk);
   * 675 Debian-style copyright files of 1-30 KB from make_long_corpus.py's seeded generator
     (DEP-5 stanzas, then the data's license texts) -- the natural near-duplicates;
   * planted near-duplicates: for ~500 real chunks, 1-3 variants each made by word-level edits
     (substitute / delete / insert a random corpus word) at the rate that gives a target
     5-gram Jaccard drawn uniformly from [0.5, 1.0] (5 % are "normalisation-only" variants --
     case, punctuation and whitespace changes -- whose Jaccard is 1.0).
   The documents are shuffled, so a variant often comes before its base in input order.
2. Ground truth: datatrove's simplify_text, split on " ", word 5-gram shingle sets (one shingle
   of all words if shorter); every pair with Jaccard >= 0.5 is found exactly with prefix
   filtering (rarest-first shingle order, prefix of |A| - ceil(0.5 |A|) + 1 shingles; two sets
   with J >= 0.5 must share a prefix shingle) plus every pair inside a planted group.
   Positives: pairs with J >= 0.8.
3. Methods, all 14 bands x 8 rows:
   * winnow:        `winnow dedup ... --method minhash` (defaults);
   * winnow verify: `winnow run bench/recipes/minhash-quality-verify.yaml` (verify: 0.8);
   * datasketch:    MinHash(num_perm=112) updated with every shingle string (UTF-8),
                    MinHashLSH(params=(14, 8)), every candidate pair from `query` -> union-find;
   * datasketch verify: the same, merging a candidate pair only if its exact J >= 0.8;
   * exact graph:   union-find over every true pair (J >= 0.8) -- the best any pair-merging
                    clustering can do; its precision < 100 % is the cost of transitivity.
   Recall = share of true pairs whose documents share a cluster; precision = share of
   same-cluster pairs with J >= 0.8 (and >= 0.7, "near"); "removals ok" = share of removed
   documents whose J with the document kept for their cluster (the first in input order)
   is >= 0.8.
4. Cross-check: a Python replica of Winnow's algorithm (its normalisation, xxh64 shingle hashes,
   seeded permutations, mod 2^61-1 signature, band keys, edges to the first (and, with verify, the previous) document
   of a bucket, verification) must give exactly Winnow's clusters; with the verify run's work/ kept
   (--keep-work), every document's shingle-hash set and band keys are compared with Winnow's.

Writes the markdown report to bench/out/results/minhash-quality-<UTC time>.md (and prints it).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import xxhash
from datasketch import MinHash, MinHashLSH
from datatrove.utils.text import simplify_text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import make_corpus as mc  # noqa: E402  (its source loaders)

NGRAM, BANDS, ROWS, THRESHOLD, NEAR, LOW = 5, 14, 8, 0.8, 0.7, 0.5
PARTS = 4
CORPUS_DIR = REPO / "bench/data/minhash-quality"
OUT_DIR = REPO / "bench/out/minhash-quality"
RECIPE = "bench/recipes/minhash-quality-verify.yaml"


# ----------------------------------------------------------------------------- corpus
def chunk_unit(u: "mc.Unit", rng: random.Random) -> list[str]:
    """Runs of whole paragraphs of 300-1500 words (target drawn per chunk); a paragraph longer
    than the target is cut at word boundaries; a tail under 300 words is dropped."""
    paras: list[list[str]] = []
    for p in u.paras:
        w = p.split()
        while len(w) > 1500:
            paras.append(w[:1000])
            w = w[1000:]
        if w:
            paras.append(w)
    out, cur, n, target = [], [], 0, rng.randint(300, 1500)
    for w in paras:
        cur.append(" ".join(w))
        n += len(w)
        if n >= target:
            out.append(u.joiner.join(cur))
            cur, n, target = [], 0, rng.randint(300, 1500)
    return out


def copyright_docs(data: Path, seed: int, count: int = 675) -> list[tuple[str, str]]:
    """Debian-style copyright files, the natural near-duplicates (the same license texts under
    different stanzas), made by bench/make_long_corpus.py's seeded generator from ../shared/data
    (never the machine's /usr/share/doc, which differs between machines); 1-30 KB each."""
    import make_long_corpus as mlc

    builder = mlc.Builder(mlc.Pool(data), seed)
    rng = random.Random(seed)
    return [(f"pkg{i:04d}", builder.copyright_doc(int(math.exp(rng.uniform(math.log(1_000), math.log(30_000))))))
            for i in range(count)]


_SPLIT = re.compile(r"(\s+)")


def edit_words(text: str, p: float, rng: random.Random, vocab: list[str]) -> str:
    """Each word is, with probability p, substituted by / preceded by a random corpus word or
    deleted (one third each)."""
    toks = _SPLIT.split(text)  # words at even positions, whitespace runs at odd ones
    out, i = [], 0
    while i < len(toks):
        t = toks[i]
        if i % 2 == 1 or not t or rng.random() >= p:
            out.append(t)
            i += 1
            continue
        op = rng.randrange(3)
        if op == 0:
            out.append(rng.choice(vocab))
        elif op == 1:
            out.append(rng.choice(vocab) + " " + t)
        else:  # delete the word and the whitespace after it
            i += 2
            continue
        i += 1
    return "".join(out)


_PUNCT_SWAP = {".": "!", ",": ";", ";": ",", "!": ".", ":": " -", "(": "[", ")": "]", "'": "’"}


def normalisation_noise(text: str, rng: random.Random) -> str:
    """Case, punctuation and whitespace changes only: identical under simplify_text."""
    toks = _SPLIT.split(text)
    for i in range(0, len(toks), 2):
        t = toks[i]
        r = rng.random()
        if r < 0.08:
            t = t.upper()
        elif r < 0.16:
            t = t.capitalize()
        if rng.random() < 0.3:
            t = "".join(_PUNCT_SWAP.get(c, c) if rng.random() < 0.5 else c for c in t)
        toks[i] = t
    for i in range(1, len(toks), 2):
        if rng.random() < 0.05:
            toks[i] = rng.choice(["  ", "\n", " \t "])
    return "".join(toks)


def build_corpus(seed: int, data: Path, n_bases: int) -> list[dict]:
    rng = random.Random(seed)
    docs: list[dict] = []
    for loader in (mc.load_wikitext, mc.load_enwiki, mc.load_gutenberg, mc.load_nltk):
        for u in loader(data):
            for k, text in enumerate(chunk_unit(u, rng)):
                docs.append({"id": f"{u.source}/{u.name}#{k}", "text": text,
                             "metadata": {"origin": "real", "source": u.source}})
    real = [d for d in docs]
    for pkg, text in copyright_docs(data, seed):
        docs.append({"id": f"copyright/{pkg}", "text": text,
                     "metadata": {"origin": "copyright", "source": "debian-copyright"}})
    vocab = sorted({w for d in real for w in d["text"].split() if w.isalpha() and len(w) > 1})
    for base in rng.sample(real, n_bases):
        k = rng.choices([1, 2, 3], weights=[0.65, 0.2, 0.15])[0]
        for v in range(k):
            if rng.random() < 0.05:
                target, p = 1.0, 0.0
                text = normalisation_noise(base["text"], rng)
            else:
                target = rng.uniform(0.5, 1.0)
                # share of 5-gram shingles that survive ~ (1 - p)^5 = s, and J = s / (2 - s)
                s = 2 * target / (1 + target)
                p = 1 - s ** (1 / NGRAM)
                text = edit_words(base["text"], p, rng, vocab)
            docs.append({"id": f"{base['id']}~v{v}", "text": text,
                         "metadata": {"origin": "planted", "source": base["metadata"]["source"],
                                      "planted_of": base["id"], "target_jaccard": round(target, 4),
                                      "edit_rate": round(p, 5)}})
    # documents with no word after normalisation are left out (Winnow never makes them candidates)
    docs = [d for d in docs if simplify_text(d["text"])]
    ids = [d["id"] for d in docs]
    assert len(set(ids)) == len(ids), "duplicate ids"
    rng.shuffle(docs)
    return docs


def write_corpus(docs: list[dict]) -> tuple[list[Path], str]:
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for old in CORPUS_DIR.glob("part-*.jsonl"):
        old.unlink()
    paths, sha = [], hashlib.sha256()
    per = math.ceil(len(docs) / PARTS)
    for i in range(PARTS):
        path = CORPUS_DIR / f"part-{i}.jsonl"
        data = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs[i * per:(i + 1) * per])
        path.write_text(data, encoding="utf-8")
        sha.update(data.encode())
        paths.append(path)
    return paths, sha.hexdigest()


# ----------------------------------------------------------------------------- shingles, truth
def shingle_strings(text: str) -> list[str]:
    words = simplify_text(text).split(" ")
    if len(words) < NGRAM:
        return [" ".join(words)]
    return [" ".join(words[i:i + NGRAM]) for i in range(len(words) - NGRAM + 1)]


class UnionFind:
    def __init__(self, n: int):
        self.p = list(range(n))

    def find(self, x: int) -> int:
        p = self.p
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.p[rb] = ra
            else:
                self.p[ra] = rb

    def labels(self) -> list[int]:
        return [self.find(i) for i in range(len(self.p))]


def jaccard(a: frozenset, b: frozenset) -> float:
    i = len(a & b)
    return i / (len(a) + len(b) - i)


def ground_truth(sets: list[frozenset], groups: list[list[int]]) -> tuple[dict, int]:
    """Every pair (i < j) with J >= LOW, exactly. Returns {pair: J} and the candidates checked."""
    freq = Counter()
    for s in sets:
        freq.update(s)
    index: dict[int, list[int]] = defaultdict(list)
    for d, s in enumerate(sets):
        order = sorted(s, key=lambda x: (freq[x], x))
        for x in order[:len(s) - math.ceil(LOW * len(s)) + 1]:
            index[x].append(d)
    cand = set()
    for docs in index.values():
        if len(docs) > 1:
            for i in range(len(docs)):
                for j in range(i + 1, len(docs)):
                    cand.add((docs[i], docs[j]))
    for g in groups:
        g = sorted(g)
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                cand.add((g[i], g[j]))
    truth = {}
    for a, b in cand:
        la, lb = len(sets[a]), len(sets[b])
        if min(la, lb) < LOW * max(la, lb):
            continue
        j = jaccard(sets[a], sets[b])
        if j >= LOW:
            truth[(a, b)] = j
    return truth, len(cand)


# ----------------------------------------------------------------------------- winnow
def read_jsonl(path: Path):
    op = gzip.open if path.suffix == ".gz" else open
    with op(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def winnow_labels(run_dir: Path, index: dict[str, int]) -> list[int]:
    n = len(index)
    uf = UnionFind(n)
    seen = [0] * n
    removed = 0
    sizes = {}
    for sub, is_removed in (("data", False), ("removed/minhash_duplicate", True)):
        for path in sorted((run_dir / sub).glob("*.jsonl*")):
            for rec in read_jsonl(path):
                d = index[rec["id"]]
                seen[d] += 1
                md = rec.get("metadata") or {}
                if is_removed:
                    removed += 1
                    uf.union(d, index[md["duplicate_of"]])
                elif "cluster_id" in md:
                    uf.union(d, index[md["cluster_id"]])
                    sizes[d] = md["cluster_size"]
    bad = sum(1 for c in seen if c != 1)
    if bad:
        raise SystemExit(f"{run_dir}: {bad} input documents are not exactly once in data/ + removed/")
    labels = uf.labels()
    count = Counter(labels)
    wrong = sum(1 for d, k in sizes.items() if count[labels[d]] != k)
    if wrong:
        raise SystemExit(f"{run_dir}: cluster_size disagrees with the cluster for {wrong} documents")
    return labels


def run_timed(cmd: list[str], runs: int = 1) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"failed ({r.returncode}): {shlex.join(cmd)}\n{r.stdout}")
    return times


def fmt_times(ts: list[float]) -> str:
    ts = sorted(ts)
    return f"{ts[len(ts) // 2]:.2f} s" + (f" (median of {len(ts)}: {', '.join(f'{t:.2f}' for t in ts)})" if len(ts) > 1 else "")


MERSENNE = (1 << 61) - 1


def winnow_permutations(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MinHashDeduplicator.permutations: splitmix64 from seed + golden ratio."""
    m64 = (1 << 64) - 1
    state = (seed + 0x9E3779B97F4A7C15) & m64

    def nxt() -> int:
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & m64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m64
        return z ^ (z >> 31)

    a, b = [], []
    for _ in range(count):
        a.append(nxt() % (MERSENNE - 1) + 1)
        b.append(nxt() % MERSENNE)
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


def winnow_band_keys(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> list[int]:
    """Signature ((a h + b) mod 2^64) mod (2^61 - 1), min over shingles; band key = xxh64 of the
    band's 8 little-endian words, seeded with the band number."""
    with np.errstate(over="ignore"):
        v = hashes[:, None] * a[None, :] + b[None, :]
    v = (v & np.uint64(MERSENNE)) + (v >> np.uint64(61))
    v = np.where(v >= np.uint64(MERSENNE), v - np.uint64(MERSENNE), v)
    sig = v.min(axis=0).astype("<u8")
    return [xxhash.xxh64_intdigest(sig[k * ROWS:(k + 1) * ROWS].tobytes(), seed=k) for k in range(BANDS)]


def winnow_replica(keys: list[list[int]], hsets: list[frozenset], verify: float | None) -> list[int]:
    """Winnow's clustering: in each band, every document with the key of an earlier one is
    linked to the first document with that key (input order); with verify, also to the previous
    document with that key, and a link is kept only if the exact Jaccard of the two shingle-hash
    sets reaches the threshold."""
    n = len(keys)
    uf = UnionFind(n)
    for band in range(BANDS):
        first: dict[int, int] = {}
        previous: dict[int, int] = {}
        for d in range(n):
            k = keys[d][band]
            f = first.setdefault(k, d)
            p = previous.get(k, d)
            previous[k] = d
            if f != d and (verify is None or jaccard(hsets[f], hsets[d]) >= verify):
                uf.union(f, d)
            if verify is not None and p != f and p != d and jaccard(hsets[p], hsets[d]) >= verify:
                uf.union(p, d)
    return uf.labels()


def crosscheck_work(work: Path, ids: list[str], hsets: list[frozenset], keys: list[list[int]]) -> tuple[str, set]:
    """Compares the verify run's work/ (shingles-<shard>.u64: per document count + sorted
    unique hashes; band-<b>-shard-<s>.u64: (key, index) pairs; ids-<shard>.txt) with the
    Python side."""
    id_files = sorted(work.rglob("ids-*.txt"), key=lambda p: int(re.findall(r"\d+", p.name)[-1]))
    if not id_files:
        return "work/ files not found: not compared", set()
    index = {d: i for i, d in enumerate(ids)}
    sh_diff, key_diff, docs, examples, differ = 0, 0, 0, [], set()
    for idf in id_files:
        shard = int(re.findall(r"\d+", idf.name)[-1])
        sids = idf.read_text(encoding="utf-8").split("\n")[:-1]
        words = np.fromfile(idf.parent / f"shingles-{shard}.u64", dtype="<u8")
        pos = 0
        for sid in sids:
            c = int(words[pos])
            theirs = frozenset(int(x) for x in words[pos + 1:pos + 1 + c])
            pos += 1 + c
            d = index[sid]
            docs += 1
            if theirs != hsets[d]:
                sh_diff += 1
                differ.add(d)
                if len(examples) < 5:
                    examples.append(sid)
        for band in range(BANDS):
            pairs = np.fromfile(idf.parent / f"band-{band}-shard-{shard}.u64", dtype="<u8").reshape(-1, 2)
            for key, i in pairs:
                if keys[index[sids[int(i)]]][band] != int(key):
                    key_diff += 1
                    differ.add(index[sids[int(i)]])
    msg = (f"{docs} documents: shingle-hash sets differ for {sh_diff}, band keys differ for "
           f"{key_diff} of {docs * BANDS}")
    if examples:
        msg += f" (e.g. {', '.join(examples)})"
    return msg, differ


# ----------------------------------------------------------------------------- metrics
def evaluate(labels: list[int], truth: dict, npos: int) -> dict:
    size = Counter(labels)
    pred = sum(k * (k - 1) // 2 for k in size.values())
    tp = near = 0
    for (a, b), j in truth.items():
        if labels[a] == labels[b]:
            tp += j >= THRESHOLD
            near += j >= NEAR
    # the document kept for a cluster is its first in input order (index order)
    rep: dict[int, int] = {}
    for d, l in enumerate(labels):
        rep.setdefault(l, d)
    removed = ok = 0
    for d, l in enumerate(labels):
        r = rep[l]
        if r != d:
            removed += 1
            ok += truth.get((r, d), 0.0) >= THRESHOLD
    strict = [p for p, j in truth.items() if THRESHOLD <= j < 1.0]
    rs = sum(labels[a] == labels[b] for a, b in strict) / len(strict) if strict else 1.0
    return {"recall": tp / npos if npos else 1.0, "recall_lt1": rs, "precision": tp / pred if pred else 1.0,
            "precision_near": near / pred if pred else 1.0, "pred_pairs": pred, "tp": tp,
            "clusters": sum(1 for k in size.values() if k > 1), "removed": removed,
            "removal_ok": ok / removed if removed else 1.0}


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--bases", type=int, default=1000, help="real chunks that get planted variants")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each Winnow command (median)")
    ap.add_argument("--winnow", default=str(REPO / ".build/release/winnow"))
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    args = ap.parse_args()
    os.chdir(REPO)
    t_start = time.perf_counter()
    winnow = os.path.relpath(args.winnow, REPO) if args.winnow.startswith(str(REPO)) else args.winnow
    if not Path(args.winnow).exists():
        raise SystemExit(f"no winnow binary at {args.winnow}: swift build -c release")

    # 1. corpus
    t = time.perf_counter()
    docs = build_corpus(args.seed, Path(args.data), args.bases)
    paths, corpus_sha = write_corpus(docs)
    t_corpus = time.perf_counter() - t
    n = len(docs)
    ids = [d["id"] for d in docs]
    index = {d: i for i, d in enumerate(ids)}
    origin = [d["metadata"]["origin"] for d in docs]
    groups_by_base: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        md = d["metadata"]
        if md["origin"] == "planted":
            groups_by_base[md["planted_of"]].append(i)
    groups = [[index[b]] + v for b, v in sorted(groups_by_base.items())]
    group_of = {}
    for gi, g in enumerate(groups):
        for d in g:
            group_of[d] = gi
    n_words = sum(len(d["text"].split()) for d in docs)
    n_bytes = sum(p.stat().st_size for p in paths)
    print(f"corpus: {n} documents ({Counter(origin)}), {n_words:,} words, {n_bytes / 1e6:.1f} MB, "
          f"{len(groups)} planted groups, sha256 {corpus_sha[:16]}  [{t_corpus:.1f} s]", flush=True)

    # 2. shingles and ground truth
    t = time.perf_counter()
    # simplify_text + shingles, as UTF-8 bytes: the Python side's own work, timed for datasketch
    shingle_lists: list[list[bytes]] = [[s.encode("utf-8") for s in set(shingle_strings(d["text"]))] for d in docs]
    t_shingle = time.perf_counter() - t
    t = time.perf_counter()
    sid: dict[bytes, int] = {}
    sets: list[frozenset] = []  # shingles as small ints, for the exact Jaccard
    hsets: list[frozenset] = []  # xxh64 of each shingle: what Winnow hashes
    for enc in shingle_lists:
        sets.append(frozenset(sid.setdefault(e, len(sid)) for e in enc))
        hsets.append(frozenset(xxhash.xxh64_intdigest(e) for e in enc))
    t_truth = time.perf_counter() - t
    double_space = {i for i, d in enumerate(docs) if "  " in simplify_text(d["text"])}
    t = time.perf_counter()
    truth, n_cand = ground_truth(sets, groups)
    positives = {p: j for p, j in truth.items() if j >= THRESHOLD}
    npos = len(positives)
    t_truth += time.perf_counter() - t
    print(f"shingles: {sum(map(len, sets)):,} ({len(sid):,} distinct) [{t_shingle:.1f} s]; "
          f"truth: {n_cand:,} candidate pairs checked, {len(truth):,} with J >= {LOW}, "
          f"{npos:,} with J >= {THRESHOLD} [{t_truth:.1f} s]", flush=True)

    def pair_kind(a: int, b: int) -> str:
        if a in group_of and group_of.get(a) == group_of.get(b):
            return "planted"
        if origin[a] == origin[b] == "copyright":
            return "copyright"
        return "other natural"

    # 3a/3b. winnow
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    glob_arg = str(CORPUS_DIR.relative_to(REPO) / "*.jsonl")
    out_default = OUT_DIR / "winnow-default"
    cmd_default = [winnow, "dedup", glob_arg, "--method", "minhash", "--output",
                   str(out_default.relative_to(REPO)), "--output-format", "jsonl",
                   "--workers", str(args.workers), "--keep-removed", "--overwrite", "--quiet"]
    cmd_verify = [winnow, "run", RECIPE, "--workers", str(args.workers), "--overwrite", "--quiet"]
    results: dict[str, dict] = {}
    timings: dict[str, str] = {}
    print("winnow (defaults) ...", flush=True)
    dt = run_timed(cmd_default, args.runs)
    labels_w = winnow_labels(out_default, index)
    results["winnow minhash_dedup (14×8)"] = evaluate(labels_w, truth, npos)
    timings["winnow minhash_dedup (14×8)"] = (f"{fmt_times(dt)} end to end, process start to exit (read JSONL, "
                                              f"normalise, shingle, sketch, LSH, cluster, write JSONL), {args.workers} workers")
    print("winnow (verify 0.8) ...", flush=True)
    dt = run_timed(cmd_verify, args.runs)
    out_verify = OUT_DIR / "winnow-verify"
    labels_wv = winnow_labels(out_verify, index)
    results["winnow minhash_dedup, verify: 0.8"] = evaluate(labels_wv, truth, npos)
    timings["winnow minhash_dedup, verify: 0.8"] = f"{fmt_times(dt)} end to end"
    # the same again keeping work/ for the cross-check (not timed)
    run_timed(cmd_verify + ["--keep-work", "--output", str((OUT_DIR / "winnow-verify-work").relative_to(REPO))])

    # 3c/3d. datasketch
    print("datasketch ...", flush=True)
    t = time.perf_counter()
    mhs = []
    for enc in shingle_lists:
        m = MinHash(num_perm=BANDS * ROWS)
        m.update_batch(enc)  # = m.update(s) for each s (same hash, elementwise min); checked below
        mhs.append(m)
    t_sketch = time.perf_counter() - t
    m1 = MinHash(num_perm=BANDS * ROWS)
    for s in shingle_lists[0]:
        m1.update(s)
    assert np.array_equal(m1.hashvalues, mhs[0].hashvalues)
    t = time.perf_counter()
    lsh = MinHashLSH(num_perm=BANDS * ROWS, params=(BANDS, ROWS))
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    cand = set()
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j != i:
                cand.add((min(i, j), max(i, j)))
    uf = UnionFind(n)
    for a, b in cand:
        uf.union(a, b)
    labels_d = uf.labels()
    t_lsh = time.perf_counter() - t
    t = time.perf_counter()
    uf = UnionFind(n)
    cand_ok = 0
    for a, b in sorted(cand):
        if jaccard(sets[a], sets[b]) >= THRESHOLD:
            uf.union(a, b)
            cand_ok += 1
    labels_dv = uf.labels()
    t_verify = time.perf_counter() - t
    results["datasketch MinHashLSH (14×8)"] = evaluate(labels_d, truth, npos)
    timings["datasketch MinHashLSH (14×8)"] = (
        f"{t_shingle + t_sketch + t_lsh:.2f} s = {t_shingle:.2f} s simplify_text + shingles (Python) + "
        f"{t_sketch:.2f} s MinHash (sha1 + permutations) + {t_lsh:.2f} s LSH insert/query + union-find; "
        f"in memory (no file reading or writing), one process")
    results["datasketch, verify 0.8 (every candidate pair)"] = evaluate(labels_dv, truth, npos)
    timings["datasketch, verify 0.8 (every candidate pair)"] = f"+ {t_verify:.2f} s exact Jaccard of {len(cand):,} candidate pairs"

    # 3e. reference: perfect pair decisions
    uf = UnionFind(n)
    for a, b in positives:
        uf.union(a, b)
    results["reference: union-find over the true pairs"] = evaluate(uf.labels(), truth, npos)

    # 4. cross-check Winnow against a Python replica of its algorithm
    print("replica of winnow ...", flush=True)
    t = time.perf_counter()
    pa, pb = winnow_permutations(BANDS * ROWS, seed=1)
    keys = [winnow_band_keys(np.fromiter(h, dtype=np.uint64, count=len(h)), pa, pb) for h in hsets]
    rep_default = winnow_replica(keys, hsets, None)
    rep_verify = winnow_replica(keys, hsets, THRESHOLD)
    t_replica = time.perf_counter() - t

    def same_partition(x: list[int], y: list[int]) -> int:
        """Documents whose cluster differs between the two labelings (0 = identical)."""
        mx, my = defaultdict(set), defaultdict(set)
        for d in range(n):
            mx[x[d]].add(d)
            my[y[d]].add(d)
        return sum(1 for d in range(n) if mx[x[d]] != my[y[d]])

    diff_default = same_partition(labels_w, rep_default)
    diff_verify = same_partition(labels_wv, rep_verify)
    work_check, work_differ = crosscheck_work(OUT_DIR / "winnow-verify-work", ids, hsets, keys)
    # the same replica, but verifying every pair of a bucket instead of the star to its first doc
    uf = UnionFind(n)
    buckets_pairs = set()
    for band in range(BANDS):
        by_key = defaultdict(list)
        for d in range(n):
            by_key[keys[d][band]].append(d)
        for ds in by_key.values():
            for i in range(len(ds)):
                for j in range(i + 1, len(ds)):
                    buckets_pairs.add((ds[i], ds[j]))
    for a, b in buckets_pairs:
        if jaccard(hsets[a], hsets[b]) >= THRESHOLD:
            uf.union(a, b)
    results["(replica) winnow's LSH, verify 0.8 on every bucket pair"] = evaluate(uf.labels(), truth, npos)
    timings["(replica) winnow's LSH, verify 0.8 on every bucket pair"] = "(not a Winnow option: shows what the star edges cost)"

    # recall / merge rate per Jaccard band and per kind of pair
    edges = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.0000001]
    names = ["[0.5, 0.6)", "[0.6, 0.7)", "[0.7, 0.8)", "[0.8, 0.85)", "[0.85, 0.9)", "[0.9, 0.95)",
             "[0.95, 1)", "1.0"]
    label_sets = {"winnow": labels_w, "winnow verify": labels_wv, "datasketch": labels_d,
                  "datasketch verify": labels_dv}
    bucket = defaultdict(list)
    for p, j in truth.items():
        k = next(i for i in range(len(names)) if edges[i] <= j < edges[i + 1])
        bucket[k].append(p)

    def share(labels, pairs):
        return sum(labels[a] == labels[b] for a, b in pairs) / len(pairs) if pairs else float("nan")

    kinds = defaultdict(list)
    for p in positives:
        kinds[pair_kind(*p)].append(p)
    dev, measured = [], []
    for g in groups:
        for v in g[1:]:
            jv = jaccard(sets[g[0]], sets[v])
            measured.append(jv)
            dev.append(abs(jv - docs[v]["metadata"]["target_jaccard"]))

    # ---------------------------------------------------------------- report
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    total = time.perf_counter() - t_start
    L = []
    L.append(f"# MinHash near-duplicate quality — {stamp}\n")
    L.append("Reproduce (from the repo root):\n")
    L.append("```sh")
    L.append("swift build -c release   # if .build/release/winnow is missing")
    L.append(f"bench/.venv/bin/python bench/minhash_quality.py --seed {args.seed} --bases {args.bases} --workers {args.workers}")
    L.append("# which runs, on the corpus it writes to bench/data/minhash-quality/:")
    L.append(shlex.join(cmd_default))
    L.append(shlex.join(cmd_verify) + f"   # {RECIPE}: minhash_dedup: {{ verify: 0.8 }}")
    L.append("```\n")
    c = Counter(origin)
    L.append(f"Corpus: **{n:,} documents** ({c['real']:,} real chunks of 300–1500 words, "
             f"{c['copyright']:,} Debian copyright files, {c['planted']:,} planted variants of "
             f"{len(groups)} chunks), {n_words:,} words, {n_bytes / 1e6:.1f} MB JSONL, seed {args.seed}, "
             f"sha256 `{corpus_sha[:16]}`. Shingles: {sum(map(len, sets)):,} "
             f"({len(sid):,} distinct word 5-grams of `simplify_text`).\n")
    L.append(f"Ground truth (exact): {len(truth):,} pairs with J ≥ {LOW}, **{npos:,} with J ≥ {THRESHOLD}** "
             f"({', '.join(f'{len(v):,} {k}' for k, v in sorted(kinds.items()))}); "
             f"{sum(1 for j in truth.values() if NEAR <= j < THRESHOLD):,} borderline pairs with 0.7 ≤ J < 0.8.\n")
    L.append(f"Planted variants: measured J with their base {min(measured):.3f}–{max(measured):.3f}, "
             f"mean |measured − target| {sum(dev) / len(dev):.3f}; "
             f"{sum(j >= THRESHOLD for j in measured):,} of {len(measured):,} at J ≥ 0.8. Pairs inside a planted "
             f"group count as planted (variant–base and variant–variant).\n")
    L.append(f"All methods: 14 bands × 8 rows (112 permutations), word 5-grams of datatrove's `simplify_text`, "
             f"{args.workers} worker(s) for Winnow, machine: {os.cpu_count()} cores.\n")
    L.append("| method | recall (J ≥ 0.8) | recall (0.8 ≤ J < 1) | precision (J ≥ 0.8) | precision (J ≥ 0.7) | same-cluster pairs | clusters | removed | removals ok |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        L.append(f"| {name} | {pct(r['recall'])} | {pct(r['recall_lt1'])} | {pct(r['precision'])} | {pct(r['precision_near'])} | "
                 f"{r['pred_pairs']:,} | {r['clusters']:,} | {r['removed']:,} | {pct(r['removal_ok'])} |")
    L.append("")
    L.append("- recall: share of the pairs with J ≥ 0.8 whose two documents end up in one cluster "
             "(second column: without the identical-after-normalisation pairs, J = 1);")
    L.append("- precision: share of the pairs of documents in one cluster (all C(k, 2) pairs of each "
             "cluster) with J ≥ 0.8 (≥ 0.7 for the second column);")
    L.append("- removals ok: share of removed documents (all but the first, in input order, of each "
             "cluster) whose J with the kept document is ≥ 0.8;")
    L.append("- reference: union-find over exactly the true pairs; it loses precision only through "
             "transitivity (A~B, B~C, A≁C), the ceiling of any pair-merging clusterer under this metric.\n")
    L.append("Share of the pairs in each Jaccard range that end up in one cluster:\n")
    L.append("| true J | pairs | 1−(1−J⁸)¹⁴ | " + " | ".join(label_sets) + " |")
    L.append("|---|---:|---:|" + "---:|" * len(label_sets))
    for k, nm in enumerate(names):
        ps = bucket[k]
        lo = edges[k]
        theo = 1 - (1 - lo ** ROWS) ** BANDS
        L.append(f"| {nm} | {len(ps):,} | {pct(theo)} (at {lo}) | " +
                 " | ".join(pct(share(v, ps)) for v in label_sets.values()) + " |")
    L.append("")
    L.append("Recall (J ≥ 0.8) by kind of pair:\n")
    L.append("| pairs | count | " + " | ".join(label_sets) + " |")
    L.append("|---|---:|" + "---:|" * len(label_sets))
    for k, ps in sorted(kinds.items()):
        L.append(f"| {k} | {len(ps):,} | " + " | ".join(pct(share(v, ps)) for v in label_sets.values()) + " |")
    L.append("")
    L.append("Time:\n")
    for name, s in timings.items():
        L.append(f"- {name}: {s}")
    L.append(f"- corpus build {t_corpus:.1f} s; ground truth {t_truth:.1f} s ({n_cand:,} candidate pairs "
             f"from prefix filtering + planted groups); Winnow replica {t_replica:.1f} s; whole script {total:.0f} s\n")
    L.append("Cross-check against a Python replica of Winnow's algorithm (simplify_text, xxh64 shingles, "
             "splitmix64 permutations, mod 2⁶¹−1 signatures, xxh64 band keys, edges to the first "
             "(and with verify the previous) document of each bucket, verification on those edges):\n")
    L.append(f"- defaults: clusters identical to Winnow's: **{'yes' if diff_default == 0 else f'no, {diff_default} documents differ'}**")
    L.append(f"- verify 0.8: clusters identical to Winnow's: **{'yes' if diff_verify == 0 else f'no, {diff_verify} documents differ'}**")
    L.append(f"- Winnow's work/ (verify run, `--keep-work`) against Python: {work_check}")
    L.append(f"- {len(double_space)} documents have a double space in `simplify_text`'s output "
             f"({', '.join(sorted(ids[i] for i in double_space)[:6])}{', …' if len(double_space) > 6 else ''}): "
             "it strips nonspacing marks (NFD, category Mn) *after* collapsing whitespace, so a mark "
             "standing alone between spaces (WikiText's `ष ् ग ्`) leaves two spaces. Splitting on single "
             "spaces (this script's ground truth, as specified) makes an empty word there; Winnow's shingler "
             "takes runs of spaces as one separator. "
             + ("Every document whose shingles or band keys differ above is one of these."
                if work_differ <= double_space else
                f"{len(work_differ - double_space)} documents differ for another reason: "
                + ", ".join(sorted(ids[i] for i in work_differ - double_space)[:10])))
    L.append(f"- datasketch: {len(cand):,} candidate pairs, {cand_ok:,} of them with J ≥ 0.8 "
             f"(candidate precision {pct(cand_ok / len(cand) if cand else 1)})")
    report = "\n".join(L) + "\n"
    res_dir = REPO / "bench/out/results"
    res_dir.mkdir(parents=True, exist_ok=True)
    out = res_dir / f"minhash-quality-{stamp}.md"
    out.write_text(report, encoding="utf-8")
    print()
    print(report)
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
