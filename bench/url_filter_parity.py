#!/usr/bin/env python3
"""URL filter parity: Winnow's `url_filter` stage against datatrove's URLFilter.

    bench/.venv/bin/python bench/url_filter_parity.py [--winnow .build/debug/winnow]

Real URLs (every http/https URL below, de-duplicated, sorted):
- the WARC-Target-URI of every record in ../shared/data/web/warc-samples/*.warc.gz, and every
  href="…" in those records' payloads, made absolute against the record's URI;
- every absolute http(s) href in the HTML pages of ../shared/data/html/*/html/.

Lists, the same for both tools:
- blocked domains: every EasyList rule of the form `||host^` (optionally followed by `$options`)
  whose host is a plain domain (letters, digits, `-`, `.`; no wildcard, no path) from
  ../shared/data/filter-lists/easylist/easylist.txt.gz, lowercased, de-duplicated — ad and
  tracker hosts, which real pages link to;
- blocked URLs: every 97th URL of the set, written exactly as it appears (datatrove compares
  the full URL string);
- banned words, banned subwords, soft-banned words: datatrove's own asset files as copied to
  ../shared/data/filter-lists/datatrove-banned-words/ (banned_words.txt, banned_subwords.txt,
  soft_banned_words.txt), blank lines dropped (datatrove's parse_list indexes x[0]).

datatrove: URLFilter(use_integrated_lists=False, extra_domains=…, extra_urls=…, banned_words=…,
banned_subwords=…, soft_banned_words=…), soft_word_threshold 2, its tldextract extractor given
the same Public Suffix List file as Winnow (--psl), so both tools read the same suffixes.

The Public Suffix List is an input of this benchmark (which suffixes exist decides registered
domains, hence some decisions), so it is pinned: the file must have PSL_SHA256, Debian 12's
`publicsuffix` 20230209.2326-1 (`make deps` installs it at the default path; the same .deb is
on snapshot.debian.org). Another file (a newer Debian, a download) stops the script with its
sha256 unless --any-psl is given, and then the figures are not the recorded ones. Winnow: `winnow run` with `url_filter` (`domain_match: datatrove`, the same
Public Suffix List) and, for the record, `domain_match: parents` (UT1 meaning: a listed domain
blocks every host below it). Decisions (keep/drop) are compared URL by URL; differences are
printed with both reasons. Exit status 1 when datatrove mode differs anywhere.
"""
import argparse
import collections
import glob
import gzip
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
PSL = "/usr/share/publicsuffix/public_suffix_list.dat"   # --psl; pinned by PSL_SHA256
PSL_SHA256 = "87d2e11f3602b504fc5dbea9218429a4ce3c0f62aa6ce7a1371024add024baed"  # Debian publicsuffix 20230209.2326-1
HREF = re.compile(rb"""href\s*=\s*["']([^"'<>\s]+)["']""", re.I)


def warc_urls():
    urls = set()
    for path in sorted(glob.glob(os.path.join(DATA, "web", "warc-samples", "*.warc.gz"))):
        data = gzip.open(path).read()
        for block in data.split(b"WARC/1.")[1:]:
            m = re.search(rb"\r\nWARC-Target-URI: *<?([^\r\n>]+)>?\r\n", block)
            if not m:
                continue
            base = m.group(1).decode("utf-8", "replace").strip()
            urls.add(base)
            for h in HREF.findall(block):
                href = h.decode("utf-8", "replace")
                try:
                    urls.add(urllib.parse.urljoin(base, href))
                except ValueError:
                    pass
    return urls


def html_urls():
    urls = set()
    for path in glob.glob(os.path.join(DATA, "html", "*", "html", "*")):
        try:
            raw = open(path, "rb").read()
        except OSError:
            continue
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        for h in HREF.findall(raw):
            urls.add(h.decode("utf-8", "replace"))
    return urls


def real_urls():
    out = []
    for u in warc_urls() | html_urls():
        if not re.match(r"^https?://[^/\s]", u) or any(c in u for c in "\t\r\n "):
            continue
        out.append(u)
    return sorted(set(out))


def easylist_domains():
    rule = re.compile(r"^\|\|([a-z0-9.-]+)\^(\$.*)?$")
    domains = set()
    for line in gzip.open(os.path.join(DATA, "filter-lists", "easylist", "easylist.txt.gz"), "rt", encoding="utf-8"):
        m = rule.match(line.strip().lower())
        if m and "." in m.group(1) and not m.group(1).startswith(".") and not m.group(1).endswith("."):
            domains.add(m.group(1))
    return sorted(domains)


def word_list(name):
    path = os.path.join(DATA, "filter-lists", "datatrove-banned-words", name)
    return [l for l in open(path, encoding="utf-8") if l.strip()]


def run_datatrove(urls, lists):
    from datatrove.data import Document
    from datatrove.pipeline.filters.url_filter import URLFilter
    from tldextract import TLDExtract

    f = URLFilter(use_integrated_lists=False, extra_domains=lists["domains"], extra_urls=lists["urls"],
                  banned_words=lists["banned_words"], banned_subwords=lists["banned_subwords"],
                  soft_banned_words=lists["soft_banned_words"], soft_word_threshold=2)
    f.tldextractor = TLDExtract(suffix_list_urls=("file://" + PSL,), cache_dir=tempfile.mkdtemp(), fallback_to_snapshot=False)
    out = {}
    t0 = time.perf_counter()
    for i, u in enumerate(urls):
        r = f.filter(Document(text="x", id=str(i), metadata={"url": u}))
        out[str(i)] = "keep" if r is True else r[1]
    return out, time.perf_counter() - t0


def run_winnow(winnow, urls, lists, match, work):
    os.makedirs(work, exist_ok=True)
    inp = os.path.join(work, "urls.jsonl")
    with open(inp, "w", encoding="utf-8") as f:
        for i, u in enumerate(urls):
            f.write(json.dumps({"id": str(i), "text": "x", "url": u}, ensure_ascii=False) + "\n")
    files = {}
    for key in ("domains", "urls", "banned_words", "banned_subwords", "soft_banned_words"):
        files[key] = os.path.join(work, key + ".txt")
        with open(files[key], "w", encoding="utf-8") as f:
            f.write("".join(x if x.endswith("\n") else x + "\n" for x in lists[key]))
    out_dir = os.path.join(work, "run-" + match)
    recipe = os.path.join(work, f"url-{match}.yaml")
    with open(recipe, "w") as f:
        f.write(f"""name: url-parity-{match}
input: {{ path: {json.dumps(inp)}, format: jsonl }}
output: {{ path: {json.dumps(out_dir)}, format: jsonl, keep_removed: true }}
workers: 1
stages:
  - url_filter:
      blocked_domains: [{json.dumps(files['domains'])}]
      blocked_urls: [{json.dumps(files['urls'])}]
      banned_words: [{json.dumps(files['banned_words'])}]
      banned_subwords: [{json.dumps(files['banned_subwords'])}]
      soft_banned_words: [{json.dumps(files['soft_banned_words'])}]
      soft_word_threshold: 2
      domain_match: {match}
      url_match: {"exact" if match == "datatrove" else "normalized"}
      public_suffix_list: {json.dumps(PSL)}
""")
    t0 = time.perf_counter()
    subprocess.run([winnow, "run", recipe, "--overwrite", "--quiet"], check=True)
    seconds = time.perf_counter() - t0
    out = {}
    for path in glob.glob(os.path.join(out_dir, "data", "*.jsonl")):
        for line in open(path, encoding="utf-8"):
            out[json.loads(line)["id"]] = "keep"
    for path in glob.glob(os.path.join(out_dir, "removed", "*", "*.jsonl")):
        for line in open(path, encoding="utf-8"):
            d = json.loads(line)
            out[d["id"]] = d.get("winnow_reason") or d.get("metadata", {}).get("winnow_reason") or os.path.basename(os.path.dirname(path))
    return out, seconds


def main():
    global PSL
    ap = argparse.ArgumentParser()
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "debug", "winnow"))
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "winnow-url-parity"))
    ap.add_argument("--psl", default=PSL, help="the Public Suffix List both tools read (pinned by its sha256)")
    ap.add_argument("--any-psl", action="store_true", help="accept a Public Suffix List other than the pinned one")
    args = ap.parse_args()
    PSL = args.psl
    try:
        digest = hashlib.sha256(open(PSL, "rb").read()).hexdigest()
    except OSError as e:
        sys.exit(f"cannot read the Public Suffix List {PSL}: {e} (Debian: apt-get install publicsuffix, or make deps)")
    if digest != PSL_SHA256 and not args.any_psl:
        sys.exit(f"{PSL}: sha256 {digest}, not the pinned {PSL_SHA256} (Debian publicsuffix 20230209.2326-1); "
                 "pass that file with --psl, or --any-psl to run with this one (figures then differ from the recorded ones)")
    print(f"Public Suffix List: {PSL} (sha256 {digest[:16]}…{'' if digest == PSL_SHA256 else ', NOT the pinned one'})")
    urls = real_urls()
    domains = easylist_domains()
    lists = {
        "domains": domains, "urls": urls[::97], "banned_words": word_list("banned_words.txt"),
        "banned_subwords": word_list("banned_subwords.txt"), "soft_banned_words": word_list("soft_banned_words.txt"),
    }
    hosts = collections.Counter(re.match(r"^https?://(?:[^/?#@]*@)?([^/?#:]*)", u).group(1).lower() for u in urls)
    print(f"URLs: {len(urls)} ({len(hosts)} hosts); blocked domains (EasyList ||host^): {len(domains)}; "
          f"blocked URLs: {len(lists['urls'])}; banned words {len(lists['banned_words'])}, "
          f"subwords {len(lists['banned_subwords'])}, soft {len(lists['soft_banned_words'])}")
    dt, dt_seconds = run_datatrove(urls, lists)
    failed = False
    for match in ("datatrove", "parents"):
        label = "domain_match: datatrove, url_match: exact" if match == "datatrove" else "defaults (domain_match: parents, url_match: normalized)"
        wn, wn_seconds = run_winnow(args.winnow, urls, lists, match, args.work)
        same = sum(1 for k in dt if (dt[k] == "keep") == (wn.get(k) == "keep"))
        print(f"\nWinnow {label}: {same}/{len(dt)} decisions equal ({100.0 * same / len(dt):.3f} %)")
        print(f"  datatrove drops: {sum(v != 'keep' for v in dt.values())}, Winnow drops: {sum(v != 'keep' for v in wn.values())}")
        pairs = collections.Counter((dt[k], wn.get(k, "missing")) for k in dt)
        for (a, b), n in sorted(pairs.items(), key=lambda x: -x[1]):
            print(f"  datatrove {a:22} Winnow {b:24} {n}")
        diffs = [k for k in dt if (dt[k] == "keep") != (wn.get(k) == "keep")]
        for k in diffs[:8]:
            print(f"  differs: {urls[int(k)]}  datatrove={dt[k]} winnow={wn.get(k)}")
        if match == "datatrove" and diffs:
            failed = True
        print(f"  time: datatrove {dt_seconds:.2f} s (filter calls only), winnow run {wn_seconds:.2f} s (whole run: start, lists, I/O)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
