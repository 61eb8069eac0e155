#!/usr/bin/env python3
"""Writes the tokenizer parity corpus: real documents from ../shared/data as JSONL shards.

SQuAD v1.1 and v2.0 dev contexts (distinct paragraphs), NQ-open gold long answers, WikiText-2
test articles (split at the " = Title = " headings, CRLF kept), Project Gutenberg books (in 4 KB paragraphs groups, raw text with its
line breaks), and CCNet/Dolma web documents. Four shards, documents dealt round-robin.

  python3 bench/make_tokenizer_corpus.py OUT_DIR     (stdlib only)
"""
import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def squad():
    seen = set()
    for name in ("squad-v1.1-dev.json.gz", "squad-v2.0-dev.json.gz"):
        with gzip.open(DATA / "qa/squad-dev" / name, "rt", encoding="utf-8") as f:
            for article in json.load(f)["data"]:
                for p in article["paragraphs"]:
                    if p["context"] not in seen:
                        seen.add(p["context"])
                        yield "squad", p["context"]


def nq():
    with gzip.open(DATA / "qa/nq-open/nq-open-oracle.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            gold = d.get("nq_annotated_gold") or {}
            if gold.get("long_answer"):
                yield "nq", gold.get("title", "") + "\n" + gold["long_answer"]


def wikitext():
    with open(DATA / "text/wikitext-2-raw/wiki.test.raw", encoding="utf-8", newline="") as f:
        text = f.read()  # CRLF line ends kept
    for part in re.split(r"\r?\n(?= = [^=])", text):
        if part.strip():
            yield "wikitext", part


def gutenberg():
    for path in sorted((DATA / "text/gutenberg-gitenberg").glob("pg*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        chunk = []
        size = 0
        for para in text.split("\n\n"):
            chunk.append(para)
            size += len(para)
            if size >= 4000:
                yield "gutenberg", "\n\n".join(chunk)
                chunk, size = [], 0
        if chunk:
            yield "gutenberg", "\n\n".join(chunk)


def web():
    for path in sorted((DATA / "web/ccnet-docs").glob("*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    d = json.loads(line)
                    text = d.get("text") or d.get("raw_content")
                    if text:
                        yield "web", text


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    docs = [d for source in (squad, nq, wikitext, gutenberg, web) for d in source()]
    shards = [open(out / f"part-{k}.jsonl", "w", encoding="utf-8") for k in range(4)]
    for i, (source, text) in enumerate(docs):
        shards[i % 4].write(json.dumps({"id": f"{source}-{i}", "text": text, "source": source}, ensure_ascii=False) + "\n")
    for s in shards:
        s.close()
    print(f"{len(docs)} documents, {sum(len(t.encode()) for _, t in docs) / 1e6:.1f} MB -> {out}")


if __name__ == "__main__":
    main()
