#!/usr/bin/env python3
"""Build bench/data/text-corpus.jsonl: real documents of many kinds for rule and language-ID parity.

    bench/.venv/bin/python bench/make_text_corpus.py [--data ../shared/data] [--out bench/data/text-corpus.jsonl]

Needs the bench virtualenv (trafilatura extracts the web pages' main text; everything else is
standard library). One JSON object per line: {"id", "text", "metadata": {"source", ...}}.

Sources, in this order (each sorted, so the output is deterministic for the same inputs):
  * html-scrapinghub   102 news/blog pages of ../shared/data/html/scrapinghub, text by trafilatura
  * html-trafilatura   487 pages (mostly German, some English/French) of ../shared/data/html/trafilatura
  * wikitext           the 62 articles of WikiText-2's test split (split at top-level " = Title = ")
  * nltk-*             inaugural and State of the Union speeches (one per file); webtext files and
                       ABC news in chunks of 40 lines (forum chat, ads, film scripts, news)
  * gutenberg          3 Project Gutenberg books in chunks of 120 lines (PG boilerplate included)
  * ccnet              30 cc_net/dolma Common Crawl documents

Everything comes from ../shared/data: nothing depends on what is installed on the machine (the
Debian copyright files of /usr/share/doc that an earlier version added made the corpus differ
between machines). Long documents (0.2–3 MB each) are a separate corpus, built from the same
data with a seed: bench/make_long_corpus.py.

Pages where trafilatura finds nothing are kept with empty text: empty documents are a case the
rule stages must handle too. The script prints the per-source counts and a sha256 of the output.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import sys
import zipfile


def read_html(path: str) -> str:
    raw = open(path, "rb").read()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def html_docs(folder: str, source: str):
    import trafilatura

    files = sorted(glob.glob(os.path.join(folder, "html", "*.htm*")))
    for path in files:
        text = trafilatura.extract(read_html(path)) or ""
        name = os.path.basename(path)
        yield {"id": f"{source}/{name}", "text": text, "metadata": {"source": source, "file": name}}


def wikitext_docs(path: str):
    title, lines = None, []
    index = 0

    def flush():
        nonlocal index
        if title is not None:
            doc = {"id": f"wikitext/{index:03d}", "text": "".join(lines).strip("\n"),
                   "metadata": {"source": "wikitext", "title": title}}
            index += 1
            return doc
        return None

    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if s.startswith("= ") and s.endswith(" =") and not s.startswith("= ="):
                doc = flush()
                if doc:
                    yield doc
                title, lines = s.strip("= ").strip(), []
            else:
                lines.append(line)
    doc = flush()
    if doc:
        yield doc


def chunks(lines, size):
    for i in range(0, len(lines), size):
        part = "".join(lines[i:i + size]).strip("\n")
        if part.strip():
            yield i // size, part


def nltk_docs(folder: str):
    for corpus, mode in (("inaugural", "file"), ("state_union", "file"), ("webtext", 40), ("abc", 40)):
        path = os.path.join(folder, f"{corpus}.zip")
        if not os.path.exists(path):
            continue
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                if name.endswith("/") or os.path.basename(name).upper() == "README":
                    continue
                text = z.read(name).decode("utf-8", errors="replace").replace("\r\n", "\n")
                base = os.path.basename(name)
                if mode == "file":
                    yield {"id": f"nltk-{corpus}/{base}", "text": text.strip(),
                           "metadata": {"source": f"nltk-{corpus}", "file": base}}
                else:
                    for i, part in chunks(text.splitlines(keepends=True), mode):
                        yield {"id": f"nltk-{corpus}/{base}/{i}", "text": part,
                               "metadata": {"source": f"nltk-{corpus}", "file": base}}


def gutenberg_docs(folder: str):
    for path in sorted(glob.glob(os.path.join(folder, "*.txt"))):
        base = os.path.basename(path)
        text = open(path, encoding="utf-8", errors="replace").read().replace("\r\n", "\n")
        for i, part in chunks(text.splitlines(keepends=True), 120):
            yield {"id": f"gutenberg/{base}/{i}", "text": part, "metadata": {"source": "gutenberg", "file": base}}


def ccnet_docs(folder: str):
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f):
                rec = json.loads(line)
                text = rec.get("text") or rec.get("raw_content") or ""
                yield {"id": f"ccnet/{os.path.basename(path)}/{n}", "text": text, "metadata": {"source": "ccnet"}}


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(here, "data", "text-corpus.jsonl"))
    args = ap.parse_args()
    data = os.path.normpath(args.data)
    if not os.path.isdir(data):
        print(f"make_text_corpus: {data} not found (pass --data)", file=sys.stderr)
        return 1

    generators = [
        html_docs(os.path.join(data, "html", "scrapinghub"), "html-scrapinghub"),
        html_docs(os.path.join(data, "html", "trafilatura"), "html-trafilatura"),
        wikitext_docs(os.path.join(data, "text", "wikitext-2-raw", "wiki.test.raw")),
        nltk_docs(os.path.join(data, "text", "nltk-corpora")),
        gutenberg_docs(os.path.join(data, "text", "gutenberg-gitenberg")),
        ccnet_docs(os.path.join(data, "web", "ccnet-docs")),
    ]

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    counts: dict[str, int] = {}
    tmp = args.out + ".tmp"
    seen: set[str] = set()
    with open(tmp, "w", encoding="utf-8") as out:
        for gen in generators:
            for doc in gen:
                if doc["id"] in seen:
                    raise SystemExit(f"duplicate id {doc['id']}")
                seen.add(doc["id"])
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")
                src = doc["metadata"]["source"]
                counts[src] = counts.get(src, 0) + 1
    os.replace(tmp, args.out)
    digest = hashlib.sha256(open(args.out, "rb").read()).hexdigest()
    for src, n in counts.items():
        print(f"{src:20s} {n:6d}")
    print(f"{'total':20s} {sum(counts.values()):6d}  -> {args.out}  sha256 {digest[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
