#!/usr/bin/env python3
"""Write a FineWeb-shaped Parquet file from real text, seeded.

    bench/.venv/bin/python bench/make_fineweb_parquet.py [--size-mb 500] [--rows-per-group 2000]
        [--data ../shared/data] [--out bench/data/fineweb-shaped.parquet] [--seed 17]

Columns as FineWeb's: text, id, dump, url, date, file_path, language, language_score,
token_count (pyarrow defaults: snappy, dictionary, one row group per --rows-per-group rows, as
datatrove's ParquetWriter writes them in batches). The texts are real: paragraphs of WikiText-2,
Project Gutenberg books, SQuAD/NQ/HotpotQA passages, GSM8K problems, the NLTK corpora and the
cc_net documents of ../shared/data, recombined (3–12 paragraphs per document, seeded) until the
file reaches --size-mb of text; about one document in 40 repeats an earlier one (so MinHash dedup
has work) and one in 25 is short boilerplate (so the rules drop some). Needs pyarrow.
"""
from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import io
import json
import os
import random
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq


def paragraphs(data: str) -> list[str]:
    out: list[str] = []

    def add_text(t: str, min_len: int = 200) -> None:
        for p in t.replace("\r\n", "\n").split("\n\n"):
            p = " ".join(p.split()) if "\n" not in p.strip() else p.strip()
            if len(p) >= min_len:
                out.append(p)

    for f in sorted(glob.glob(os.path.join(data, "text/wikitext-2-raw/*"))):
        if f.endswith((".raw", ".txt", ".tokens")):
            for line in open(f, encoding="utf-8", errors="replace"):
                line = line.strip()
                if len(line) >= 200 and not line.startswith("="):
                    out.append(line)
    for f in sorted(glob.glob(os.path.join(data, "text/gutenberg-gitenberg/**/*.txt"), recursive=True)):
        add_text(open(f, encoding="utf-8", errors="replace").read())
    for f in sorted(glob.glob(os.path.join(data, "text/nltk-corpora/*.zip"))):
        with zipfile.ZipFile(f) as z:
            for n in sorted(z.namelist()):
                if n.endswith("/"):
                    continue
                add_text(z.read(n).decode("utf-8", errors="replace"))
    for f in sorted(glob.glob(os.path.join(data, "qa/**/*.json*"), recursive=True)):
        raw = open(f, "rb").read()
        if f.endswith(".gz"):
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8", errors="replace")
        try:
            objs = [json.loads(text)] if not f.endswith((".jsonl", ".jsonl.gz")) else [json.loads(l) for l in text.splitlines() if l.strip()]
        except json.JSONDecodeError:
            continue
        stack = objs
        while stack:
            o = stack.pop()
            if isinstance(o, dict):
                stack.extend(o.values())
            elif isinstance(o, list):
                if o and all(isinstance(x, str) for x in o) and sum(map(len, o)) >= 200:
                    out.append(" ".join(o))
                else:
                    stack.extend(o)
            elif isinstance(o, str) and len(o) >= 200:
                out.append(o)
    for f in sorted(glob.glob(os.path.join(data, "web/ccnet-docs/*"))):
        raw = open(f, "rb").read()
        if f.endswith(".gz"):
            raw = gzip.decompress(raw)
        for line in raw.decode("utf-8", errors="replace").splitlines():
            try:
                add_text(json.loads(line).get("raw_content") or json.loads(line).get("text") or "")
            except (json.JSONDecodeError, AttributeError):
                pass
    return sorted(set(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=float, default=500)
    ap.add_argument("--rows-per-group", type=int, default=2000)
    ap.add_argument("--data", default=os.path.join("..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join("bench", "data", "fineweb-shaped.parquet"))
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    paras = paragraphs(args.data)
    if len(paras) < 100:
        raise SystemExit(f"only {len(paras)} paragraphs under {args.data}: is ../shared/data there?")
    rng = random.Random(args.seed)
    dumps = ["CC-MAIN-2023-50", "CC-MAIN-2024-10", "CC-MAIN-2024-18", "CC-MAIN-2024-22"]
    hosts = ["example.org", "news.example.com", "blog.example.net", "wiki.example.info", "forum.example.co.uk"]
    boiler = ["Home | About | Contact", "Click here to subscribe to our newsletter!", "Cookies help us deliver our services."]
    target = int(args.size_mb * 1e6)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    tmp = args.out + ".tmp"
    schema = pa.schema(
        [("text", pa.string()), ("id", pa.string()), ("dump", pa.string()), ("url", pa.string()), ("date", pa.string()),
         ("file_path", pa.string()), ("language", pa.string()), ("language_score", pa.float64()), ("token_count", pa.int64())]
    )
    writer = pq.ParquetWriter(tmp, schema)
    total = 0
    n = 0
    earlier: list[str] = []
    while total < target:
        cols = {k: [] for k in schema.names}
        for _ in range(args.rows_per_group):
            r = rng.random()
            if r < 0.025 and earlier:
                text = rng.choice(earlier)
            elif r < 0.065:
                text = rng.choice(boiler)
            else:
                text = "\n\n".join(rng.choice(paras) for _ in range(rng.randint(3, 12)))
                if len(earlier) < 5000 and rng.random() < 0.05:
                    earlier.append(text)
            dump = rng.choice(dumps)
            uid = hashlib.sha1(f"{args.seed}:{n}".encode()).hexdigest()
            cols["text"].append(text)
            cols["id"].append(f"<urn:uuid:{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}>")
            cols["dump"].append(dump)
            cols["url"].append(f"https://{rng.choice(hosts)}/{rng.randint(2000, 2024)}/{n}.html")
            cols["date"].append(f"{dump[8:12]}-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:00Z")
            cols["file_path"].append(f"s3://commoncrawl/crawl-data/{dump}/segments/{rng.randint(1, 99999)}/warc/CC-MAIN-{n % 1000:05d}.warc.gz")
            cols["language"].append("en")
            cols["language_score"].append(round(0.65 + 0.35 * rng.random(), 6))
            cols["token_count"].append(len(text) // 4)
            total += len(text.encode())
            n += 1
        writer.write_table(pa.table(cols, schema=schema))
    writer.close()
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {n} rows, {total / 1e6:.0f} MB of text, {os.path.getsize(args.out) / 1e6:.0f} MB on disk, {len(paras)} source paragraphs")


if __name__ == "__main__":
    main()
