#!/usr/bin/env python3
"""Held-out extraction check on documentation pages: does `winnow extract` keep each page's first
body paragraph?

    python3 bench/html_first_paragraph.py [--winnow .build/release/winnow] [DIR ...] [--show N]

DIR defaults to corpora/sample/python-docs (Debian's python3-doc, Sphinx pages; `make sample`
builds it). Any folder of HTML pages works (e.g. other generators' pages under /usr/share/doc).

The first body paragraph of a page is defined from the page's markup alone, independent of the
extractor's heuristics (Tests/WinnowHTMLTests/FirstParagraphTests.swift uses the same rule):

* the main element is the first element with `role="main"` (Sphinx's `div.body`, MkDocs
  themes' content column, Doxygen's and Javadoc's `main`); a page without one uses `<main>`, then
  `<body>`;
* its first body paragraph is the first `<p>` inside that element whose text (descendant text,
  character references decoded, white space collapsed) has at least 40 characters (so "Source
  code: Lib/os.py", "New in version 3.3." and author lines are passed over), is not mostly link
  text (links hold less than half its characters other than white space: a page's local table of
  contents and index letter bars are navigation), and lies in no `nav`, `aside`, `noscript` or `role="navigation"`
  element (docutils' HTML5 writer sets Sphinx's `topic` and `sidebar` boxes as `<aside>`);
* a page passes when that text occurs in the extracted text (white space collapsed in both).

Pages without such a paragraph (index pages that are all links) are counted apart. Only the
standard library is needed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_CHARACTERS = 40
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class FirstParagraph(HTMLParser):
    """Collects the text of every `p` under the main element (role="main", else main, else body)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.open_p: int | None = None  # stack depth of the open p
        self.buf: list[str] = []
        self.link_chars = 0  # characters of the open p inside links
        self.aside_p = False  # the open p lies in a nav/aside/noscript/role=navigation element
        self.aside: list[int] = []  # stack depths of open nav/aside/noscript/role=navigation elements
        self.links: list[int] = []  # stack depths of open links
        # Paragraphs by the container they sit in: "role", "main", "body".
        self.paragraphs: dict[str, list[str]] = {"role": [], "main": [], "body": []}
        self.depth: dict[str, int | None] = {"role": None, "main": None, "body": None}
        self.seen: set[str] = set()

    def _close_p(self) -> None:
        text = " ".join("".join(self.buf).split())
        self.open_p = None
        if self.link_chars * 2 >= len(text.replace(" ", "")) or self.aside_p:
            return
        for k, d in self.depth.items():
            if d is not None:
                self.paragraphs[k].append(text)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in VOID:
            return
        if tag == "p" and self.open_p is not None:  # a p ends the open p
            self.handle_endtag("p")
        self.stack.append(tag)
        a = dict(attrs)
        if tag in ("nav", "aside", "noscript") or (a.get("role") or "").strip().lower() == "navigation":
            self.aside.append(len(self.stack))
        if tag == "a":
            self.links.append(len(self.stack))
        for key, hit in (("role", (a.get("role") or "").strip().lower() == "main"), ("main", tag == "main"),
                         ("body", tag == "body")):
            if hit and key not in self.seen:
                self.seen.add(key)
                self.depth[key] = len(self.stack)
        if tag == "p" and self.open_p is None:
            self.open_p = len(self.stack)
            self.buf = []
            self.link_chars = 0
            self.aside_p = bool(self.aside)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in self.stack:
            return
        while self.stack:
            t = self.stack.pop()
            n = len(self.stack)
            if self.open_p is not None and n < self.open_p:
                self._close_p()
            for k, d in self.depth.items():
                if d is not None and n < d:
                    self.depth[k] = None
            while self.aside and n < self.aside[-1]:
                self.aside.pop()
            while self.links and n < self.links[-1]:
                self.links.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.open_p is not None:
            self.buf.append(data)
            if self.links:
                self.link_chars += len("".join(data.split()))

    def first(self) -> str | None:
        """The first paragraph of at least MIN_CHARACTERS in the main element, or None."""
        key = "role" if "role" in self.seen else ("main" if "main" in self.seen else "body")
        return next((p for p in self.paragraphs[key] if len(p) >= MIN_CHARACTERS), None)


def first_paragraph(html: str) -> str | None:
    parser = FirstParagraph()
    parser.feed(html)
    parser.close()
    if parser.open_p is not None:
        parser._close_p()
    return parser.first()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", default=[str(ROOT / "corpora" / "sample" / "python-docs")])
    ap.add_argument("--winnow", default=str(ROOT / ".build" / "release" / "winnow"))
    ap.add_argument("--favor", default="balanced", choices=["balanced", "precision", "recall"])
    ap.add_argument("--show", type=int, default=10, help="list up to N failing pages with their extracted start")
    args = ap.parse_args()

    files: list[Path] = []
    for d in args.dirs:
        p = Path(d)
        if not p.exists():
            print(f"{p}: absent (python-docs come from `make sample`)", file=sys.stderr)
            return 1
        files += sorted(p.rglob("*.html")) if p.is_dir() else [p]
    if not files:
        print("no .html pages found", file=sys.stderr)
        return 1
    texts: dict[str, str] = {}
    for k in range(0, len(files), 200):
        chunk = [str(f) for f in files[k : k + 200]]
        res = subprocess.run([args.winnow, "extract", "--favor", args.favor, *chunk], capture_output=True, check=True)
        for line in res.stdout.decode("utf8").splitlines():
            if line:
                rec = json.loads(line)
                texts[rec["file"]] = rec["text"]
    passed, failed, without = 0, [], []
    for f in files:
        para = first_paragraph(f.read_text(encoding="utf8", errors="replace"))
        if para is None:
            without.append(f)
            continue
        text = " ".join(texts.get(str(f), "").split())
        if para in text:
            passed += 1
        else:
            failed.append((f, para, text))
    checked = passed + len(failed)
    print(f"{passed}/{checked} pages contain their first body paragraph "
          f"({len(files)} pages; {len(without)} without a paragraph of {MIN_CHARACTERS}+ characters in the main element)")
    for f, para, text in failed[: args.show]:
        print(f"  FAIL {f}\n    paragraph: {para[:100]!r}\n    extracted: {text[:100]!r}")
    return 0 if not failed else 2


if __name__ == "__main__":
    sys.exit(main())
