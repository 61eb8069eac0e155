#!/usr/bin/env python3
"""Main-text extraction throughput: Winnow vs trafilatura vs resiliparse on the same pages.

    bench/.venv/bin/python bench/html_speed.py [--runs 3] [--winnow .build/release/winnow]
    bench/.venv/bin/python bench/html_speed.py --peer TOOL LISTFILE     (internal: one peer run)

Pages: every HTML file of ../shared/data/html/scrapinghub and ../shared/data/html/trafilatura
(gzip-compressed on disk). Each run is one process per tool over all pages, interleaved
(winnow, trafilatura, resiliparse, winnow, ...), so drift hits all alike; the median of the runs
is reported. Two figures per tool:

* extract: seconds spent extracting, measured inside the process around the extraction call only
  (Winnow: `winnow extract --time`; the peers: time.perf_counter around trafilatura.extract /
  extract_plain_text). The input is read and decompressed before (peers: and decoded to str, as
  they need); pages/s and MB/s (uncompressed HTML bytes) come from this figure.
* wall: the whole command, including process start-up, imports, reading and gunzip.

Floor rows (Winnow's own limits, same pages, same process shape; `winnow extract --floor`):
`floor:tree` parses into Winnow's page index and stops (UTF-8 check, pre-cut, libxml2 SAX pass,
flat tree, index: extraction without scoring and rendering); `floor:tokenize` runs the pre-cut
and libxml2's HTML parser with no handler at all (what any extraction on libxml2 costs here);
`floor:read` reads and gunzips the pages and does nothing (its wall time is the read -> write
floor). Leave them out with --no-floors.

One thread per tool (Winnow's `extract` is single-threaded; the peers are called in one Python
thread). Peers: trafilatura.extract(html, include_comments=False), resiliparse
extract_plain_text(html, main_content=True) -- as bench/html_quality.py runs them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = (ROOT / ".." / "shared" / "data" / "html").resolve()
OUT = ROOT / "bench" / "out" / "html"


def page_files() -> list[str]:
    files = []
    for sub in ("scrapinghub", "trafilatura"):
        d = DATA / sub / "html"
        files += sorted(str(p) for p in d.iterdir() if p.is_file())
    return files


def peer_main(tool: str, listfile: str) -> int:
    files = [l for l in Path(listfile).read_text(encoding="utf8").split("\n") if l]
    docs = []
    total = 0
    for f in files:
        raw = gzip.open(f).read() if f.endswith(".gz") else Path(f).read_bytes()
        total += len(raw)
        docs.append(raw.decode("utf-8", errors="replace"))
    if tool == "trafilatura":
        import trafilatura

        fn = lambda h: trafilatura.extract(h, include_comments=False)
    elif tool == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text

        fn = lambda h: extract_plain_text(h, main_content=True)
    else:
        raise SystemExit(f"unknown peer {tool}")
    t0 = time.perf_counter()
    for d in docs:
        fn(d)
    seconds = time.perf_counter() - t0
    print(json.dumps({"pages": len(docs), "bytes": total, "seconds": seconds}), file=sys.stderr)
    return 0


def run_one(cmd: list[str]) -> dict:
    t0 = time.monotonic()
    res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    wall = time.monotonic() - t0
    stats = json.loads(res.stderr.decode().strip().splitlines()[-1])
    stats["wall"] = wall
    return stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--winnow", default=str(ROOT / ".build" / "release" / "winnow"))
    ap.add_argument("--tools", default="winnow,trafilatura,resiliparse")
    ap.add_argument("--no-floors", action="store_true", help="leave out Winnow's floor rows")
    ap.add_argument("--before", help="another winnow binary (e.g. an older commit's) timed as the row 'before'")
    ap.add_argument("--peer", nargs=2, metavar=("TOOL", "LISTFILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        return peer_main(*args.peer)

    files = page_files()
    OUT.mkdir(parents=True, exist_ok=True)
    listfile = OUT / "speed-files.txt"
    listfile.write_text("\n".join(files) + "\n", encoding="utf8")
    for f in files:  # warm the page cache
        Path(f).read_bytes()
    tools = [t for t in args.tools.split(",") if t]
    if "winnow" in tools and not args.no_floors:
        tools += ["floor:tree", "floor:tokenize", "floor:read"]
    if args.before:
        tools.insert(1, "before")
    cmds = {
        "winnow": [args.winnow, "extract", "--time", *files],
        "floor:tree": [args.winnow, "extract", "--time", "--floor", "tree", *files],
        "floor:tokenize": [args.winnow, "extract", "--time", "--floor", "tokenize", *files],
        "floor:read": [args.winnow, "extract", "--time", "--floor", "read", *files],
        "before": [args.before or "", "extract", "--time", *files],
        "trafilatura": [sys.executable, __file__, "--peer", "trafilatura", str(listfile)],
        "resiliparse": [sys.executable, __file__, "--peer", "resiliparse", str(listfile)],
    }
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    for r in range(args.runs):
        for t in tools:
            s = run_one(cmds[t])
            runs[t].append(s)
            print(f"run {r + 1} {t:<15} extract {s['seconds']:7.3f} s  wall {s['wall']:7.2f} s", file=sys.stderr)

    pages = runs[tools[0]][0]["pages"]
    mb = runs[tools[0]][0]["bytes"] / 1e6
    med = {t: statistics.median(x["seconds"] for x in runs[t]) for t in tools}
    wall = {t: statistics.median(x["wall"] for x in runs[t]) for t in tools}
    base = med.get("winnow")
    print(f"\n{pages} pages, {mb:.1f} MB of HTML; median of {args.runs} runs; one thread each; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'tool':<15} {'extract s':>9} {'pages/s':>8} {'MB/s':>7} {'wall s':>7} {'extract time vs winnow':>23}")
    for t in tools:
        ratio = f"{med[t] / base:.2f}x" if base else "-"
        rate = f"{pages / med[t]:8.1f} {mb / med[t]:7.2f}" if med[t] > 0.001 else f"{'-':>8} {'-':>7}"
        print(f"{t:<15} {med[t]:9.3f} {rate} {wall[t]:7.2f} {ratio:>23}")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (OUT / f"speed-{stamp}.json").write_text(json.dumps({"pages": pages, "mb": mb, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
