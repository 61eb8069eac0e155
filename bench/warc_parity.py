#!/usr/bin/env python3
"""WARC parity: Winnow's `format: warc` reader against warcio and fastwarc.

    bench/.venv/bin/python bench/warc_parity.py [--winnow .build/release/winnow] [FILES...]

For every WARC file (default: ../shared/data/web/warc-samples/*.warc.gz) it compares, per
record type selected (response, resource), the number of records and the sequence of
WARC-Target-URI and WARC-Record-ID values:

- warcio: ArchiveIterator over every record;
- fastwarc: ArchiveIterator(record_types=any_type), both with strict_mode=False and True;
- Winnow: `winnow run` of a recipe with `format: warc`, `record_types: [response, resource]`,
  `content_types: ["*"]` (every payload type, so nothing is filtered by media type), output as
  plain JSONL; `metadata.url`, `metadata.warc_record_id`, `metadata.warc_type`, `metadata.source`.

It also reports every record type's count from warcio (for the files' make-up), for responses
the HTTP status codes (warcio's parse vs Winnow's metadata.http_status), and the document text:
warcio's `content_stream()` body (chunked and content codings undone) decoded by Python's codec
for the charset Winnow chose (`metadata.charset`; a UTF-8 BOM dropped), compared with Winnow's
text — exactly, and after folding the JIS mapping variants on which Python's codecs and ICU /
the WHATWG Encoding standard disagree (U+301C/U+FF5E, U+2016/U+2225, U+2212/U+FF0D,
U+00A2/U+FFE0, U+00A3/U+FFE1, U+00AC/U+FFE2). Exit status 1 when counts, URLs, record ids or
status codes differ. The table it prints is the one in docs/benchmarks.md.
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_GLOB = os.path.join(ROOT, "..", "shared", "data", "web", "warc-samples", "*.warc.gz")
TYPES = ("response", "resource")


def strip(uri):
    if uri and uri.startswith("<") and uri.endswith(">"):
        return uri[1:-1]
    return uri


JIS_FOLD = str.maketrans({"\u301c": "\uff5e", "\u2016": "\u2225", "\u2212": "\uff0d", "\u00a2": "\uffe0", "\u00a3": "\uffe1", "\u00ac": "\uffe2"})


def read_warcio(path):
    from warcio.archiveiterator import ArchiveIterator

    out = collections.defaultdict(list)
    counts = collections.Counter()
    bodies = {}
    with open(path, "rb") as f:
        for r in ArchiveIterator(f):
            counts[r.rec_type] += 1
            if r.rec_type in TYPES:
                status = None
                if r.rec_type == "response" and r.http_headers is not None:
                    status = int(r.http_headers.get_statuscode())
                rid = strip(r.rec_headers.get_header("WARC-Record-ID"))
                out[r.rec_type].append((strip(r.rec_headers.get_header("WARC-Target-URI")), rid, status))
                if r.rec_type == "response":
                    bodies[rid] = r.content_stream().read()
    return out, counts, bodies


def read_fastwarc(path, strict):
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    out = collections.defaultdict(list)
    with open(path, "rb") as f:
        for r in ArchiveIterator(f, record_types=WarcRecordType.any_type, strict_mode=strict, parse_http=False):
            t = r.headers.get("WARC-Type")
            if t in TYPES:
                out[t].append((strip(r.headers.get("WARC-Target-URI")), strip(r.headers.get("WARC-Record-ID")), None))
    return out


def read_winnow(winnow, files):
    out = {f: collections.defaultdict(list) for f in files}
    texts = {}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "in")
        os.mkdir(inputs)
        names = {}
        for i, f in enumerate(files):
            name = "%03d-%s" % (i, os.path.basename(f))
            os.symlink(os.path.abspath(f), os.path.join(inputs, name))
            names[name] = f
        recipe = os.path.join(tmp, "parity.yaml")
        with open(recipe, "w") as r:
            r.write(
                "name: warc-parity\n"
                'input: { path: "in/*", format: warc, record_types: [response, resource], content_types: ["*"] }\n'
                "output: { path: out, format: jsonl }\n"
                "workers: 1\n"
                "stages: []\n"
            )
        p = subprocess.run([os.path.abspath(winnow), "run", "parity.yaml"], cwd=tmp, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("winnow failed (%d):\n%s" % (p.returncode, p.stderr))
        for part in sorted(glob.glob(os.path.join(tmp, "out", "data", "*.jsonl"))):
            with open(part, encoding="utf-8") as fh:
                for line in fh:
                    d = json.loads(line)
                    m = d["metadata"]
                    status = m.get("http_status")
                    out[names[m["source"]]][m["warc_type"]].append((m.get("url"), m.get("warc_record_id"), status))
                    texts[m.get("warc_record_id")] = (d["text"], m["charset"], m["charset_source"])
    return out, texts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "release", "winnow"))
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = args.files or sorted(glob.glob(DEFAULT_GLOB))
    if not files:
        sys.exit("no WARC files (expected %s)" % DEFAULT_GLOB)
    if not os.path.exists(args.winnow):
        sys.exit("no winnow binary at %s (swift build -c release)" % args.winnow)
    from importlib.metadata import version

    winnow, texts = read_winnow(args.winnow, files)
    ok = True
    print(
        "| file | records (warcio: by type) | responses warcio / fastwarc / Winnow | resources warcio / fastwarc / Winnow "
        "| URLs + record ids identical | HTTP status identical | text identical / after JIS fold | charsets (Winnow) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for f in files:
        wio, counts, bodies = read_warcio(f)
        fw = read_fastwarc(f, strict=False)
        fws = read_fastwarc(f, strict=True)
        wn = winnow[f]
        same_ids = all(
            [x[:2] for x in wio[t]] == [x[:2] for x in fw[t]] == [x[:2] for x in fws[t]] == [x[:2] for x in wn[t]] for t in TYPES
        )
        same_status = [x[2] for x in wio["response"]] == [x[2] for x in wn["response"]]
        ok = ok and same_ids and same_status
        make_up = ", ".join("%s %d" % (t, n) for t, n in sorted(counts.items()))
        exact = folded = 0
        charsets = collections.Counter()
        for rid, body in bodies.items():
            text, charset, source = texts.get(rid, (None, "utf-8", ""))
            charsets["%s (%s)" % (charset, source)] += 1
            if source == "bom" and body.startswith(b"\xef\xbb\xbf"):
                body = body[3:]
            expected = body.decode(charset, errors="replace")
            exact += expected == text
            folded += text is not None and expected.translate(JIS_FOLD) == text.translate(JIS_FOLD)
        print(
            "| %s | %d (%s) | %d / %d / %d | %d / %d / %d | %s | %s | %d / %d of %d | %s |"
            % (
                os.path.basename(f),
                sum(counts.values()),
                make_up,
                len(wio["response"]),
                len(fw["response"]),
                len(wn["response"]),
                len(wio["resource"]),
                len(fw["resource"]),
                len(wn["resource"]),
                "yes" if same_ids else "**NO**",
                "yes" if same_status else "**NO**",
                exact,
                folded,
                len(bodies),
                ", ".join("%s %d" % kv for kv in sorted(charsets.items())),
            )
        )
    print()
    print("warcio %s, fastwarc %s" % (version("warcio"), version("fastwarc")))
    print("parity: %s" % ("all identical" if ok else "DIFFERENCES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
