#!/usr/bin/env python3
"""Build the deterministic JSONL.gz benchmark corpus for the dedup benchmarks.

    python3 bench/make_corpus.py            # bench/data/corpus/       (>= 200 MB gzipped, 8 files)
    python3 bench/make_corpus.py --small    # bench/data/corpus-small/ (~20 MB gzipped, 8 files)

Standard library only (runs with any python3 >= 3.9, no venv needed).

Every document is real human text: a run of consecutive paragraphs from one
source unit (a Wikipedia article, a speech, a book, a QA context set, ...) read
from ../shared/data (see --data) only, never from the machine's installed files
(an earlier version also read /usr/share/doc/*/copyright, which made the corpus
differ between machines). Lengths are log-uniform in [200 B, 20 KB].

Duplicate structure (fractions of all documents, drawn per document):
  * ~10 %  exact duplicates of an earlier document (same text, new id)
  * ~3 %   "case_ws" variants of an earlier document: differ only in letter
           case and whitespace (identical after lowercase + whitespace collapse,
           which is Winnow's exact_dedup normalisation)
  * ~2 %   "punct_digits" variants: one or more punctuation marks swapped for
           other punctuation and/or digits changed (identical only under a
           stronger normalisation such as datatrove's simplify_text:
           lowercase, digits->0, punctuation->space, whitespace collapse)
"Base" documents are guaranteed distinct from each other even under that
strongest normalisation, so the duplicate structure above is the only one.
Each line is {"id", "text", "metadata": {"source", "unit", "paras", ["dup_of",
"dup_kind"]}}; ~10 % of lines are written with ensure_ascii (\\uXXXX escapes)
and ~2 % with "metadata" before "text".

Determinism: fixed seed, sorted inputs, gzip with mtime=0 and no file name.
The output is byte-identical for the same seed and the same ../shared/data; the
printed "pool sha256" fingerprints the input text.

Writes <out>/part-NNN.jsonl.gz and <out>/stats.json (doc counts, sizes, and the
number of distinct texts under each normalisation = expected survivors of an
exact dedup with that normalisation).
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import html
import json
import math
import os
import random
import re
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIN_LEN, MAX_LEN = 200, 20_000
P_EXACT, P_CASE_WS, P_PUNCT_DIGITS = 0.10, 0.03, 0.02
P_ENSURE_ASCII, P_META_FIRST = 0.10, 0.02

# ----------------------------------------------------------------------------- normalisations
_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w\s]|_")


def norm_winnow(t: str) -> str:
    """Winnow's exact_dedup key: lowercase, whitespace runs -> one space, trimmed."""
    return _WS.sub(" ", t.lower()).strip()


def norm_strong(t: str) -> str:
    """Approximation of datatrove's simplify_text defaults (lowercase, numbers -> 0,
    punctuation -> space, whitespace collapse); diacritics are left alone because
    no variant touches them."""
    t = _DIGITS.sub("0", t.lower())
    t = _PUNCT.sub(" ", t)
    return _WS.sub(" ", t).strip()


def h(t: str) -> bytes:
    return hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest()


# ----------------------------------------------------------------------------- sources
class Unit:
    """A sequence of paragraphs from one source document."""

    __slots__ = ("source", "name", "paras", "joiner", "chars")

    def __init__(self, source: str, name: str, paras: list[str], joiner: str = "\n\n"):
        self.source, self.name, self.joiner = source, name, joiner
        self.paras = [p for p in paras if p.strip()]
        self.chars = sum(len(p) for p in self.paras)


def lines_of(text: str) -> list[str]:
    return [ln.rstrip() for ln in text.splitlines() if ln.strip()]


def blocks_of(text: str, unwrap: bool) -> list[str]:
    out = []
    for b in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        b = b.strip("\n").rstrip()
        if not b.strip():
            continue
        out.append(" ".join(x.strip() for x in b.splitlines()) if unwrap else b)
    return out


def load_wikitext(d: Path) -> list[Unit]:
    text = (d / "text/wikitext-2-raw/wiki.test.raw").read_text(encoding="utf-8")
    # undo the @-@ / @,@ / @.@ tokenisation artefacts so the text reads naturally
    text = text.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".")
    units, cur, title = [], [], "wikitext"
    for ln in text.splitlines():
        s = ln.strip()
        if not s:
            continue
        if re.fullmatch(r"= [^=].* =", s):  # top-level article title
            if cur:
                units.append(Unit("wikitext-2", title, cur))
            cur, title = [], s.strip("= ").strip()
        cur.append(s)
    if cur:
        units.append(Unit("wikitext-2", title, cur))
    return units


_WIKI_NS = re.compile(r"^(file|image|category|media|wikipedia|wp|template|help|portal|[a-z]{2,3}(-[a-z]+)?):", re.I)


def strip_wiki(t: str) -> str:
    t = re.sub(r"<!--.*?-->", "", t, flags=re.S)
    t = re.sub(r"<ref[^>/]*/>", "", t)
    t = re.sub(r"<ref[^>]*>.*?</ref>", "", t, flags=re.S)
    for _ in range(10):  # innermost templates / tables first
        t2 = re.sub(r"\{\{[^{}]*\}\}", "", t)
        t2 = re.sub(r"\{\|[^{}]*?\|\}", "", t2, flags=re.S)
        if t2 == t:
            break
        t = t2

    def link(m: re.Match) -> str:
        target, _, label = m.group(1).partition("|")
        if _WIKI_NS.match(target):
            return ""
        return label or target

    for _ in range(5):
        t2 = re.sub(r"\[\[([^\[\]]*)\]\]", link, t)
        if t2 == t:
            break
        t = t2
    t = re.sub(r"\[https?://\S+ ([^\]]*)\]", r"\1", t)
    t = re.sub(r"\[https?://\S+\]", "", t)
    t = re.sub(r"<[^>]+>", "", t)
    t = t.replace("'''", "").replace("''", "")
    t = re.sub(r"^(=+)\s*(.*?)\s*\1\s*$", r"\2", t, flags=re.M)
    t = re.sub(r"^[*#:;]+\s*", "", t, flags=re.M)
    return html.unescape(t)


def load_enwiki(d: Path) -> list[Unit]:
    path = d / "text/gensim-test-data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    units = []
    with bz2.open(path) as f:
        title = ""
        for _, el in ET.iterparse(f):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "title":
                title = el.text or ""
            elif tag == "text":
                raw = el.text or ""
                if not raw.lstrip().upper().startswith("#REDIRECT"):
                    paras = [p for p in lines_of(strip_wiki(raw)) if len(p) > 1 and not p.startswith(("|", "!"))]
                    if paras:
                        units.append(Unit("enwiki-xml", title, paras))
            elif tag == "page":
                el.clear()
    return units


def load_gutenberg(d: Path) -> list[Unit]:
    units = []
    for p in sorted((d / "text/gutenberg-gitenberg").glob("pg*.txt")):
        text = p.read_text(encoding="utf-8", errors="replace")
        units.append(Unit("gutenberg", p.stem, blocks_of(text, unwrap=True)))
    return units


def load_nltk(d: Path) -> list[Unit]:
    units = []
    for z in sorted((d / "text/nltk-corpora").glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            for name in sorted(zf.namelist()):
                if name.endswith("/") or name.rsplit("/", 1)[-1].upper().startswith("README"):
                    continue
                text = zf.read(name).decode("utf-8", errors="replace")
                if "\x00" in text:
                    continue
                units.append(Unit(f"nltk-{z.stem}", name, lines_of(text), joiner="\n"))
    return units


def load_lee(d: Path) -> list[Unit]:
    units = []
    for name in ("lee_background.cor", "lee.cor"):
        text = (d / "text/gensim-test-data" / name).read_text(encoding="utf-8", errors="replace")
        units.append(Unit("gensim-lee", name, lines_of(text)))
    return units


def load_qa(d: Path) -> list[Unit]:
    units = []
    for name in ("squad-v1.1-dev.json.gz", "squad-v2.0-dev.json.gz"):
        data = json.load(gzip.open(d / "qa/squad-dev" / name, "rt", encoding="utf-8"))
        for art in data["data"]:
            units.append(Unit("squad", f"{name}:{art['title']}", [p["context"] for p in art["paragraphs"]]))
    nq = []
    with gzip.open(d / "qa/nq-open/nq-open-oracle.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            for c in r.get("ctxs", []):
                nq.append(f"{c.get('title', '')}\n{c.get('text', '')}".strip())
    units.append(Unit("nq-open", "oracle-passages", nq))
    hp = []
    for r in json.load(open(d / "qa/hotpotqa/hotpotqa_dev_distractor_sample.json", encoding="utf-8")):
        hp.append(r["title_a"] + "\n" + "".join(r["para_a"]))
        hp.append(r["title_b"] + "\n" + "".join(r["para_b"]))
        for dis in r.get("distractors", []):  # [title, sentences, ...]
            hp.append(dis[0] + "\n" + "".join(dis[1]))
    units.append(Unit("hotpotqa", "paragraphs", hp))
    for split in ("train", "test"):
        items = []
        with open(d / f"qa/gsm8k/{split}.jsonl", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                items.append(r["question"].strip() + "\n" + r["answer"].strip())
        units.append(Unit("gsm8k", split, items))
    with open(d / "qa/quality-example/quality_example.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            art = r["article"]
            art = "".join(art) if isinstance(art, list) else art  # an HTML page, as lines
            art = re.sub(r"(?is)<(head|style|script)\b.*?</\1>", "", art)
            art = re.sub(r"(?i)</p>|<br\s*/?>|</h\d>", "\n\n", art)
            art = html.unescape(re.sub(r"<[^>]+>", "", art))
            units.append(Unit("quality", str(r.get("title", "article")), blocks_of(art, unwrap=True)))
    return units


def load_classification(d: Path) -> list[Unit]:
    units = []
    for name in ("TREC.train", "TREC.test", "stsa.binary.train", "stsa.binary.dev", "stsa.binary.test"):
        text = (d / "classification" / name).read_text(encoding="utf-8", errors="replace")
        rows = [ln.split(" ", 1)[1] for ln in lines_of(text) if " " in ln]  # drop the label
        units.append(Unit("trec" if name.startswith("TREC") else "sst2", name, rows, joiner="\n"))
    return units


def load_pool(data: Path) -> list[Unit]:
    loaders = [load_wikitext, load_enwiki, load_gutenberg, load_nltk, load_lee, load_qa, load_classification]
    units = []
    for fn in loaders:
        units.extend(fn(data))
    units = [u for u in units if u.paras]
    # split paragraphs longer than MAX_LEN at whitespace so every unit can yield short docs
    for u in units:
        out = []
        for p in u.paras:
            while len(p) > MAX_LEN:
                cut = p.rfind(" ", MAX_LEN // 2, MAX_LEN)
                cut = cut if cut > 0 else MAX_LEN
                out.append(p[:cut])
                p = p[cut:].lstrip()
            if p:
                out.append(p)
        u.paras = out
    return units


# ----------------------------------------------------------------------------- generation
class Generator:
    def __init__(self, units: list[Unit], seed: int):
        self.rng = random.Random(seed)
        self.units = units
        # sampling weight = characters
        w = [float(u.chars) for u in units]
        acc, self.cum = 0.0, []
        for x in w:
            acc += x
            self.cum.append(acc)
        self.strong_keys: set[bytes] = set()
        self.texts: list[str] = []  # every emitted text (for duplicate sources)
        self.meta_src: list[str] = []

    def _pick_unit(self) -> Unit:
        import bisect

        return self.units[bisect.bisect_right(self.cum, self.rng.random() * self.cum[-1])]

    def base_doc(self) -> tuple[str, dict]:
        rng = self.rng
        for _ in range(1000):
            u = self._pick_unit()
            target = int(math.exp(rng.uniform(math.log(MIN_LEN), math.log(MAX_LEN))))
            n = len(u.paras)
            start = rng.randrange(n)
            end, size = start, 0
            while end < n and size < target:
                add = len(u.paras[end]) + (len(u.joiner) if end > start else 0)
                if size + add > MAX_LEN and end > start:
                    break
                size += add
                end += 1
            while size < MIN_LEN and start > 0:  # too short at the end of a unit: grow backwards
                add = len(u.paras[start - 1]) + len(u.joiner)
                if size + add > MAX_LEN:
                    break
                start -= 1
                size += add
            if size < MIN_LEN:
                continue
            text = u.joiner.join(u.paras[start:end])
            k = h(norm_strong(text))
            if k in self.strong_keys:
                continue
            self.strong_keys.add(k)
            return text, {"source": u.source, "unit": u.name, "paras": [start, end]}
        raise RuntimeError("could not draw a distinct document; is the data folder complete?")

    # --- variants -------------------------------------------------------------------------
    def case_ws_variant(self, text: str) -> str | None:
        rng = self.rng
        ops = rng.sample(["lower", "upper_span", "title_words", "double_space", "newlines", "edges", "tabs"], k=rng.randint(1, 3))
        t = text
        for op in ops:
            if op == "lower":
                t = t.lower()
            elif op == "upper_span":
                i = rng.randrange(len(t))
                j = min(len(t), i + rng.randint(20, 400))
                span = t[i:j]
                if span.isascii():
                    t = t[:i] + span.upper() + t[j:]
            elif op == "title_words":
                words = t.split(" ")
                for _ in range(max(1, len(words) // 20)):
                    wi = rng.randrange(len(words))
                    if words[wi].isascii():
                        words[wi] = words[wi].capitalize() if rng.random() < 0.5 else words[wi].lower()
                t = " ".join(words)
            elif op == "double_space":
                parts = t.split(" ")
                t = "".join(p + (" " if i == len(parts) - 1 else (" " * rng.choice((1, 1, 1, 2, 3)))) for i, p in enumerate(parts))[:-1]
            elif op == "newlines":
                t = t.replace("\n\n", "\n") if "\n\n" in t else t.replace("\n", " \n  ")
            elif op == "edges":
                t = rng.choice(("  ", "\n", "\t", " \n ")) + t + rng.choice(("\n", "  ", " \n", "\r\n"))
            elif op == "tabs":
                t = re.sub(r" (?=\w)", lambda m: "\t" if rng.random() < 0.05 else " ", t)
        if t != text and norm_winnow(t) == norm_winnow(text):
            return t
        return None

    _SWAP = {",": ";", ";": ",", ".": "!", "!": ".", "?": ".", ":": ";", "-": "\u2013", "\u2013": "-",
             "\"": "'", "'": "\u2019", "\u2019": "'", "(": "[", ")": "]"}

    def punct_digits_variant(self, text: str) -> str | None:
        rng = self.rng
        chars = list(text)
        def between_digits(i: int) -> bool:  # "1,234" is one number for datatrove; keep it so
            return (i > 0 and chars[i - 1].isdigit()) or (i + 1 < len(chars) and chars[i + 1].isdigit())

        idx = [i for i, c in enumerate(chars) if (c in self._SWAP and not between_digits(i)) or c.isdigit()]
        if not idx:
            return None
        for i in rng.sample(idx, k=min(len(idx), rng.randint(1, 4))):
            c = chars[i]
            if c.isdigit():
                if c in "0123456789":
                    chars[i] = str((int(c) + rng.randint(1, 9)) % 10)
            else:
                chars[i] = self._SWAP[c]
        t = "".join(chars)
        if t != text and norm_winnow(t) != norm_winnow(text) and norm_strong(t) == norm_strong(text):
            return t
        return None

    def next_doc(self, i: int) -> tuple[str, dict]:
        rng = self.rng
        r = rng.random()
        if self.texts and r < P_EXACT + P_CASE_WS + P_PUNCT_DIGITS:
            j = rng.randrange(len(self.texts))
            src = self.texts[j]
            if r < P_EXACT:
                return src, {"source": self.meta_src[j], "dup_of": f"doc-{j:08d}", "dup_kind": "exact"}
            for _ in range(10):
                if r < P_EXACT + P_CASE_WS:
                    t, kind = self.case_ws_variant(src), "case_ws"
                else:
                    t, kind = self.punct_digits_variant(src), "punct_digits"
                if t is not None:
                    return t, {"source": self.meta_src[j], "dup_of": f"doc-{j:08d}", "dup_kind": kind}
            # could not make a variant of that document: fall through to a base document
        return self.base_doc()


def write_corpus(args) -> None:
    t0 = time.time()
    units = load_pool(Path(args.data))
    pool = hashlib.sha256()
    for u in units:
        pool.update(f"{u.source}\x00{u.name}\x00".encode())
        for p in u.paras:
            pool.update(p.encode("utf-8", "surrogatepass") + b"\x00")
    by_src: dict[str, int] = {}
    for u in units:
        by_src[u.source] = by_src.get(u.source, 0) + u.chars
    print(f"pool: {len(units)} units, {sum(by_src.values()) / 1e6:.1f} M chars, sha256 {pool.hexdigest()[:16]}  "
          f"({time.time() - t0:.1f}s)", file=sys.stderr)
    for s, c in sorted(by_src.items(), key=lambda x: -x[1]):
        print(f"  {s:18s} {c / 1e6:7.2f} M chars", file=sys.stderr)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.jsonl.gz"):
        old.unlink()
    gen = Generator(units, args.seed)
    per_file = args.target_mb * 1e6 / args.files
    n_docs = raw_bytes = gz_bytes = 0
    kinds = {"base": 0, "exact": 0, "case_ws": 0, "punct_digits": 0}
    non_ascii_docs = 0
    keys = {"raw": set(), "winnow": set(), "strong": set()}
    for fi in range(args.files):
        path = out / f"part-{fi:03d}.jsonl.gz"
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                     compresslevel=args.level) as gz:
            while raw.tell() < per_file:
                text, meta = gen.next_doc(n_docs)
                rec_id = f"doc-{n_docs:08d}"
                gen.texts.append(text)
                gen.meta_src.append(meta["source"])
                kinds[meta.get("dup_kind", "base")] += 1
                if args.stats:
                    keys["raw"].add(h(text))
                    keys["winnow"].add(h(norm_winnow(text)))
                    keys["strong"].add(h(norm_strong(text)))
                if not text.isascii():
                    non_ascii_docs += 1
                ensure_ascii = gen.rng.random() < P_ENSURE_ASCII
                rec = ({"id": rec_id, "metadata": meta, "text": text} if gen.rng.random() < P_META_FIRST
                       else {"id": rec_id, "text": text, "metadata": meta})
                line = (json.dumps(rec, ensure_ascii=ensure_ascii) + "\n").encode("utf-8")
                gz.write(line)
                raw_bytes += len(line)
                n_docs += 1
        gz_bytes += path.stat().st_size
        print(f"  {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
              f"{path.stat().st_size / 1e6:.1f} MB  (docs so far {n_docs:,}, {time.time() - t0:.0f}s)",
              file=sys.stderr)

    stats = {
        "seed": args.seed,
        "files": args.files,
        "documents": n_docs,
        "uncompressed_bytes": raw_bytes,
        "text_bytes": sum(len(t.encode("utf-8", "surrogatepass")) for t in gen.texts),
        "compressed_bytes": gz_bytes,
        "non_ascii_documents": non_ascii_docs,
        "kinds": kinds,
        "pool_sha256": pool.hexdigest(),
    }
    if args.stats:
        stats["distinct"] = {
            "raw_text": len(keys["raw"]),
            "lower_ws_collapsed (winnow exact_dedup)": len(keys["winnow"]),
            "lower_digits_punct_ws (~datatrove simplify_text)": len(keys["strong"]),
        }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    print(json.dumps(stats, indent=2))
    print(f"{n_docs:,} documents, {raw_bytes / 1e6:.1f} MB uncompressed JSONL "
          f"({stats['text_bytes'] / 1e6:.1f} MB of text), {gz_bytes / 1e6:.1f} MB gzipped, "
          f"in {time.time() - t0:.0f}s -> {out}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="~20 MB variant in bench/data/corpus-small")
    ap.add_argument("--out", help="output folder (default bench/data/corpus[-small])")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--target-mb", type=float, help="total gzipped size in MB (default 216, or 20 with --small)")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--level", type=int, default=6, help="gzip level (default 6)")
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"),
                    help="shared evaluation data folder (default ../shared/data from the repo root)")
    ap.add_argument("--no-stats", dest="stats", action="store_false",
                    help="skip counting distinct texts per normalisation (saves time)")
    args = ap.parse_args()
    if args.target_mb is None:
        args.target_mb = 20.0 if args.small else 216.0
    if args.out is None:
        args.out = str(REPO / "bench" / "data" / ("corpus-small" if args.small else "corpus"))
    if not Path(args.data, "text").is_dir():
        sys.exit(f"error: shared data not found at {args.data} (pass --data)")
    write_corpus(args)


if __name__ == "__main__":
    main()
