#!/usr/bin/env python3
"""Damaged input: Winnow against datatrove and warcio on the same damaged files (issue 15).

    bench/.venv/bin/python bench/damaged_inputs.py [--winnow .build/debug/winnow] [--seed 15]
                                                   [--only NAME ...] [--mem-limit-mib 2048]

It makes, from a fixed seed and without any outside data, a set of damaged JSONL and WARC files
in a temporary folder (each with the clean records it was made from: the ground truth), then
reads every file with

- Winnow: `winnow run` of a recipe with `on_error: skip`, no stages, plain JSONL output; the
  records in `data/` and the lines of `errors.jsonl`;
- datatrove: `JsonlReader` (JSONL files) or `WarcReader` (WARC files), `compression="infer"`;
  the documents it yields, the warnings/errors it logs (loguru) and the exception, if any, that
  ends the iteration;
- warcio (WARC files): `ArchiveIterator` over the file; the response records, their
  `content_stream()`, the warnings it prints and the exception, if any.

Each reader runs in its own child process under `RLIMIT_AS` (--mem-limit-mib), so a gzip bomb
cannot take the machine down; a reader killed by a signal or out of memory is a crash.

A record that comes out is *intact* when its id is one of the ground truth's (not seen before)
and its text (WARC: the HTTP payload) and metadata equal the clean original's; anything else
that comes out is *corrupt*: it reached the consumer as a good record with content that differs
from the ground truth. For Winnow an output line that is not strict JSON (e.g. `Infinity`) is
corrupt too. "errors" counts what the reader reported: lines of `errors.jsonl` (Winnow),
logged warnings (datatrove), printed warnings (warcio), plus the exception or signal that ended
the run. A corrupt record is *silent* when the run reported no error at all.

The Markdown table goes to stdout and to bench/out/damaged_inputs.md (the per-file details to
bench/out/damaged_inputs.json). Exit status 0 unless the harness itself fails (a reader's
behaviour is the result, not a failure).
"""
import argparse
import decimal
import glob
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.abspath(__file__)

# ----------------------------------------------------------------------------- ground truth


def sha(b):
    return hashlib.sha1(b).hexdigest()


def text_sha(s):
    return sha(s.encode("utf-8", "surrogatepass"))


WORDS = ("the of and to in is was for on that with as by at from his her an were are which this be "
         "data river café naïve Zürich 東京 Ελλάδα über résumé north south model token corpus shard "
         "record stream member frame header payload archive").split()


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def jsonl_records(rng, n, prefix="doc"):
    """n records {"id", "text", "n"} of 40–120 words."""
    return [{"id": "%s-%05d" % (prefix, i), "text": words(rng, rng.randint(40, 120)), "n": i} for i in range(n)]


def dumps(rec):
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def jsonl_bytes(records):
    return "".join(dumps(r) + "\n" for r in records).encode("utf-8")


def truth_of(records):
    """id -> {"sha": text sha, "meta": {field: normalised value}} for JSONL records."""
    out = {}
    for r in records:
        meta = {k: norm(v) for k, v in r.items() if k not in ("id", "text")}
        out[r["id"]] = {"sha": text_sha(r["text"]), "meta": meta}
    return out


def norm(v):
    """A JSON value in a form that compares numbers exactly: numbers as Decimal text."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        try:
            return "num:" + str(decimal.Decimal(str(v)).normalize())
        except decimal.InvalidOperation:
            return "num:" + str(v)
    if isinstance(v, str):
        return "str:" + v
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return "other:" + repr(v)


def flip(data, at, n, rng):
    """n bytes from `at` XORed with random non-zero bytes."""
    b = bytearray(data)
    for j in range(at, at + n):
        b[j] ^= rng.randint(1, 255)
    return bytes(b)


def gzip_member(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def gz_members(data, size):
    """The data cut every `size` bytes (anywhere, even mid-line), one gzip member each."""
    offsets, out = [], b""
    for i in range(0, len(data), size):
        offsets.append(len(out))
        out += gzip_member(data[i:i + size])
    return out, offsets


# ----------------------------------------------------------------------------- WARC


def http_body(rng, i):
    paras = "".join("<p>%s</p>\n" % words(rng, rng.randint(30, 90)) for _ in range(rng.randint(2, 6)))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Page %d</title></head>\n"
            "<body><h1>Page %d</h1>\n%s</body></html>\n" % (i, i, paras)).encode("utf-8")


def warc_record(headers, block):
    head = "WARC/1.0\r\n" + "".join("%s: %s\r\n" % kv for kv in headers)
    return head.encode("ascii") + b"\r\n" + block + b"\r\n\r\n"


def warc_records(rng, n=20):
    """A warcinfo record and n response records: (list of record bytes, truth, index of each
    response in the list)."""
    info = b"software: bench/damaged_inputs.py\r\nformat: WARC File Format 1.0\r\n"
    recs = [warc_record([("WARC-Type", "warcinfo"), ("WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000000>"),
                         ("WARC-Date", "2024-01-01T00:00:00Z"), ("Content-Type", "application/warc-fields"),
                         ("Content-Length", str(len(info)))], info)]
    truth = {}
    for i in range(1, n + 1):
        body = http_body(rng, i)
        http = ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)).encode("ascii") + body
        rid = "urn:uuid:%08x-0000-4000-8000-%012x" % (i, rng.getrandbits(48))
        recs.append(warc_record([("WARC-Type", "response"), ("WARC-Record-ID", "<%s>" % rid),
                                 ("WARC-Date", "2024-01-01T00:00:%02dZ" % i),
                                 ("WARC-Target-URI", "http://example.com/page-%d" % i),
                                 ("Content-Type", "application/http; msgtype=response"),
                                 ("Content-Length", str(len(http)))], http))
        truth[rid] = {"sha": sha(body), "raw": sha(body), "meta": {}}
    return recs, truth


def set_content_length(rec, value):
    head, sep, rest = rec.partition(b"\r\n\r\n")
    lines = [(b"Content-Length: %d" % value) if l.startswith(b"Content-Length:") else l for l in head.split(b"\r\n")]
    return b"\r\n".join(lines) + sep + rest


def garbage(rng, n):
    """n random bytes without a newline at the end, and no 'WARC/' in them."""
    b = bytes(rng.getrandbits(8) for _ in range(n)).replace(b"WARC/", b"warc/")
    return b[:-1] + b"x"


# ----------------------------------------------------------------------------- the cases


class Case:
    def __init__(self, name, kind, filename, what, data, truth, recipe_extra=""):
        self.name, self.kind, self.filename, self.what = name, kind, filename, what
        self.data, self.truth, self.recipe_extra = data, truth, recipe_extra


def make_cases(seed):
    rng = random.Random(seed)
    cases = []
    recs = jsonl_records(rng, 5000)
    plain = jsonl_bytes(recs)
    truth = truth_of(recs)

    def add(*a, **k):
        cases.append(Case(*a, **k))

    one = gzip_member(plain)
    add("jsonl-gz-clean", "jsonl", "clean.jsonl.gz", "clean one-member `.jsonl.gz` (control)", one, truth)
    add("jsonl-gz-flip", "jsonl", "flip.jsonl.gz", "one-member `.jsonl.gz`, 64 bytes flipped mid-file",
        flip(one, len(one) // 2, 64, rng), truth)
    multi, offs = gz_members(plain, 256 * 1024)
    k = len(offs) // 2
    mid = (offs[k] + offs[k + 1]) // 2
    add("jsonl-gz-multi", "jsonl", "multi.jsonl.gz",
        "multi-member `.jsonl.gz` (%d members of 256 KiB), 64 bytes flipped in member %d" % (len(offs), k + 1),
        flip(multi, mid, 64, rng), truth)
    add("jsonl-gz-truncated", "jsonl", "truncated.jsonl.gz", "one-member `.jsonl.gz` cut at 60 %",
        one[: len(one) * 6 // 10], truth)
    add("jsonl-gz-trailing", "jsonl", "trailing.jsonl.gz", "`.jsonl.gz` + 3,000 random bytes after the member",
        one + bytes(rng.getrandbits(8) for _ in range(3000)), truth)
    try:
        import zstandard

        third = len(plain) // 3
        frames = [zstandard.ZstdCompressor(level=3, write_checksum=True).compress(plain[i * third:(i + 1) * third if i < 2 else None])
                  for i in range(3)]
        z = frames[0] + flip(frames[1], len(frames[1]) // 2, 64, rng) + frames[2]
        add("jsonl-zst-frame", "jsonl", "frame.jsonl.zst", "`.jsonl.zst`, 3 frames with checksums, 64 bytes flipped in frame 2", z, truth)
    except ImportError:
        print("zstandard is not installed: the .zst case is left out", file=sys.stderr)

    # gzip bomb: 3 records, 200 MiB of zero bytes and a newline, 3 records (about 200 KB on disk).
    few = recs[:6]
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = c.compress(jsonl_bytes(few[:3]))
    zeros = bytes(1 << 20)
    for _ in range(200):
        bomb += c.compress(zeros)
    bomb += c.compress(b"\n" + jsonl_bytes(few[3:])) + c.flush()
    add("jsonl-gz-bomb", "jsonl", "bomb.jsonl.gz", "gzip bomb: 3 records, 200 MiB of zero bytes, 3 records (%d KB on disk)" % (len(bomb) // 1000),
        bomb, truth_of(few))

    small = jsonl_records(rng, 100, prefix="small")
    add("jsonl-bom", "jsonl", "bom.jsonl", "`.jsonl` starting with a UTF-8 BOM",
        b"\xef\xbb\xbf" + jsonl_bytes(small), truth_of(small))

    # numbers out of double range, one per file (a reader may refuse one and mangle the other)
    for name, field, text, value in (("jsonl-number-1e400", "exp", "1e400", decimal.Decimal("1e400")),
                                     ("jsonl-number-bigint", "big", "123456789012345678901234567890", 123456789012345678901234567890)):
        nums = [dict(r) for r in small[:5]]
        lines = [dumps(r) for r in nums]
        lines[2] = '{"id":"%s","text":%s,"%s":%s}' % (nums[2]["id"], json.dumps(nums[2]["text"], ensure_ascii=False), field, text)
        ntruth = truth_of(nums)
        ntruth[nums[2]["id"]]["meta"] = {field: norm(value)}
        add(name, "jsonl", name[6:] + ".jsonl", "`.jsonl`, record 3 of 5 with `\"%s\":%s`" % (field, text),
            ("\n".join(lines) + "\n").encode("utf-8"), ntruth)

    bad = bytearray(plain)
    at = plain.index(b'"text":"', plain.index(b'"doc-02500"')) + 20
    bad[at:at] = b"\xff\xfe\xc3"
    add("jsonl-invalid-utf8", "jsonl", "invalid-utf8.jsonl", "`.jsonl`, 3 invalid UTF-8 bytes inside record 2,501's text of 5,000",
        bytes(bad), truth)

    huge = [dict(r) for r in small[:10]]
    filler = "x" * (2_000_025 - len(dumps({"id": huge[5]["id"], "text": "", "n": 5})))
    huge[5]["text"] = filler
    add("jsonl-huge-line", "jsonl", "huge-line.jsonl", "`.jsonl`, record 6 of 10 a 2,000,025-byte line (Winnow: `max_line_bytes: 1MiB`)",
        jsonl_bytes(huge), truth_of(huge), recipe_extra=", max_line_bytes: 1MiB")

    # WARC: a warcinfo record and 20 responses; damage at response 10.
    wrecs, wtruth = warc_records(rng)
    t = 10  # index in wrecs of the 10th response (wrecs[0] is warcinfo)

    def both(name, what, parts):
        add("warc-" + name, "warc", name + ".warc", "`.warc`: " + what, b"".join(parts), wtruth)

    def gz(name, what, parts):
        add("warcgz-" + name, "warc", name + ".warc.gz", "`.warc.gz` (a member per record): " + what, b"".join(parts), wtruth)

    members = [gzip_member(r) for r in wrecs]
    both("clean", "clean, 20 responses (control)", wrecs)
    gz("clean", "clean, 20 responses (control)", members)

    for name, what, value in (("cl-plus300", "response 10 of 20 with Content-Length 300 too large", len(wrecs[t].partition(b"\r\n\r\n")[2]) - 4 + 300),
                              ("cl-huge", "response 10 of 20 with Content-Length 99999999999", 99999999999)):
        r = set_content_length(wrecs[t], value)
        both(name, what, wrecs[:t] + [r] + wrecs[t + 1:])
        gz(name, what, members[:t] + [gzip_member(r)] + members[t + 1:])

    g = garbage(rng, 3000)
    both("garbage", "3,000 garbage bytes (no final newline) before response 10", wrecs[:t] + [g] + wrecs[t:])
    gz("garbage", "3,000 garbage bytes (no final newline) before response 10's member", members[:t] + [g] + members[t:])

    last = wrecs[-1]
    both("truncated", "the last response cut in the middle", wrecs[:-1] + [last[: len(last) // 2]])
    gz("truncated", "the last response's member cut in the middle", members[:-1] + [members[-1][: len(members[-1]) // 2]])

    # a short windows-1252 page whose <meta charset> names no real charset, no charset in HTTP
    page = ("<html><head><meta charset=\"x-bogus-9\"><title>Caf\u00e9</title></head><body><p>Caf\u00e9 cr\u00e8me, "
            "na\u00efve fa\u00e7ade, d\u00e9j\u00e0 vu \u2014 \u00fcber</p></body></html>\n").encode("cp1252")
    http = ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page)).encode("ascii") + page
    old = wrecs[t].partition(b"\r\n\r\n")[0].decode("ascii")
    rid = old.split("WARC-Record-ID: <")[1].split(">")[0]
    latin = set_content_length(wrecs[t].partition(b"\r\n\r\n")[0] + b"\r\n\r\n" + http + b"\r\n\r\n", len(http))
    ctruth = dict(wtruth)
    ctruth[rid] = {"sha": text_sha(page.decode("cp1252")), "raw": sha(page), "meta": {}}
    add("warc-bogus-charset", "warc", "bogus-charset.warc",
        "`.warc`: response 10 of 20 a short windows-1252 page with `<meta charset=\"x-bogus-9\">` (text compared after decoding; warcio: bytes)",
        b"".join(wrecs[:t] + [latin] + wrecs[t + 1:]), ctruth)

    m = members[t]
    gz("member-flip", "64 bytes flipped in response 10's member", members[:t] + [flip(m, len(m) // 2 - 32, 64, rng)] + members[t + 1:])
    return cases


# ----------------------------------------------------------------------------- readers (children)


def child_datatrove(kind, path, out):
    """datatrove's reader over one file; every document yielded goes to `out` as it comes."""
    from loguru import logger

    if kind == "jsonl":
        from datatrove.pipeline.readers import JsonlReader as Reader
    else:
        from datatrove.pipeline.readers import WarcReader as Reader
    warnings = []
    logger.remove()
    logger.add(lambda m: warnings.append(m.record["message"][:300]), level="WARNING")
    reader = Reader(os.path.dirname(path), glob_pattern=os.path.basename(path), compression="infer")
    with open(out, "w") as o:
        try:
            for doc in reader.run(None, 0, 1):
                meta = {k: norm(v) for k, v in (doc.metadata or {}).items()}
                o.write(json.dumps({"id": str(doc.id).strip("<>"), "sha": text_sha(doc.text), "meta": meta}) + "\n")
                o.flush()
            end = None
        except BaseException as e:  # what the library raises is part of the result
            end = "%s: %s" % (type(e).__name__, str(e)[:200])
        o.write(json.dumps({"end": end, "warnings": warnings}) + "\n")


def child_warcio(path, out):
    from warcio.archiveiterator import ArchiveIterator

    with open(out, "w") as o, open(path, "rb") as f:
        try:
            for r in ArchiveIterator(f):
                if r.rec_type != "response":
                    continue
                rid = (r.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
                body = r.content_stream().read()
                o.write(json.dumps({"id": rid, "sha": sha(body), "meta": {}}) + "\n")
                o.flush()
            end = None
        except BaseException as e:
            end = "%s: %s" % (type(e).__name__, str(e)[:200])
        o.write(json.dumps({"end": end, "warnings": []}) + "\n")


# ----------------------------------------------------------------------------- running


def run_limited(cmd, cwd, limit_bytes, timeout):
    """Runs cmd under RLIMIT_AS; (exit code or -signal, stderr text, peak RSS in MiB, seconds)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    with tempfile.TemporaryFile() as err:
        t0 = time.time()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limit)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                status = -999
                break
            time.sleep(0.05)
        p.returncode = 0  # reaped by wait4
        secs = time.time() - t0
        code = -999 if status == -999 else (-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
        err.seek(0)
        return code, err.read().decode("utf-8", "replace"), usage.ru_maxrss / 1024, secs


def classify(records, truth, raw=False):
    """(intact, corrupt): raw compares payload bytes (warcio) rather than decoded text."""
    seen, intact, corrupt = set(), 0, 0
    for r in records:
        t = truth.get(r["id"])
        ok = t is not None and r["id"] not in seen and r["sha"] == t["raw" if raw else "sha"] and all(r["meta"].get(k) == v for k, v in t["meta"].items())
        seen.add(r["id"])
        if ok:
            intact += 1
        else:
            corrupt += 1
    return intact, corrupt


def strict_json(line):
    def bad_constant(c):
        raise ValueError("not JSON: " + c)

    return json.loads(line, parse_float=decimal.Decimal, parse_constant=bad_constant)


def run_winnow(winnow, case, path, tmp, limit, timeout):
    work = os.path.join(tmp, "winnow-" + case.name)
    os.mkdir(work)
    fmt = "format: jsonl" if case.kind == "jsonl" else 'format: warc, record_types: [response], content_types: ["*"]'
    with open(os.path.join(work, "r.yaml"), "w") as r:
        r.write('name: damaged\ninput: { path: "%s", %s%s }\noutput: { path: out, format: jsonl }\n'
                "on_error: skip\nworkers: 1\nstages: []\n" % (path, fmt, case.recipe_extra))
    code, err, rss, secs = run_limited([winnow, "run", "r.yaml"], work, limit, timeout)
    records, invalid = [], 0
    for part in sorted(glob.glob(os.path.join(work, "out", "data", "*.jsonl"))):
        with open(part, "rb") as fh:
            for line in fh:
                try:
                    d = strict_json(line)
                except ValueError:
                    invalid += 1
                    continue
                meta = dict(d.get("metadata") or {})
                meta.update({k: v for k, v in d.items() if k not in ("id", "text", "metadata")})
                records.append({"id": str(d.get("id")), "sha": text_sha(d.get("text", "")),
                                "meta": {k: norm(v) for k, v in meta.items()}})
    errs = os.path.join(work, "out", "errors.jsonl")
    n_err = sum(1 for _ in open(errs, "rb")) if os.path.exists(errs) else 0
    intact, corrupt = classify(records, case.truth)
    end = None if code == 0 else ("exit %d: %s" % (code, err.strip().splitlines()[-1][:200] if err.strip() else "")) if code > 0 else "signal %d" % -code
    if code == -999:
        end = "timeout"
    shutil.rmtree(work, ignore_errors=True)
    return dict(intact=intact, corrupt=corrupt + invalid, invalid_json=invalid, errors=n_err, end=end, rss=rss, secs=secs,
                detail="errors.jsonl lines")


def run_peer(peer, case, path, tmp, limit, timeout):
    out = os.path.join(tmp, "%s-%s.jsonl" % (peer, case.name))
    cmd = [sys.executable, HERE, "--child", peer, case.kind, path, out]
    code, err, rss, secs = run_limited(cmd, tmp, limit, timeout)
    records, tail = [], None
    if os.path.exists(out):
        for line in open(out):
            d = json.loads(line)
            if "end" in d:
                tail = d
            else:
                records.append(d)
        os.remove(out)
    intact, corrupt = classify(records, case.truth, raw=peer == "warcio")
    if tail is None:  # killed before it could say how it ended
        end = "timeout" if code == -999 else ("signal %d" % -code if code < 0 else "exit %d: %s" % (code, (err.strip().splitlines() or [""])[-1][:200]))
        warnings = []
    else:
        end, warnings = tail["end"], tail["warnings"]
    if peer == "warcio":  # warcio prints its warnings to stderr
        warnings = [l for l in err.splitlines() if l.startswith("WARNING")]
    return dict(intact=intact, corrupt=corrupt, errors=len(warnings), end=end, rss=rss, secs=secs,
                warnings=warnings[:5])


def cell(r, show_rss=False):
    if r is None:
        return "—"
    parts = ["%s out" % format(r["intact"], ",")]
    if r["corrupt"]:
        silent = r["errors"] == 0 and r["end"] is None
        parts.append("**%s corrupt%s**" % (format(r["corrupt"], ","), " silently" if silent else "")
                     + (" (%d output line%s not JSON)" % (r["invalid_json"], "" if r["invalid_json"] == 1 else "s") if r.get("invalid_json") else ""))
    else:
        parts.append("0 corrupt")
    e = []
    if r["errors"]:
        e.append("%s error%s" % (format(r["errors"], ","), "" if r["errors"] == 1 else "s"))
    if r["end"]:
        end = r["end"]
        if end.startswith("MemoryError") or end.startswith("signal"):
            end = "**crash**: " + end
        e.append("ends with " + short(end) if not end.startswith("**") else end)
    parts.append(", ".join(e) if e else "no error")
    if show_rss:
        parts.append("peak RSS %s MB" % format(round(r["rss"]), ","))
    return " · ".join(parts)


def short(s):
    s = "".join(ch if " " <= ch < "\x7f" else "?" for ch in s.replace("\n", " ")).strip()
    s = s if len(s) <= 60 else s[:57] + "…"
    return s.replace("|", "\\|").replace("`", "'")


def versions():
    import importlib.metadata as md

    out = {}
    for d in ("datatrove", "warcio", "orjson", "zstandard"):
        try:
            out[d] = md.version(d)
        except md.PackageNotFoundError:
            out[d] = "not installed"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--winnow", help="the winnow binary (default: .build/release/winnow, else .build/debug/winnow)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--only", nargs="*", help="case names (or prefixes) to run")
    ap.add_argument("--mem-limit-mib", type=int, default=2048, help="RLIMIT_AS of every reader's process")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per reader per file")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "damaged_inputs.md"))
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        peer, kind, path, out = a.child
        if peer == "datatrove":
            child_datatrove(kind, path, out)
        else:
            child_warcio(path, out)
        return
    winnow = a.winnow or next((p for p in (os.path.join(ROOT, ".build", c, "winnow") for c in ("release", "debug")) if os.path.exists(p)), None)
    if not winnow or not os.path.exists(winnow):
        sys.exit("no winnow binary: build it (swift build --product winnow) or pass --winnow")
    winnow = os.path.abspath(winnow)
    limit = a.mem_limit_mib << 20
    cases = make_cases(a.seed)
    if a.only:
        cases = [c for c in cases if any(c.name.startswith(o) for o in a.only)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="winnow-damaged-") as tmp:
        inputs = os.path.join(tmp, "in")
        os.mkdir(inputs)
        for c in cases:
            path = os.path.join(inputs, c.filename)
            with open(path, "wb") as f:
                f.write(c.data)
            c.data = None
            res = {"winnow": run_winnow(winnow, c, path, tmp, limit, a.timeout),
                   "datatrove": run_peer("datatrove", c, path, tmp, limit, a.timeout),
                   "warcio": run_peer("warcio", c, path, tmp, limit, a.timeout) if c.kind == "warc" else None}
            rows.append((c, res))
            print("%-22s %s" % (c.name, " | ".join(cell(r) for r in res.values())), file=sys.stderr)
            os.remove(path)
    v = versions()
    wv = subprocess.run([winnow, "--version"], capture_output=True, text=True).stdout.strip()
    lines = ["Seed %d; every reader under RLIMIT_AS = %d MiB. Cells: intact records out · corrupt records passed as good · "
             "errors reported (and how the run ended). Winnow %s (`%s`), datatrove %s, warcio %s, orjson %s." %
             (a.seed, a.mem_limit_mib, wv or "?", os.path.relpath(winnow, ROOT) if winnow.startswith(ROOT) else winnow,
              v["datatrove"], v["warcio"], v["orjson"]),
             "",
             "| case | damaged file | records | Winnow (`on_error: skip`) | datatrove | warcio |",
             "|---|---|---|---|---|---|"]
    for c, res in rows:
        lines.append("| `%s` | %s | %s | %s | %s | %s |" % (c.name, c.what, format(len(c.truth), ","), *(cell(res[t], "bomb" in c.name) for t in ("winnow", "datatrove", "warcio"))))
    table = "\n".join(lines) + "\n"
    print(table)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(table)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump({c.name: {"what": c.what, "records": len(c.truth), **res} for c, res in rows}, f, indent=1, default=str)


if __name__ == "__main__":
    main()
