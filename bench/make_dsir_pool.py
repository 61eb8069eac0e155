#!/usr/bin/env python3
"""Builds the DSIR benchmark data under bench/data/dsir/ (not committed) from ../shared/data.

- pool.jsonl: a raw pool of mixed real text, one JSON object per line
  {"id", "text", "source"}: web pages (the bench text corpus's HTML pages and Debian copyright
  files, cc_net/dolma docs), Wikipedia
  (MediaWiki XML excerpt with markup stripped, SQuAD contexts, NaturalQuestions passages),
  books (3 Gutenberg books in ~250-word chunks), news (Lee corpus, ABC rural/science),
  speeches (inaugural, State of the Union), forums (NLTK webtext) and math (GSM8K).
  Long texts are cut into ~250-word chunks at paragraph boundaries.
- wikitext-target.jsonl: WikiText-2 (raw test split) paragraphs of the even-numbered articles
  — the DSIR target.
- wikitext-heldout.txt: the odd-numbered articles, one paragraph per line — held-out text for
  the language-model proxy (disjoint from the target articles).

Usage: bench/.venv/bin/python bench/make_dsir_pool.py [--shared ../shared/data] [--out bench/data/dsir]
"""
import argparse
import bz2
import gzip
import json
import os
import re
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def chunks(text, words=250):
    """Paragraph-aligned chunks of about `words` words."""
    out, cur, n = [], [], 0
    for para in re.split(r"\n\s*\n|\n", text):
        para = para.strip()
        if not para:
            continue
        cur.append(para)
        n += len(para.split())
        if n >= words:
            out.append("\n".join(cur))
            cur, n = [], 0
    if cur:
        out.append("\n".join(cur))
    return out


def strip_wikitext(t):
    """Crude MediaWiki markup removal (enough for a raw pool)."""
    t = re.sub(r"<!--.*?-->", "", t, flags=re.S)
    t = re.sub(r"<ref[^>]*/>", "", t)
    t = re.sub(r"<ref.*?</ref>", "", t, flags=re.S)
    for _ in range(5):
        t = re.sub(r"\{\{[^{}]*\}\}", "", t)
        t = re.sub(r"\{\|[^{}]*?\|\}", "", t, flags=re.S)
    t = re.sub(r"\[\[(?:File|Image|Category):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]", "", t)
    t = re.sub(r"\[\[[^\]|]*\|([^\]]*)\]\]", r"\1", t)
    t = re.sub(r"\[\[([^\]]*)\]\]", r"\1", t)
    t = re.sub(r"\[https?://\S+ ([^\]]*)\]", r"\1", t)
    t = re.sub(r"'{2,}", "", t)
    t = re.sub(r"<[^>]+>", "", t)
    t = re.sub(r"^=+\s*(.*?)\s*=+\s*$", r"\1", t, flags=re.M)
    t = re.sub(r"^[*#:;]+\s*", "", t, flags=re.M)
    return t


def wikitext_articles(path):
    """WikiText raw articles: (title, [paragraph lines])."""
    arts = []
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if re.fullmatch(r"= [^=].* =", s):
            arts.append((s.strip("= "), []))
        elif s and arts:
            arts[-1][1].append(s)
    return arts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "data", "dsir"))
    ap.add_argument("--text-corpus", default=os.path.join(HERE, "data", "text-corpus.jsonl"))
    a = ap.parse_args()
    d = a.shared
    os.makedirs(a.out, exist_ok=True)
    docs = []

    def add(source, ident, text):
        text = text.strip()
        if text:
            docs.append({"id": f"{source}/{ident}", "text": text, "source": source})

    # web: the bench text corpus's web pages (its WikiText, NLTK and Gutenberg parts are left out:
    # WikiText is the target/held-out text, the others are added below under their own source)
    if os.path.exists(a.text_corpus):
        for line in open(a.text_corpus, encoding="utf-8"):
            r = json.loads(line)
            if r["id"].startswith(("wikitext", "nltk-", "gutenberg")):
                continue
            add("web", r["id"], r["text"])
    for name in sorted(os.listdir(f"{d}/web/ccnet-docs")):
        if name.endswith(".gz"):
            for i, line in enumerate(gzip.open(f"{d}/web/ccnet-docs/{name}", "rt", encoding="utf-8")):
                r = json.loads(line)
                for j, c in enumerate(chunks(r.get("text") or r.get("raw_content") or "", 400)):
                    add("web", f"{name}/{i}/{j}", c)
    # wiki
    xml = bz2.open(f"{d}/text/gensim-test-data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", "rt", encoding="utf-8").read()
    for m in re.finditer(r"<title>(.*?)</title>.*?<text[^>]*>(.*?)</text>", xml, flags=re.S):
        title, body = m.group(1), m.group(2)
        if body.lstrip().lower().startswith("#redirect"):
            continue
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
        for j, c in enumerate(chunks(strip_wikitext(body))):
            add("wiki", f"{title}/{j}", c)
    for version in ("v1.1", "v2.0"):
        squad = json.load(gzip.open(f"{d}/qa/squad-dev/squad-{version}-dev.json.gz", "rt", encoding="utf-8"))
        for art in squad["data"]:
            for j, p in enumerate(art["paragraphs"]):
                add("wiki", f"squad-{version}/{art['title']}/{j}", p["context"])
    for i, line in enumerate(gzip.open(f"{d}/qa/nq-open/nq-open-oracle.jsonl.gz", "rt", encoding="utf-8")):
        r = json.loads(line)
        for j, c in enumerate(r["ctxs"][:1]):
            add("wiki", f"nq/{i}/{j}", c["title"] + "\n" + c["text"])
    # books
    for name in sorted(os.listdir(f"{d}/text/gutenberg-gitenberg")):
        if name.endswith(".txt") and name.startswith("pg"):
            text = open(f"{d}/text/gutenberg-gitenberg/{name}", encoding="utf-8", errors="replace").read()
            for j, c in enumerate(chunks(text)):
                add("books", f"{name}/{j}", c)
    # news
    for i, line in enumerate(open(f"{d}/text/gensim-test-data/lee_background.cor", encoding="utf-8", errors="replace")):
        add("news", f"lee/{i}", line)
    with zipfile.ZipFile(f"{d}/text/nltk-corpora/abc.zip") as z:
        for name in ("abc/rural.txt", "abc/science.txt"):
            text = z.read(name).decode("utf-8", "replace")
            for j, c in enumerate(chunks(text)):
                add("news", f"{name}/{j}", c)
    # speeches
    for corpus in ("inaugural", "state_union"):
        with zipfile.ZipFile(f"{d}/text/nltk-corpora/{corpus}.zip") as z:
            for name in sorted(z.namelist()):
                if name.endswith(".txt"):
                    text = z.read(name).decode("latin-1")
                    for j, c in enumerate(chunks(text)):
                        add("speeches", f"{name}/{j}", c)
    # forums
    with zipfile.ZipFile(f"{d}/text/nltk-corpora/webtext.zip") as z:
        for name in sorted(z.namelist()):
            if name.endswith(".txt"):
                text = z.read(name).decode("utf-8", "replace")
                for j, c in enumerate(chunks(text, 200)):
                    add("forums", f"{name}/{j}", c)
    # math
    for i, line in enumerate(open(f"{d}/qa/gsm8k/train.jsonl", encoding="utf-8")):
        r = json.loads(line)
        add("math", f"gsm8k/{i}", r["question"] + "\n" + r["answer"])

    with open(f"{a.out}/pool.jsonl", "w", encoding="utf-8") as f:
        for r in docs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    arts = wikitext_articles(f"{d}/text/wikitext-2-raw/wiki.test.raw")
    with open(f"{a.out}/wikitext-target.jsonl", "w", encoding="utf-8") as f:
        for i, (title, paras) in enumerate(arts):
            if i % 2 == 0:
                for j, p in enumerate(paras):
                    f.write(json.dumps({"id": f"{title}/{j}", "text": p}, ensure_ascii=False) + "\n")
    with open(f"{a.out}/wikitext-heldout.txt", "w", encoding="utf-8") as f:
        for i, (title, paras) in enumerate(arts):
            if i % 2 == 1:
                for p in paras:
                    f.write(p + "\n")
    counts = {}
    for r in docs:
        counts[r["source"]] = counts.get(r["source"], 0) + 1
    print(json.dumps({"pool_docs": len(docs), "by_source": counts, "wikitext_articles": len(arts),
                      "target_articles": (len(arts) + 1) // 2, "heldout_articles": len(arts) // 2}))


if __name__ == "__main__":
    main()
