#!/usr/bin/env python3
"""The floor of every speed benchmark in docs/benchmarks.md (issue 23, item 4).

    nice -n 19 bench/.venv/bin/python bench/floors.py [--winnow .build/release/winnow] [--runs 3]
        [--only minhash,lid,...] [--list] [--semantic-n 100000]

For each benchmark, the Winnow command as its section records it (same input, same workers) is
run interleaved with its floor, median of --runs (default 3), and one markdown table is printed:
benchmark, Winnow s, floor s, Winnow ÷ floor, and both command lines. Two kinds of floor:

- I/O floor: Winnow's own read → write of the same input with no work — `winnow run` of a
  recipe with `stages: []` (bench/recipes/*-floor.yaml) reading the same files in the same
  format and writing the same output format, with the same worker count. What any tool that
  reads and writes like Winnow cannot go below.
- arithmetic floor: where the work is matrix arithmetic (MiniLM forward passes, k-center's
  passes over the vectors, the facility-location neighbour graph) or decompression, the
  operation count divided by the rate this machine reaches for it, measured in the same session
  with numpy's OpenBLAS (sgemm / sgemv) or zlib — as docs/benchmarks.md's embedding table does.

Every input is built from ../shared/data or seeded generators (the bench scripts' own
generators, imported), under bench/data/floors/ (git-ignored); nothing comes from the machine's
installed packages. The load average is printed before and after: on a shared machine the
figures are indicative, the ratios steadier than the times.

Standard library plus the bench venv (numpy for the arithmetic floors, tiktoken and tokenizers
for the compression request and token counts).
"""
from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import random
import resource
import shlex
import statistics
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SHARED = os.path.join(ROOT, "..", "shared", "data")
DATA = "bench/data/floors"          # generated inputs (relative to ROOT, as the recipes name them)
OUT = "bench/out/floors"
sys.path.insert(0, BENCH)

PY = sys.executable


def sh(cmd: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in cmd)


def run(cmd: list[str], stdin: str | None = None, pipe_stdout: bool = False) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + sys of the child) of one command run from ROOT; its stderr."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp:
        p = subprocess.run(cmd, cwd=ROOT, stdin=inp,
                           stdout=subprocess.PIPE if pipe_stdout else subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {sh(cmd)}\n{p.stderr.decode(errors='replace')[-2000:]}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, (p.stdout or b"").decode(errors="replace") + p.stderr.decode(errors="replace")


def write(path: str, text: str) -> str:
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def warm(pattern: str) -> None:
    for f in glob.glob(os.path.join(ROOT, pattern)):
        with open(f, "rb") as g:
            while g.read(1 << 24):
                pass


def text_corpus() -> str:
    """bench/make_text_corpus.py's corpus, built into bench/data/floors (../shared/data only; 2,559
    documents, sha256 ecc26598…), so the floor recipes can name it."""
    mine = f"{DATA}/text-corpus.jsonl"
    if not os.path.exists(os.path.join(ROOT, mine)):
        subprocess.run([PY, "bench/make_text_corpus.py", "--out", mine], cwd=ROOT, check=True)
    return mine


# ---------------------------------------------------------------- arithmetic rates (numpy)

_rates: dict = {}


def gemm_rate(threads: int) -> float:
    """float32 GEMM FLOP/s with numpy's OpenBLAS on `threads` threads (embed_speed.py's measure)."""
    if ("gemm", threads) not in _rates:
        import embed_speed
        _rates[("gemm", threads)] = embed_speed.gemm_rate(threads)
    return _rates[("gemm", threads)]


def sgemv_seconds(n: int, d: int = 384) -> float:
    """Seconds of one matrix-vector pass over an n × d float32 matrix (one thread, best of 5)."""
    import numpy as np
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):
        x = np.random.default_rng(0).standard_normal((n, d), dtype=np.float32)
        v = x[0].copy()
        x @ v
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            x @ v
            best = min(best, time.perf_counter() - t)
    return best


def minilm_flops(token_counts: list[int]) -> float:
    import embed_speed
    return embed_speed.flops(token_counts)


# ---------------------------------------------------------------- inputs


def prep_corpus(name: str):
    def prep() -> dict:
        files = glob.glob(os.path.join(ROOT, f"bench/data/{name}/*.jsonl.gz"))
        if not files:
            sys.exit(f"no bench/data/{name}/*.jsonl.gz: run python3 bench/make_corpus.py{' --small' if 'small' in name else ''}")
        warm(f"bench/data/{name}/*.jsonl.gz")
        return {}
    return prep


def prep_warc() -> dict:
    import warc_speed
    warc_speed.DATA = os.path.join(ROOT, DATA, "warc")
    warc_speed.build_input(20)
    return {}


def prep_numbers() -> dict:
    """The issue-15 input: a ~200 MB JSONL written by Python's json (seed 15): an id, 50–400 words
    of text, a URL, four floats (three 16–17-digit random() values), two integers, a list of
    three integers per record."""
    path = os.path.join(ROOT, DATA, "numbers.jsonl")
    if not os.path.exists(path):
        rng = random.Random(15)
        words = open(os.path.join(SHARED, "text", "wikitext-2-raw", "wiki.test.raw"), encoding="utf-8").read().split()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for i in range(180_127):
                k = rng.randint(50, 400)
                s = rng.randrange(0, len(words) - k)
                f.write(json.dumps({"id": f"doc-{i}", "text": " ".join(words[s:s + k]),
                                    "url": f"https://example.org/{rng.randrange(10**9)}/{i}",
                                    "score": rng.random(), "p": rng.random(), "q": rng.random(),
                                    "ratio": round(rng.random(), 3), "n": rng.randrange(10**6),
                                    "big": rng.randrange(10**15), "ints": [rng.randrange(1000) for _ in range(3)]}) + "\n")
        os.replace(path + ".tmp", path)
    warm(f"{DATA}/numbers.jsonl")
    return {}


def prep_lid() -> dict:
    c = text_corpus()
    warm(c)
    return {"corpus": c}


def prep_lm() -> dict:
    import lm_common
    d = os.path.join(ROOT, DATA, "lm")
    os.makedirs(d, exist_ok=True)
    train, _ = lm_common.split_wikitext(d)
    web = os.path.join(d, "web_train.txt")
    if not os.path.exists(web):
        with open(os.path.join(ROOT, text_corpus()), encoding="utf-8") as f, open(web + ".tmp", "w", encoding="utf-8") as out:
            for line in f:
                for sent in json.loads(line)["text"].split("\n"):
                    w = lm_common.normalize(sent).split()
                    if w:
                        out.write(" ".join(w) + "\n")
        os.replace(web + ".tmp", web)
    return {"wikitext": os.path.relpath(train, ROOT), "web": os.path.relpath(web, ROOT)}


def prep_dsir() -> dict:
    d = f"{DATA}/dsir"
    if not os.path.exists(os.path.join(ROOT, d, "pool.jsonl")):
        subprocess.run([PY, "bench/make_dsir_pool.py", "--out", d, "--text-corpus", text_corpus()], cwd=ROOT, check=True)
    warm(f"{d}/*.jsonl")
    return {}


def prep_semantic(n: int):
    def prep() -> dict:
        d = f"{DATA}/semantic"
        if not os.path.exists(os.path.join(ROOT, d, f"vectors-{n}.npy")):
            subprocess.run([PY, "bench/semantic_make_vectors.py", "--n", str(n), "--out", d], cwd=ROOT, check=True)
        for name, stage in (("semdedup", f"semantic_dedup: {{ vectors: {d}/vectors-{n}.npy, clusters: 200, eps: 0.02 }}"),
                            ("kcenter", f"diversity: {{ vectors: {d}/vectors-{n}.npy, method: k_center, count: 1000 }}"),
                            ("facility", f"diversity: {{ vectors: {d}/vectors-{n}.npy, method: facility_location, count: 1000, neighbours: 32 }}"),
                            ("floor", None)):
            write(f"{OUT}/semantic-{name}-{n}.yaml",
                  f"# generated by bench/floors.py (as bench/semantic_scale.sh's recipes)\nname: {name}-{n}\n"
                  f"input: {{ path: {d}/docs-{n}.jsonl, format: jsonl }}\n"
                  f"output: {{ path: {OUT}/semantic-{name}-{n}, format: jsonl, keep_removed: true }}\n"
                  + (f"stages:\n  - {stage}\n" if stage else "stages: []\n"))
        warm(f"{d}/*-{n}.*")
        return {"n": n, "d": 384}
    return prep


def prep_classifier() -> dict:
    import classifier_parity
    d = os.path.join(ROOT, DATA, "classifier")
    os.makedirs(d, exist_ok=True)
    files = classifier_parity.prepare_corpus(os.path.join(ROOT, text_corpus()), d)
    warm(os.path.relpath(files["train"], ROOT))
    return {"train": os.path.relpath(files["train"], ROOT)}


def prep_examples() -> dict:
    import examples_eval
    d = os.path.join(ROOT, DATA, "examples")
    os.makedirs(d, exist_ok=True)
    train_file, test_file, enc, kind, _ = examples_eval.DATASETS["trec"]
    train = examples_eval.read(os.path.join(examples_eval.DATA, train_file), enc, kind)
    tests = examples_eval.read(os.path.join(examples_eval.DATA, test_file), enc, kind)
    examples_eval.write_jsonl(os.path.join(d, "trec-pool.jsonl"), train)
    examples_eval.write_jsonl(os.path.join(d, "trec-queries.jsonl"), [{"id": str(i), "query": t["input"]} for i, t in enumerate(tests)])
    return {"pool": f"{DATA}/examples/trec-pool.jsonl", "queries": f"{DATA}/examples/trec-queries.jsonl",
            "cache": f"{DATA}/examples/cache.sqlite"}


def prep_tokenizer() -> dict:
    d = f"{DATA}/tok-corpus"
    if not glob.glob(os.path.join(ROOT, d, "*.jsonl")):
        subprocess.run([PY, "bench/make_tokenizer_corpus.py", d], cwd=ROOT, check=True)
    warm(f"{d}/*.jsonl")
    return {"files": sorted(os.path.relpath(f, ROOT) for f in glob.glob(os.path.join(ROOT, d, "*.jsonl")))}


def prep_compress() -> dict:
    """The request of bench/compress_latency.sh: SQuAD paragraphs up to 10,000 GPT-2 tokens + a question, rate 0.2."""
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    enc = tiktoken.Encoding(name="gpt2", pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                            mergeable_ranks=load_tiktoken_bpe(os.path.join(ROOT, "models/gpt2.tiktoken")), special_tokens={})
    data = json.load(gzip.open(os.path.join(SHARED, "qa/squad-dev/squad-v1.1-dev.json.gz")))["data"]
    paras = [p["context"] for a in data for p in a["paragraphs"]]
    question = data[0]["paragraphs"][3]["qas"][0]["question"]
    ctx, n = [], 0
    for p in paras:
        if n >= 10_000:
            break
        ctx.append(p)
        n += len(enc.encode(p)) + 1
    req = write(f"{OUT}/compress-request.json", json.dumps({"context": ctx, "question": question, "rate": 0.2}))
    return {"request": req}


# ---------------------------------------------------------------- the table

W = "{winnow}"   # replaced by the binary's path


def rec(name: str) -> str:
    return f"bench/recipes/{name}.yaml"


def io(name, section, prep, winnow, floor, note="", warm_winnow=False):
    return {"name": name, "section": section, "prep": prep, "winnow": winnow, "floor": floor, "note": note,
            "kind": "io", "warm_winnow": warm_winnow}


def benches(args) -> list[dict]:
    n = args.semantic_n
    sem = lambda m: f"{OUT}/semantic-{m}-{n}.yaml"  # noqa: E731
    return [
        io("minhash", "MinHash speed", prep_corpus("corpus"),
           lambda c: [W, "run", rec("minhash-dedup"), "--workers", "2", "--overwrite"],
           lambda c: [W, "run", rec("minhash-floor"), "--workers", "2", "--overwrite"]),
        io("substring", "Exact-substring dedup", prep_corpus("corpus-small"),
           lambda c: [W, "run", rec("substring-dedup"), "--workers", "2", "--overwrite"],
           lambda c: [W, "run", rec("substring-floor"), "--workers", "2", "--overwrite"]),
        {"name": "warc", "section": "WARC → JSONL", "prep": prep_warc, "kind": "inflate",
         "winnow": lambda c: [W, "run", rec("warc-speed"), "--overwrite"],
         "note": "the Winnow side is itself a read → write (`stages: []`); floor = zlib inflate of the same .warc.gz "
                 "files in one thread (Python's zlib; Winnow's libdeflate is faster, so the true floor is lower)"},
        io("jsonl-numbers", "JSONL numbers", prep_numbers,
           lambda c: [W, "run", rec("jsonl-numbers"), "--overwrite"],
           lambda c: [W, "run", rec("jsonl-numbers-floor"), "--overwrite"]),
        io("lid", "Language ID", prep_lid,
           lambda c: [W, "lid", c["corpus"], "--model", "models/lid.176.ftz"],
           lambda c: [W, "run", rec("lid-floor"), "--workers", "1", "--overwrite"],
           note="floor writes every document back (more than lid's one line per document)"),
        io("lm-wikitext", "Kneser-Ney LM (WikiText, 5-gram → .wlm)", prep_lm,
           lambda c: [W, "lm", "train", "--input", c["wikitext"], "--format", "text", "--order", "5", "-q",
                      "--output", f"{OUT}/lm-wikitext-5.wlm"],
           lambda c: [W, "run", rec("lm-wikitext-floor"), "--overwrite"]),
        io("lm-web", "Kneser-Ney LM (web, 5-gram → .wlm)", prep_lm,
           lambda c: [W, "lm", "train", "--input", c["web"], "--format", "text", "--order", "5", "-q",
                      "--discount-fallback", "--output", f"{OUT}/lm-web-5.wlm"],
           lambda c: [W, "run", rec("lm-web-floor"), "--overwrite"]),
        io("dsir", "DSIR", prep_dsir,
           lambda c: [W, "select", "--method", "dsir", "--target", f"{DATA}/dsir/wikitext-target.jsonl",
                      "--input", f"{DATA}/dsir/pool.jsonl", "--count", "2000", "--seed", "0", "--workers", "2",
                      "--output", f"{OUT}/dsir", "--overwrite", "--quiet", "--shard-size", "8MiB"],
           lambda c: [W, "run", rec("dsir-floor"), "--workers", "2", "--overwrite"]),
        io("semdedup", f"Semantic dedup (n = {n})", prep_semantic(n),
           lambda c: [W, "run", sem("semdedup"), "--workers", "2", "--overwrite"],
           lambda c: [W, "run", sem("floor"), "--workers", "2", "--overwrite"],
           note="I/O floor: the documents' JSONL read → write; the .npy read is part of the stage"),
        {"name": "kcenter", "section": f"Diversity k_center (n = {args.diversity_n})", "prep": prep_semantic(args.diversity_n),
         "kind": "sgemv", "winnow": lambda c: [W, "run", f"{OUT}/semantic-kcenter-{args.diversity_n}.yaml", "--workers", "2", "--overwrite"],
         "note": "floor = 1,000 matrix-vector passes over the n × 384 float32 vectors (one per pick), each timed "
                 "with numpy's OpenBLAS sgemv, one thread"},
        {"name": "facility", "section": f"Diversity facility_location (n = {args.diversity_n})", "prep": prep_semantic(args.diversity_n),
         "kind": "gemm-graph", "winnow": lambda c: [W, "run", f"{OUT}/semantic-facility-{args.diversity_n}.yaml", "--workers", "2", "--overwrite"],
         "note": "floor = the exact neighbour graph's n²·d multiply-adds (2·n²·d FLOP) ÷ numpy's sgemm rate on 2 threads"},
        io("classifier", "fastText classifier (text corpus by source)", prep_classifier,
           lambda c: [W, "classify", "train", "--input", c["train"], "--output", f"{OUT}/classifier.bin", "--quiet",
                      "--init-threads", "1"],
           lambda c: [W, "run", rec("classifier-floor"), "--workers", "1", "--overwrite"]),
        {"name": "compress", "section": "Prompt compression latency (default)", "prep": prep_compress, "kind": "minilm",
         "winnow": lambda c: [W, "compress", "--json", "--bench", "10", "--models", "models"],
         "note": "floor = MiniLM's FLOPs over the ≤ 384 WordPiece tokens of the leading contexts it re-ranks (counted as 256 + 128) ÷ numpy's "
                 "sgemm rate on one thread (the compressor pins OpenBLAS to one); Winnow = the median total of --bench 10"},
        io("examples", "Example selection (TREC, kNN, pool cached)", prep_examples,
           lambda c: [W, "examples", "--pool", c["pool"], "--queries", c["queries"], "--k", "8", "--method", "knn",
                      "--tokenizer", "whitespace", "--seed", "0", "--cache", c["cache"]],
           lambda c: [W, "examples", "--pool", c["pool"], "--queries", c["queries"], "--k", "8", "--method", "random",
                      "--tokenizer", "whitespace", "--seed", "0", "--cache", c["cache"]],
           note="floor = the same command with --method random: reads the pool and queries, writes 8 picks per query, "
                "embeds nothing; the warm-up run fills the pool's vector cache, as examples_eval.py does",
           warm_winnow=True),
        {"name": "serve", "section": "`winnow serve` embeddings-only load (ceiling)", "prep": lambda: {}, "kind": "serve",
         "winnow": None,
         "note": "no I/O floor (a load test); the ceiling is the forward pass: a request of 1–8 SST-2 sentences "
                 "(bench/serve_load.py's mix, mean 4.5) costs MiniLM's FLOPs for their WordPiece tokens; floor s = "
                 "seconds per request at numpy's sgemm rate on 2 threads, i.e. 1 / the requests/s no server can pass "
                 "on this machine; compare with serve_load.py's requests/s (not run here: it needs a quiet machine)"},
        io("tokenize", "Tokenization (GPT-2, count only)", prep_tokenizer,
           lambda c: [W, "tokenize", "--count-only", "--tokenizer", "gpt2", "--workers", "2"] + c["files"],
           lambda c: [W, "run", rec("tokenize-floor"), "--workers", "2", "--overwrite"],
           note="floor writes the documents back; --count-only writes nothing"),
    ]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--winnow", default=".build/release/winnow")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated names (see --list)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--semantic-n", type=int, default=100_000, help="rows for semantic_dedup (the section's 100k)")
    ap.add_argument("--diversity-n", type=int, default=20_000,
                    help="rows for k_center and facility_location (the section's 20k row; 100k takes minutes)")
    ap.add_argument("--json", default=os.path.join(OUT, "floors.json"))
    args = ap.parse_args()
    table = benches(args)
    if args.list:
        for b in table:
            print(f"{b['name']:15s} {b['section']}")
        return 0
    only = {x for x in args.only.split(",") if x}
    unknown = only - {b["name"] for b in table}
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))} (see --list)")
    winnow = os.path.abspath(os.path.join(ROOT, args.winnow)) if not os.path.isabs(args.winnow) else args.winnow
    if not os.access(winnow, os.X_OK):
        sys.exit(f"no winnow binary at {winnow} (swift build -c release, or --winnow PATH)")
    os.makedirs(os.path.join(ROOT, OUT), exist_ok=True)
    sha = hashlib.sha256(open(winnow, "rb").read()).hexdigest()[:16]
    load0 = open("/proc/loadavg").read().split()[:3]
    started = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
    print(f"# floors: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, winnow {winnow} (sha256 {sha}…), "
          f"runs {args.runs}, load average {' '.join(load0)}", file=sys.stderr)
    sub = lambda cmd: [winnow if x == W else x for x in cmd]  # noqa: E731
    shown = lambda cmd: sh([args.winnow if x == W else x for x in cmd])  # noqa: E731
    rows = []
    for b in table:
        if only and b["name"] not in only:
            continue
        ctx = b["prep"]()
        wcmd = b["winnow"](ctx) if b["winnow"] else []
        stdin = ctx.get("request")
        ws, fs, extra = [], [], {}
        wc, fc = [], []                                         # CPU seconds (user + sys), io rows
        fcmd_text = ""
        if b["kind"] == "io":
            fcmd = b["floor"](ctx)
            fcmd_text = shown(fcmd)
            run(sub(fcmd))                                      # warm-up (page cache, output folder)
            if b.get("warm_winnow"):
                run(sub(wcmd), stdin)
            for _ in range(args.runs):
                wall, cpu, _ = run(sub(wcmd), stdin)
                ws.append(wall)
                wc.append(cpu)
                wall, cpu, _ = run(sub(fcmd))
                fs.append(wall)
                fc.append(cpu)
        elif b["kind"] == "inflate":
            files = sorted(glob.glob(os.path.join(ROOT, DATA, "warc", "*.warc.gz")))
            fcmd_text = f"zlib inflate of {DATA}/warc/*.warc.gz (in bench/floors.py)"
            for _ in range(args.runs):
                ws.append(run(sub(wcmd))[0])
                t = time.perf_counter()
                for f in files:
                    data = open(f, "rb").read()
                    while data:                                  # gzip members, one per record
                        d = zlib.decompressobj(31)
                        d.decompress(data)
                        data = d.unused_data
                fs.append(time.perf_counter() - t)
        elif b["kind"] == "sgemv":
            for _ in range(args.runs):
                ws.append(run(sub(wcmd))[0])
                fs.append(1000 * sgemv_seconds(ctx["n"]))
            fcmd_text = f"1000 × numpy sgemv over {ctx['n']} × 384 (one thread)"
        elif b["kind"] == "gemm-graph":
            for _ in range(args.runs):
                ws.append(run(sub(wcmd))[0])
            rate = gemm_rate(2)
            fs = [2.0 * ctx["n"] ** 2 * 384 / rate]
            extra["gflops"] = round(rate / 1e9, 1)
            fcmd_text = f"2·n²·384 FLOP ÷ numpy sgemm {rate / 1e9:.1f} GFLOP/s (2 threads)"
        elif b["kind"] == "minilm":
            _, _, err = run(sub(wcmd), stdin, pipe_stdout=True)   # its --bench line goes to stdout
            import re
            m = re.search(r"total ([0-9.]+) ms; .*rank ([0-9.]+) ms", err)
            if not m:
                sys.exit(f"no --bench line in: {err[-500:]}")
            ws = [float(m.group(1)) / 1000]
            extra["rank_s"] = float(m.group(2)) / 1000
            rate = gemm_rate(1)
            fs = [minilm_flops([256, 128]) / rate]
            extra["gflops"] = round(rate / 1e9, 1)
            fcmd_text = f"MiniLM FLOPs of 256 + 128 tokens ÷ numpy sgemm {rate / 1e9:.1f} GFLOP/s (1 thread)"
        elif b["kind"] == "serve":
            from tokenizers import Tokenizer
            tok = Tokenizer.from_file(os.path.join(ROOT, "models/all-MiniLM-L6-v2/tokenizer.json"))
            tok.no_truncation()
            tok.no_padding()
            sst = os.path.join(SHARED, "classification", "stsa.binary.test")
            sents = [line.split(" ", 1)[1].strip() for line in open(sst, encoding="utf-8") if " " in line]
            counts = [min(256, len(e.ids)) for e in tok.encode_batch(sents)]
            per_sentence = minilm_flops(counts) / len(counts)
            rate = gemm_rate(2)
            fs = [4.5 * per_sentence / rate]
            extra.update({"gflops": round(rate / 1e9, 1), "mean_tokens": round(sum(counts) / len(counts), 1),
                          "ceiling_requests_per_s": round(rate / (4.5 * per_sentence), 1)})
            fcmd_text = (f"4.5 × MiniLM FLOPs of a mean SST-2 sentence ({sum(counts) / len(counts):.1f} tokens) ÷ numpy sgemm "
                         f"{rate / 1e9:.1f} GFLOP/s (2 threads) = ceiling {extra['ceiling_requests_per_s']} requests/s")
        w, f = median(ws), median(fs)
        row = {"name": b["name"], "benchmark": b["section"], "winnow_s": round(w, 3), "floor_s": round(f, 3),
               "ratio": round(w / f, 2) if f > 0 and ws else None, "winnow_runs": [round(x, 3) for x in ws],
               "floor_runs": [round(x, 3) for x in fs], "winnow_command": shown(wcmd) + (f" < {stdin}" if stdin else ""),
               "floor_command": fcmd_text, "note": b["note"], **extra}
        if wc:
            row.update({"winnow_cpu_s": round(median(wc), 3), "floor_cpu_s": round(median(fc), 3),
                        "cpu_ratio": round(median(wc) / median(fc), 2) if median(fc) > 0 else None})
        rows.append(row)
        print(f"  {b['name']}: winnow {w:.3f} s, floor {f:.3f} s, {row['ratio']}×  (runs {row['winnow_runs']} / {row['floor_runs']})",
              file=sys.stderr, flush=True)
    load1 = open("/proc/loadavg").read().split()[:3]
    print(f"\nMedian of {args.runs}, interleaved; load average {' '.join(load0)} before, {' '.join(load1)} after "
          f"(indicative on a shared machine); winnow sha256 {sha}…\n")
    print("| benchmark | Winnow s | floor s | Winnow ÷ floor | CPU s Winnow / floor (÷) | Winnow command | floor |")
    print("|---|---:|---:|---:|---:|---|---|")
    for r in rows:
        cpu = f"{r['winnow_cpu_s']:.2f} / {r['floor_cpu_s']:.2f} ({r['cpu_ratio']}×)" if "cpu_ratio" in r else "–"
        print(f"| {r['benchmark']} | {r['winnow_s'] if r['winnow_s'] == r['winnow_s'] else '–'} | {r['floor_s']:.3f} | {str(r['ratio']) + '×' if r['ratio'] else '–'} | {cpu} | `{r['winnow_command']}` | "
              f"`{r['floor_command']}` |")
    with open(os.path.join(ROOT, args.json), "w") as f:
        json.dump({"started": started, "date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), "winnow_sha256": sha, "runs": args.runs,
                   "loadavg_before": load0, "loadavg_after": load1, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
