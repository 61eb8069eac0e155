#!/usr/bin/env python3
"""Build bench/data/long-corpus.jsonl: long documents (0.2–3 MB each, >= 150 MB in total) for the
quality-rule benchmarks, recombined from ../shared/data with a fixed seed.

    python3 bench/make_long_corpus.py [--data ../shared/data] [--out bench/data/long-corpus.jsonl]
        [--seed 23] [--target-mb 160]

Standard library only (it reuses bench/make_corpus.py's loaders). The output depends only on the
seed and on ../shared/data — never on what is installed on the machine — so the same command
gives the same bytes everywhere (the script prints a sha256 of the output).

Three shapes, the cases where a rule stage's cost depends on when it can stop:
  * copyright   Debian-style machine-readable copyright files (DEP-5): a header, hundreds to
                thousands of `Files:` / `Copyright:` / `License:` stanzas whose paths, years,
                names and comments are drawn from the data's vocabulary (so lines are mostly
                distinct), then the full text of each license named (Apache-2.0, CC-BY-4.0,
                MIT, the Project Gutenberg license, all from the LICENSE files in the data),
                indented one space with ` .` for blank lines. One in four is instead a
                "third-party notices" file that repeats a short license text per component.
  * repeated    long natural text with repeated sections: a boilerplate block (a license
                paragraph, a list of navigation-like lines, or a paragraph of the text) that
                recurs every few paragraphs, or a whole run of paragraphs printed twice; the
                repeated share is drawn per document (some stay under Gopher's thresholds).
  * natural     long natural text: distinct paragraphs of Wikipedia (WikiText-2 and the
                MediaWiki export), Project Gutenberg books, speeches, news, QA contexts and
                worked maths solutions, in runs of consecutive paragraphs from one source.

Sizes are log-uniform in [0.2, 3] MB (UTF-8 bytes of the text); the kinds are drawn 40 % /
25 % / 35 %. One JSON object per line: {"id", "text", "metadata": {"source", "kind"}}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpus as mc  # noqa: E402  (the shared-data loaders)

REPO = Path(__file__).resolve().parent.parent
MIN_BYTES, MAX_BYTES = 200_000, 3_000_000
KINDS = (("copyright", 0.40), ("repeated", 0.25), ("natural", 0.35))


# ----------------------------------------------------------------------------- the pool
def gutenberg_license(data: Path) -> str:
    text = (data / "text/gutenberg-gitenberg/pg972.txt").read_text(encoding="utf-8", errors="replace")
    i = text.find("*** START: FULL LICENSE ***")
    return text[i:].replace("\r\n", "\n").strip() if i >= 0 else ""


def licenses(data: Path) -> dict[str, str]:
    """The license texts in the data, by their SPDX-like short name."""
    read = lambda p: (data / p).read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n").strip("\n")
    out = {
        "Apache-2.0": read("html/trafilatura/LICENSE"),
        "CC-BY-4.0": read("filter-lists/ldnoobw/LICENSE"),
        "Expat": read("classification/LICENSE"),
        "Gutenberg": read("text/gutenberg-gitenberg/LICENSE-GITenberg.txt"),
    }
    g = gutenberg_license(data)
    if g:
        out["Gutenberg-1.0"] = g
    return out


class Pool:
    def __init__(self, data: Path):
        units = []
        for fn in (mc.load_wikitext, mc.load_enwiki, mc.load_gutenberg, mc.load_nltk, mc.load_lee, mc.load_qa):
            units.extend(fn(data))
        # Distinct paragraphs only (SQuAD v1.1 and v2.0 share articles, NQ repeats passages):
        # a natural document never repeats a paragraph by accident.
        seen: set[bytes] = set()
        self.units: list[list[str]] = []
        self.source: list[str] = []
        for u in units:
            paras = []
            for p in u.paras:
                p = p.strip()
                k = mc.h(p)
                if len(p) < 2 or k in seen:
                    continue
                seen.add(k)
                paras.append(p)
            if paras:
                self.units.append(paras)
                self.source.append(u.source)
        self.paras = [p for u in self.units for p in u]
        self.licenses = licenses(data)
        words = set()
        names = set()
        for p in self.paras[::7]:
            for w in re.findall(r"[A-Za-z]+", p):
                if 3 <= len(w) <= 12:
                    if w[0].isupper() and w[1:].islower():
                        names.add(w)
                    elif w.islower():
                        words.add(w)
        self.words = sorted(words)
        self.names = sorted(names)
        digest = hashlib.sha256()
        for p in self.paras:
            digest.update(p.encode("utf-8", "surrogatepass") + b"\x00")
        for k in sorted(self.licenses):
            digest.update(self.licenses[k].encode() + b"\x00")
        self.sha = digest.hexdigest()


# ----------------------------------------------------------------------------- documents
def utf8_len(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


class Builder:
    def __init__(self, pool: Pool, seed: int):
        self.pool = pool
        self.rng = random.Random(seed)

    # -- pieces
    def name(self) -> str:
        r = self.rng
        return f"{r.choice(self.pool.names)} {r.choice(self.pool.names)}"

    def email(self, name: str) -> str:
        r = self.rng
        first, last = name.lower().split(" ", 1)
        return f"{first}.{last}@{r.choice(self.pool.words)}.{r.choice(('org', 'com', 'net', 'de', 'fr', 'io'))}"

    def years(self) -> str:
        r = self.rng
        a = r.randrange(1985, 2024)
        return str(a) if r.random() < 0.4 else f"{a}-{r.randrange(a + 1, 2026)}"

    def path(self) -> str:
        r = self.rng
        w = self.pool.words
        depth = r.randrange(1, 5)
        parts = [r.choice(w) for _ in range(depth)]
        ext = r.choice((".c", ".h", ".cpp", ".py", ".js", ".rs", ".go", ".java", "/*", ".txt", ".md", ".in"))
        return "/".join(parts) + ext

    def sentence(self) -> str:
        p = self.rng.choice(self.pool.paras)
        cut = re.split(r"(?<=[.!?])\s+", p)
        return self.rng.choice(cut).strip()

    def natural_run(self, budget: int, used: set[int] | None = None) -> list[str]:
        """Runs of consecutive distinct paragraphs from random units, about `budget` bytes."""
        r = self.rng
        out, size = [], 0
        used = set() if used is None else used
        while size < budget:
            ui = r.randrange(len(self.pool.units))
            if ui in used and len(used) < len(self.pool.units):
                continue
            used.add(ui)
            u = self.pool.units[ui]
            start = r.randrange(len(u))
            for p in u[start:start + r.randrange(5, 200)]:
                out.append(p)
                size += utf8_len(p) + 2
                if size >= budget:
                    break
        return out

    @staticmethod
    def indent(text: str) -> str:
        return "\n".join(" " + ln.rstrip() if ln.strip() else " ." for ln in text.split("\n"))

    # -- kinds
    def copyright_doc(self, target: int) -> str:
        r = self.rng
        lic_names = sorted(self.pool.licenses)
        if r.random() < 0.25:
            return self.notices_doc(target)
        pkg = r.choice(self.pool.words)
        head = [
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
            f"Upstream-Name: {pkg}",
            f"Upstream-Contact: {(n := self.name())} <{self.email(n)}>",
            f"Source: https://{r.choice(self.pool.words)}.org/{pkg}",
        ]
        parts = ["\n".join(head)]
        size = utf8_len(parts[0])
        # the license texts at the end take part of the budget
        n_lic = r.randrange(1, len(lic_names) + 1)
        chosen = r.sample(lic_names, n_lic)
        tail = sum(utf8_len(self.pool.licenses[k]) + 20 for k in chosen)
        while size < target - tail:
            files = [self.path() for _ in range(r.choice((1, 1, 1, 2, 3, 6)))]
            holders = [f"{self.years()} {(n := self.name())} <{self.email(n)}>" for _ in range(r.choice((1, 1, 2, 3)))]
            lic = r.choice(chosen)
            if len(chosen) > 1 and r.random() < 0.3:
                lic = f"{lic} or {r.choice([k for k in chosen if k != lic])}"
            st = ["Files: " + files[0]] + [" " + f for f in files[1:]]
            st += ["Copyright: " + holders[0]] + ["           " + c for c in holders[1:]]
            st.append("License: " + lic)
            if r.random() < 0.2:
                st.append("Comment: " + self.sentence())
            s = "\n".join(st)
            parts.append(s)
            size += utf8_len(s) + 2
        for k in chosen:
            parts.append(f"License: {k}\n" + self.indent(self.pool.licenses[k]))
        return "\n\n".join(parts) + "\n"

    def notices_doc(self, target: int) -> str:
        """Third-party notices: a short license text repeated once per component."""
        r = self.rng
        short = [k for k, v in self.pool.licenses.items() if len(v) < 3000] or sorted(self.pool.licenses)
        parts = [f"THIRD-PARTY SOFTWARE NOTICES AND INFORMATION\n\nThis project incorporates components from the projects listed below. {self.sentence()}"]
        size = utf8_len(parts[0])
        i = 0
        while size < target:
            i += 1
            n = self.name()
            comp = f"{i}. {r.choice(self.pool.words)}-{r.choice(self.pool.words)} {r.randrange(0, 9)}.{r.randrange(0, 40)}.{r.randrange(0, 20)}"
            body = self.pool.licenses[r.choice(short)].replace("Copyright (c) 2015 ", f"Copyright (c) {self.years()} {n}")
            s = f"{comp} (https://{r.choice(self.pool.words)}.org/{r.choice(self.pool.words)})\n\n{body}"
            parts.append(s)
            size += utf8_len(s) + 2
        return "\n\n".join(parts) + "\n"

    def repeated_doc(self, target: int) -> str:
        r = self.rng
        share = r.uniform(0.02, 0.6)  # of the bytes that are repeats
        paras = self.natural_run(int(target * (1 - share)))
        mode = r.choice(("boilerplate", "nav", "paragraph", "twice"))
        if mode == "twice":
            # a run of paragraphs printed a second time, later in the document
            k = max(1, int(len(paras) * share))
            a = r.randrange(0, max(1, len(paras) - k))
            block = paras[a:a + k]
            at = r.randrange(a + k, len(paras) + 1)
            paras = paras[:at] + block + paras[at:]
            return "\n\n".join(paras)
        if mode == "boilerplate":
            lic = self.pool.licenses[r.choice(sorted(self.pool.licenses))].split("\n\n")
            block = "\n\n".join(lic[:r.randrange(1, 4)])
        elif mode == "nav":
            block = "\n".join(r.choice(self.pool.words).capitalize() for _ in range(r.randrange(4, 25)))
        else:
            block = r.choice(paras)
        every = max(1, round(utf8_len(block) * len(paras) / max(1, share * target)))
        out = []
        for i, p in enumerate(paras):
            out.append(p)
            if i % every == every - 1:
                out.append(block)
        return "\n\n".join(out)

    def natural_doc(self, target: int) -> str:
        return "\n\n".join(self.natural_run(target))

    def next(self) -> tuple[str, str]:
        r = self.rng
        target = int(math.exp(r.uniform(math.log(MIN_BYTES), math.log(MAX_BYTES))))
        x, acc = r.random(), 0.0
        kind = KINDS[-1][0]
        for k, w in KINDS:
            acc += w
            if x < acc:
                kind = k
                break
        text = getattr(self, f"{kind}_doc")(target)
        # keep every document inside [MIN_BYTES, MAX_BYTES]
        b = text.encode("utf-8", "surrogatepass")
        if len(b) > MAX_BYTES:
            text = b[:MAX_BYTES].decode("utf-8", "ignore")
            text = text[: text.rfind("\n")] if "\n" in text else text
        return kind, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(REPO / "bench" / "data" / "long-corpus.jsonl"))
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--target-mb", type=float, default=160.0, help="total text in MB (10^6 bytes); default 160")
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "text").is_dir():
        print(f"make_long_corpus: shared data not found at {data} (pass --data)", file=sys.stderr)
        return 1
    pool = Pool(data)
    print(f"pool: {len(pool.paras):,} distinct paragraphs in {len(pool.units)} units, "
          f"{len(pool.licenses)} licenses, {len(pool.words):,} words, {len(pool.names):,} names, sha256 {pool.sha[:16]}",
          file=sys.stderr)
    b = Builder(pool, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    total, n = 0, 0
    counts: dict[str, list[int]] = {}
    with open(tmp, "w", encoding="utf-8") as f:
        while total < args.target_mb * 1e6:
            kind, text = b.next()
            size = utf8_len(text)
            doc = {"id": f"long/{n:04d}-{kind}", "text": text, "metadata": {"source": "long-corpus", "kind": kind}}
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
            c = counts.setdefault(kind, [0, 0])
            c[0] += 1
            c[1] += size
            total += size
            n += 1
    os.replace(tmp, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    for k, (d, s) in counts.items():
        print(f"{k:10s} {d:5d} documents {s / 1e6:8.1f} MB")
    print(f"{'total':10s} {n:5d} documents {total / 1e6:8.1f} MB -> {out}  sha256 {digest[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
