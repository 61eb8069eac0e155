#!/usr/bin/env python3
"""Main-text extraction quality: Winnow's `html_extract` vs trafilatura vs resiliparse.

    bench/.venv/bin/python bench/html_quality.py [--winnow .build/release/winnow] [--favor balanced]
        [--tools winnow,trafilatura,resiliparse] [--no-cache] [--show-worst N]

Two datasets under ../shared/data/html (see the README there):

* scrapinghub/ -- news/blog pages with a hand-checked articleBody. Metric: the benchmark's own
  evaluate.py (scrapinghub/article-extraction-benchmark): tokens are `\\w+` runs, shingles of 4
  tokens, per-page TP/FP/FN counted over shingle multisets and normalised by their sum; precision
  and recall are means over pages (pages with no predicted/true shingles left out), F1 is the
  harmonic mean of the two means. Only pages whose HTML is present are scored.
* trafilatura/ -- pages with "with" snippets (must be in the main text) and "without" snippets
  (must not be). As trafilatura's tests/evaluate.py: a "with" snippet found is TP, missing FN; a
  "without" snippet found is FP, absent TN. White space is collapsed in text and snippets alike.
  Reported: precision, recall, F1, accuracy = (TP+TN)/all ("snippet score").

All three tools get the same decoded text: UTF-8 pages as they are; the few pages that are not
valid UTF-8 are decoded once with trafilatura's own decode_file and written as UTF-8 for Winnow.
Peers: trafilatura.extract(html, include_comments=False) (as the scrapinghub benchmark runs it;
favor_precision/favor_recall follow --favor), resiliparse extract_plain_text(html,
main_content=True). Peer outputs are cached in bench/out/html/ (per tool version and --favor).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = (ROOT / ".." / "shared" / "data" / "html").resolve()
OUT = ROOT / "bench" / "out" / "html"

# ---------------------------------------------------------------- datasets


def load_pages() -> list[dict]:
    """Every scored page: {set, key, path, html (str), utf8 (bool)}."""
    pages = []
    sh = DATA / "scrapinghub"
    truth = json.loads((sh / "ground-truth.json").read_text(encoding="utf8"))
    for key in sorted(truth):
        p = sh / "html" / f"{key}.html.gz"
        if p.exists():
            pages.append({"set": "scrapinghub", "key": key, "path": p, "truth": truth[key].get("articleBody", "")})
    tr = DATA / "trafilatura"
    evald = json.loads((tr / "evaldata.json").read_text(encoding="utf8"))
    for url in sorted(evald):
        item = evald[url]
        p = tr / "html" / (item["file"] + ".gz")
        if not p.exists():
            p = tr / "html" / item["file"]
            if not p.exists():
                continue
        pages.append({"set": "trafilatura", "key": url, "path": p, "with": item["with"], "without": item["without"]})
    for pg in pages:
        raw = gzip.open(pg["path"]).read() if str(pg["path"]).endswith(".gz") else pg["path"].read_bytes()
        try:
            pg["html"] = raw.decode("utf-8")
            pg["utf8"] = True
        except UnicodeDecodeError:
            from trafilatura.utils import decode_file

            pg["html"] = decode_file(raw)
            pg["utf8"] = False
    return pages


# ---------------------------------------------------------------- tools


def run_winnow(pages: list[dict], winnow: str, favor: str) -> list[str]:
    """Runs `winnow extract` once over all pages; non-UTF-8 pages go through a decoded copy."""
    tmp = OUT / "decoded"
    tmp.mkdir(parents=True, exist_ok=True)
    files = []
    for i, pg in enumerate(pages):
        if pg["utf8"]:
            files.append(str(pg["path"]))
        else:
            f = tmp / f"{i:05d}.html"
            f.write_text(pg["html"], encoding="utf8")
            files.append(str(f))
    lst = OUT / "winnow-files.txt"
    t0 = time.monotonic()
    res = subprocess.run([winnow, "extract", "--favor", favor, *files], capture_output=True, check=True)
    elapsed = time.monotonic() - t0
    out = {}
    for line in res.stdout.decode("utf8").split("\n"):
        if not line:
            continue
        rec = json.loads(line)
        out[rec["file"]] = rec["text"]
    print(f"winnow: {len(files)} pages in {elapsed:.2f} s (one process, incl. start-up and reading)", file=sys.stderr)
    lst.write_text("\n".join(files) + "\n")
    return [out.get(f, "") for f in files]


def peer_extract(tool: str, favor: str):
    if tool == "trafilatura":
        import trafilatura

        kw = {"include_comments": False}
        if favor == "precision":
            kw["favor_precision"] = True
        elif favor == "recall":
            kw["favor_recall"] = True
        return (lambda html: trafilatura.extract(html, **kw) or ""), trafilatura.__version__
    if tool == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text
        import importlib.metadata as md

        return (lambda html: extract_plain_text(html, main_content=True) or ""), md.version("resiliparse")
    raise SystemExit(f"unknown tool {tool}")


def run_peer(pages: list[dict], tool: str, favor: str, use_cache: bool) -> list[str]:
    fn, version = peer_extract(tool, favor)
    cache_path = OUT / f"cache-{tool}-{version}-{favor if tool == 'trafilatura' else 'main'}.json"
    cache = json.loads(cache_path.read_text()) if use_cache and cache_path.exists() else {}
    texts = []
    t0 = time.monotonic()
    for pg in pages:
        ck = pg["set"] + "\t" + pg["key"]
        if ck not in cache:
            cache[ck] = fn(pg["html"])
        texts.append(cache[ck])
    OUT.mkdir(parents=True, exist_ok=True)
    cache_path.write_text(json.dumps(cache, ensure_ascii=False))
    print(f"{tool} {version}: {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return texts


# ---------------------------------------------------------------- metrics

_TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def _shingles(text: str, n: int = 4) -> Counter:
    toks = _TOKEN_RE.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(0, max(1, len(toks) - n + 1)) if toks[i : i + n])


def shingle_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = _shingles(true), _shingles(pred)
    tp = fp = fn = 0.0
    for k in set(t) | set(p):
        tc, pc = t.get(k, 0), p.get(k, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (tp, fp, fn)


def _prec(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _rec(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def scrapinghub_metrics(triples):
    p = statistics.mean([_prec(*x) for x in triples if x[0] + x[1] > 0])
    r = statistics.mean([_rec(*x) for x in triples if x[0] + x[2] > 0])
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r > 0 else 0.0}


def _norm(s: str) -> str:
    return " ".join((s or "").split())


def snippet_counts(pg: dict, text: str) -> tuple[int, int, int, int]:
    t = _norm(text)
    tp = sum(1 for s in pg["with"] if _norm(s) in t)
    fp = sum(1 for s in pg["without"] if _norm(s) in t)
    return tp, len(pg["with"]) - tp, fp, len(pg["without"]) - fp


def snippet_metrics(counts):
    tp = sum(c[0] for c in counts)
    fn = sum(c[1] for c in counts)
    fp = sum(c[2] for c in counts)
    tn = sum(c[3] for c in counts)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "accuracy": (tp + tn) / (tp + fn + fp + tn), "tp": tp, "fn": fn, "fp": fp, "tn": tn,
    }


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--winnow", default=str(ROOT / ".build" / "release" / "winnow"))
    ap.add_argument("--favor", default="balanced", choices=["balanced", "precision", "recall"])
    ap.add_argument("--tools", default="winnow,trafilatura,resiliparse")
    ap.add_argument("--no-cache", action="store_true", help="recompute peer outputs")
    ap.add_argument("--show-worst", type=int, default=0, help="list the N worst Winnow pages of each set")
    ap.add_argument("--dump", help="write Winnow's texts to this JSON file (key -> text)")
    args = ap.parse_args()

    if not (DATA / "scrapinghub" / "ground-truth.json").exists():
        print(f"no data at {DATA}", file=sys.stderr)
        return 1
    pages = load_pages()
    tools = [t for t in args.tools.split(",") if t]
    texts = {}
    for tool in tools:
        if tool == "winnow":
            texts[tool] = run_winnow(pages, args.winnow, args.favor)
        else:
            texts[tool] = run_peer(pages, tool, args.favor, not args.no_cache)

    sh_idx = [i for i, p in enumerate(pages) if p["set"] == "scrapinghub"]
    tr_idx = [i for i, p in enumerate(pages) if p["set"] == "trafilatura"]
    results = {"favor": args.favor, "pages": {"scrapinghub": len(sh_idx), "trafilatura": len(tr_idx)}, "tools": {}}
    print(f"\nscrapinghub: {len(sh_idx)} pages; trafilatura: {len(tr_idx)} pages; favor={args.favor}")
    print(f"{'tool':<12} | {'SH precision':>12} {'SH recall':>9} {'SH F1':>6} | "
          f"{'TR precision':>12} {'TR recall':>9} {'TR F1':>6} {'TR accuracy':>11}")
    for tool in tools:
        tri = [shingle_tp_fp_fn(pages[i]["truth"], texts[tool][i]) for i in sh_idx]
        sh = scrapinghub_metrics(tri)
        cnt = [snippet_counts(pages[i], texts[tool][i]) for i in tr_idx]
        tr = snippet_metrics(cnt)
        results["tools"][tool] = {"scrapinghub": sh, "trafilatura": tr}
        print(f"{tool:<12} | {sh['precision']:12.3f} {sh['recall']:9.3f} {sh['f1']:6.3f} | "
              f"{tr['precision']:12.3f} {tr['recall']:9.3f} {tr['f1']:6.3f} {tr['accuracy']:11.3f}")
        if tool == "winnow" and args.show_worst:
            f1s = []
            for i, x in zip(sh_idx, tri):
                p, r = _prec(*x), _rec(*x)
                f1s.append((2 * p * r / (p + r) if p + r else 0.0, p, r, pages[i]["key"]))
            print("worst scrapinghub pages (F1, P, R, id):")
            for f, p, r, k in sorted(f1s)[: args.show_worst]:
                print(f"  {f:.3f} {p:.3f} {r:.3f} {k}")
            bad = sorted(((c[1] + c[2], pages[i]["key"], c) for i, c in zip(tr_idx, cnt)), reverse=True)
            print("worst trafilatura pages (misses, url, tp/fn/fp/tn):")
            for m, k, c in bad[: args.show_worst]:
                print(f"  {m} {k} {c}")
    if args.dump:
        Path(args.dump).write_text(json.dumps({pages[i]["key"]: texts["winnow"][i] for i in range(len(pages))},
                                              ensure_ascii=False, indent=1))
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (OUT / f"quality-{args.favor}-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
