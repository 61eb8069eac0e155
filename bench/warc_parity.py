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
status codes differ.

Then it damages copies of the first file inside its middle gzip member (cut there; 12 bytes of
deflate data flipped) and reports what each reader yields (records, and how it ends) next to
Winnow's documents and errors under `on_error: skip`. The tables it prints are the ones in
docs/benchmarks.md.
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


def members(data):
    """Offsets where each gzip member starts (zlib, member by member)."""
    import zlib

    out, pos = [], 0
    while pos < len(data):
        out.append(pos)
        d = zlib.decompressobj(31)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
    return out


def damaged_copies(path, tmp):
    """A truncated copy (cut inside the middle member) and a corrupt copy (12 bytes flipped in
    the middle member's deflate data) of a gzip-per-record WARC: (name, path, damaged member offset)."""
    data = open(path, "rb").read()
    m = members(data)
    k = len(m) // 2
    mid = m[k] + (m[k + 1] - m[k]) // 2
    cut = os.path.join(tmp, "truncated.warc.gz")
    with open(cut, "wb") as f:
        f.write(data[:mid])
    bad = bytearray(data)
    for j in range(mid, mid + 12):
        bad[j] ^= 0xA5
    corrupt = os.path.join(tmp, "corrupt.warc.gz")
    with open(corrupt, "wb") as f:
        f.write(bytes(bad))
    return [("truncated", cut, m[k], k, len(m)), ("corrupt member", corrupt, m[k], k, len(m))]


def damage_report(winnow, path):
    """What each reader yields from damaged copies of `path`: records of every type, and of
    the selected types (response, resource), and how it ends; Winnow's documents and errors."""
    from fastwarc.warc import ArchiveIterator as FastIterator, WarcRecordType
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        original = [r.rec_type for r in ArchiveIterator(f)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, copy, offset, k, total in damaged_copies(path, tmp):
            def run(make):
                got, err = [], ""
                try:
                    for t in make():
                        got.append(t)
                except Exception as e:  # what the library raises is part of the result
                    err = type(e).__name__
                return got, err

            def warcio_types():
                with open(copy, "rb") as f:
                    for r in ArchiveIterator(f):
                        yield r.rec_type

            def fastwarc_types():
                with open(copy, "rb") as f:
                    for r in FastIterator(f, record_types=WarcRecordType.any_type, strict_mode=False):
                        yield r.headers.get("WARC-Type")

            wio, wio_err = run(warcio_types)
            fw, fw_err = run(fastwarc_types)
            recipe = os.path.join(tmp, "d.yaml")
            out = os.path.join(tmp, "out-" + name.replace(" ", "-"))
            with open(recipe, "w") as r:
                r.write(
                    'input: { path: "%s", format: warc, record_types: [response, resource], content_types: ["*"] }\n'
                    "output: { path: %s, format: jsonl }\non_error: skip\nworkers: 1\nstages: []\n" % (copy, out)
                )
            p = subprocess.run([os.path.abspath(winnow), "run", recipe], cwd=tmp, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit("winnow failed on %s:\n%s" % (name, p.stderr))
            docs = sum(1 for part in glob.glob(os.path.join(out, "data", "*.jsonl")) for _ in open(part))
            err_path = os.path.join(out, "errors.jsonl")
            errors = [json.loads(l) for l in open(err_path)] if os.path.exists(err_path) else []
            sel = lambda types: sum(1 for t in types if t in TYPES)
            intact = sel(original[:k]) + (sel(original[k + 1 :]) if name.startswith("corrupt") else 0)
            rows.append(
                dict(
                    name=name, k=k, total=total, offset=offset, damaged_type=original[k], intact=intact,
                    wio=(len(wio), sel(wio), wio_err), fw=(len(fw), sel(fw), fw_err), docs=docs, errors=errors,
                )
            )
    return rows


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
    print("Damaged copies of %s:" % os.path.basename(files[0]))
    print()
    print(
        "| damage | intact response/resource records | warcio: records (response/resource), end "
        "| fastwarc non-strict: records (response/resource), end | Winnow, on_error: skip: documents, errors |"
    )
    print("|---|---|---|---|---|")
    for row in damage_report(args.winnow, files[0]):
        where = ", ".join("byte %s" % e.get("offset", "?") for e in row["errors"])
        print(
            "| %s: gzip member %d of %d (a %s record) at byte %d | %d | %d (%d), %s | %d (%d), %s | %d, %d error (%s) |"
            % (
                row["name"], row["k"] + 1, row["total"], row["damaged_type"], row["offset"], row["intact"],
                row["wio"][0], row["wio"][1], row["wio"][2] or "no error",
                row["fw"][0], row["fw"][1], row["fw"][2] or "no error",
                row["docs"], len(row["errors"]), where,
            )
        )
    print()
    print("warcio %s, fastwarc %s" % (version("warcio"), version("fastwarc")))
    print("parity: %s" % ("all identical" if ok else "DIFFERENCES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
