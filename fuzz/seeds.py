#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ (committed; rerun after changing this file).

Seeds are small (a few KB per target), hand-made or built from the repo's own fixtures
(corpora/fixtures, pipelines/, the readers' test inputs); nothing comes from ../shared.
zstd seeds need the `zstd` command. Deterministic: gzip headers carry mtime 0.
"""
import bz2
import gzip
import io
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def gz(data, name=None, comment=None, extra=None, level=6):
    """One gzip member (mtime 0); optional FNAME / FCOMMENT / FEXTRA header fields."""
    body = gzip.compress(data, compresslevel=level, mtime=0)
    if name is None and comment is None and extra is None:
        return body
    flags = 0
    header = bytearray(body[:10])
    tail = bytearray()
    if extra is not None:
        flags |= 4
        tail += len(extra).to_bytes(2, "little") + extra
    if name is not None:
        flags |= 8
        tail += name + b"\0"
    if comment is not None:
        flags |= 16
        tail += comment + b"\0"
    header[3] = flags
    return bytes(header) + bytes(tail) + body[10:]


def zst(data, *args):
    return subprocess.run(["zstd", "-q", "-c", *args], input=data, capture_output=True, check=True).stdout


def bz(data):
    return bz2.compress(data, 9)


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- jsonl -----------------------------------------------------------------------------------

mixed = open(os.path.join(ROOT, "corpora/fixtures/mixed.jsonl"), "rb").read().splitlines(keepends=True)
JSONL = {
    "fixture-head.jsonl": b"".join(mixed[:4]),
    "fixture-tail.jsonl": b"".join(mixed[-3:]),
    "simple.jsonl": b'{"id":"a","text":"hello world"}\n{"id":"b","text":"second line"}\n',
    "escapes.jsonl": '{"id":"e1","text":"tab\\t nl\\n quote\\" back\\\\ slash\\/ \\u00e9 \\ud83d\\ude00 \\u0000"}\n'.encode(),
    "metadata.jsonl": b'{"text":"t","metadata":{"url":"https://x.org/a?b=1","lang":"en","n":3,"f":-1.5e-3,"ok":true,"none":null,'
    b'"list":[1,"two",[3],{"four":4}]},"scores":{"q":0.25,"r":7},"extra":{"deep":{"deeper":[[[]]]}}}\n',
    "numbers.jsonl": b'{"text":"n","i":0,"neg":-0,"big":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808,'
    b'"e":1e10,"E":2.5E-7,"frac":0.1}\n',
    "ids.jsonl": b'{"id":7,"text":"numeric id"}\n{"id":null,"text":"null id"}\n{"text":"no id"}\n{"id":1.5e3,"text":"float id"}\n',
    "blank-crlf.jsonl": b'\r\n{"id":"c","text":"crlf"}\r\n\r\n  \t\n{"id":"d","text":"after blanks"}',
    "bad-lines.jsonl": b'{"id":"ok1","text":"fine"}\n{"id":"bad","text":"unterminated\n[1,2,3]\n{"id":"notext"}\n{"text":5}\n{"id":"ok2","text":"fine again"}\n',
    "unicode.jsonl": '{"id":"u","text":"Crème brûlée 東京 👩‍👩‍👧 e\u0301 \u200d ﬁ"}\n'.encode(),
    "keys.jsonl": b'{"\\u0069d":"escaped key","text":"k","text":"duplicate wins?","":"empty key"}\n{}\n',
    "nested-deep.jsonl": b'{"text":"d","a":' + b"[" * 60 + b"]" * 60 + b"}\n",
}
for name, data in JSONL.items():
    write("jsonl", name, data)
write("jsonl", "simple.jsonl.gz", gz(JSONL["simple.jsonl"] + JSONL["metadata.jsonl"]))
write("jsonl", "simple.jsonl.zst", zst(JSONL["simple.jsonl"] + JSONL["ids.jsonl"]))

# --- compressed (byte sources) ---------------------------------------------------------------

text = b"".join(mixed[:6])
write("compressed", "one-member.gz", gz(text))
write("compressed", "two-members.gz", gz(text[:700]) + gz(text[700:], level=1))
write("compressed", "header-fields.gz", gz(b"named member\n" * 20, name=b"doc.jsonl", comment=b"a comment", extra=b"AB\x02\x00xy"))
write("compressed", "empty.gz", gz(b""))
write("compressed", "stored.gz", gz(b"incompressible? " + bytes(range(256)), level=0))
write("compressed", "truncated.gz", gz(text)[:300])
write("compressed", "one-frame.zst", zst(text))
write("compressed", "checksum.zst", zst(b"zstd with a checksum\n" * 30, "--check"))
write("compressed", "two-frames.zst", zst(text[:500]) + zst(text[500:], "-1"))
write("compressed", "long-window.zst", zst(b"0123456789abcdef" * 300, "--ultra", "-22"))
write("compressed", "one-stream.bz2", bz(text))
write("compressed", "multistream.bz2", bz(text[:600]) + bz(text[600:]))
write("compressed", "runs.bz2", bz(b"a" * 5000 + b"b" * 10 + b"\n"))

# --- warc ------------------------------------------------------------------------------------


def record(rtype, block, uri=None, rid="00000000-0000-0000-0000-000000000001", ctype="application/http; msgtype=response",
           version="WARC/1.1", eol=b"\r\n", extra=(), length=None):
    lines = [version, "WARC-Type: " + rtype, "WARC-Record-ID: <urn:uuid:%s>" % rid, "WARC-Date: 2024-01-02T03:04:05Z"]
    if uri:
        lines.append("WARC-Target-URI: " + uri)
    lines += list(extra)
    lines += ["Content-Type: " + ctype, "Content-Length: %d" % (len(block) if length is None else length)]
    return eol.join(l.encode() for l in lines) + eol + eol + block + eol + eol


def http(body, headers=("Content-Type: text/html; charset=utf-8",), status="200 OK"):
    return ("HTTP/1.1 %s\r\n" % status).encode() + b"".join(h.encode() + b"\r\n" for h in headers) + b"\r\n" + body


page = b"<html><head><title>T</title></head><body><p>Hello <b>web</b> page.</p><script>x()</script></body></html>"
warcinfo = record("warcinfo", b"software: fuzz\r\nformat: WARC File Format 1.1\r\n", ctype="application/warc-fields",
                  rid="00000000-0000-0000-0000-000000000000")
resp = record("response", http(page), uri="http://example.com/", rid="00000000-0000-0000-0000-000000000002")
latin = record("response", http("<p>caf\xe9 na\xefve r\xe9sum\xe9</p>".encode("latin-1"), ("Content-Type: text/html; charset=ISO-8859-1",)),
               uri="http://example.com/latin", rid="00000000-0000-0000-0000-000000000003")
meta = record("response", http(b'<meta charset="windows-1252"><p>quote \x93x\x94</p>', ("Content-Type: text/html",)),
              uri="http://example.com/meta", rid="00000000-0000-0000-0000-000000000004")
conv = record("conversion", b"Plain extracted text.\nSecond line.\n", uri="http://example.com/", ctype="text/plain",
              rid="00000000-0000-0000-0000-000000000005")
res = record("resource", page, uri="file:///page.html", ctype="text/html", rid="00000000-0000-0000-0000-000000000006")
req = record("request", b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", uri="http://example.com/", ctype="application/http; msgtype=request",
             rid="00000000-0000-0000-0000-000000000007")
chunked = record("response", http(b"5\r\nHello\r\n6\r\n chunk\r\n0\r\n\r\n", ("Content-Type: text/html", "Transfer-Encoding: chunked")),
                 uri="http://example.com/chunked", rid="00000000-0000-0000-0000-000000000008")
notfound = record("response", http(b"<p>gone</p>", status="404 Not Found"), uri="http://example.com/404",
                  rid="00000000-0000-0000-0000-000000000009")
write("warc", "responses.warc", warcinfo + req + resp + latin + meta)
write("warc", "conversion.warc", record("conversion", b"WET text record.\n", uri="http://a.example/", ctype="text/plain") + conv)
write("warc", "resource-chunked.warc", res + chunked + notfound)
write("warc", "warc10-lf.warc", record("response", http(page), uri="http://lf.example/", version="WARC/1.0", eol=b"\n"))
write("warc", "per-record.warc.gz", gz(warcinfo) + gz(resp) + gz(conv))
write("warc", "whole.warc.gz", gz(resp + latin))
write("warc", "long-length.warc", record("response", http(page), uri="http://x.example/", length=len(http(page)) + 40) + conv)
write("warc", "garbage-before.warc", b"garbage line without a header\r\nmore junk\r\n" + resp)
write("warc", "empty-block.warc", record("response", b"", uri="http://empty.example/") + record("response", b"no http here", uri="http://x/"))

# --- html ------------------------------------------------------------------------------------

HTML = {
    "article.html": b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>An article</title>
<meta property="og:title" content="OG title"></head><body><nav><a href="/">Home</a> | <a href="/a">About</a></nav>
<article><h1>Heading</h1><p>First paragraph with <a href="#">a link</a> and <em>emphasis</em>.</p>
<p>Second paragraph, long enough to count as main text for the extractor's scorer.</p><ul><li>one</li><li>two</li></ul>
<table><tr><td>cell</td><td>cell 2</td></tr></table><pre>code  block</pre></article>
<footer>Copyright 2024 &copy; Example &amp; Co.</footer><script>var x = "<p>not text</p>";</script><style>p{}</style></body></html>""",
    "malformed.html": b"<html><body><div><p>unclosed <b>bold <i>italic</div><p>next<td>stray cell</table></li><!-- comment -- -->"
    b"<![CDATA[ cdata ]]><p>&notanentity; &#x1F600; &#0; &#99999999;</p><img src=x onerror=y><br/></body>",
    "latin1-meta.html": '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>Gr\xfc\xdfe aus K\xf6ln</p></body></html>'.encode("latin-1"),
    "doctype-subset.html": b'<!DOCTYPE html [<!ENTITY % pe SYSTEM "file:///etc/passwd"> <!ENTITY x "expanded">]><html><body><p>&x; text</p></body></html>',
    "utf16.html": "\ufeff<html><body><p>UTF-16 page ☃</p></body></html>".encode("utf-16-le"),
    "noscript-iframe.html": b"<html><head><base href='http://b/'></head><body><noscript><p>enable js</p></noscript><iframe srcdoc='<p>x</p>'></iframe>"
    b"<svg><text>svg text</text></svg><math><mi>x</mi></math><template><p>tpl</p></template><p>body</p></body></html>",
    "fragment.html": b"just text, no tags at all \xe2\x80\x94 with UTF-8",
    "invalid-utf8.html": b"<p>bad \xff\xfe bytes \xc3\x28 and \xed\xa0\x80 surrogate</p>",
}
for name, data in HTML.items():
    write("html", name, data)
write("html", "article.html.gz", gz(HTML["article.html"]))

# --- mediawiki -------------------------------------------------------------------------------

dump = b"""<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
  <siteinfo><sitename>Wikipedia</sitename><dbname>testwiki</dbname>
    <base>https://test.wikipedia.org/wiki/Main_Page</base></siteinfo>
  <page><title>First page</title><ns>0</ns><id>10</id>
    <revision><id>100</id><timestamp>2016-01-01T00:00:00Z</timestamp>
      <contributor><username>X</username><id>5</id></contributor>
      <text xml:space="preserve">'''First''' &amp; [[link|best]] &lt;ref&gt;r&lt;/ref&gt; {{template|a=1}} == Heading ==
* item [http://x.org label] &lt;!-- comment --&gt; {| class="wikitable"
| cell
|}</text></revision></page>
  <page><title>Redirected</title><ns>0</ns><id>11</id><redirect title="First page" />
    <revision><id>101</id><text xml:space="preserve">#REDIRECT [[First page]]</text></revision></page>
  <page><title>Talk:First page</title><ns>1</ns><id>12</id>
    <revision><id>102</id><text xml:space="preserve">talk</text></revision></page>
  <page><title>Second</title><ns>0</ns><id>14</id>
    <revision><id>104</id><text xml:space="preserve">old text</text></revision>
    <revision><id>105</id><text xml:space="preserve">new text &#x1F600; [[File:x.png|thumb|caption]]</text></revision></page>
</mediawiki>
"""
write("mediawiki", "dump.xml", dump)
write("mediawiki", "dump.xml.bz2", bz(dump))
write("mediawiki", "dump.xml.gz", gz(dump))
write("mediawiki", "no-siteinfo.xml", b'<?xml version="1.0" encoding="utf-8"?><mediawiki><page><title>A</title><ns>0</ns><id>1</id>'
      b"<revision><id>2</id><text>body</text></revision></page></mediawiki>")
write("mediawiki", "cut.xml", dump[: len(dump) // 2])
write("mediawiki", "doctype.xml", b'<?xml version="1.0"?><!DOCTYPE mediawiki [<!ENTITY e "ent">]><mediawiki><page><title>&e;</title><ns>0</ns>'
      b"<id>3</id><revision><text>&e; text</text></revision></page></mediawiki>")
write("mediawiki", "empty.bz2", bz(b""))

# --- recipe ----------------------------------------------------------------------------------

for name in sorted(os.listdir(os.path.join(ROOT, "pipelines"))):
    if name.endswith(".yaml"):
        write("recipe", name, open(os.path.join(ROOT, "pipelines", name), "rb").read())
write("recipe", "minimal.yaml", "input: {path: in.jsonl}\noutput: {path: out/x}\nstages: []\n")
write("recipe", "all-keys.yaml", """name: all
input:
  path: [data/*.jsonl, more/**/*.jsonl.gz]
  format: jsonl
  text_key: body
  id_key: uid
  max_line_bytes: 1MiB
  shard_size: 64MB
  root: data
output: {path: out/all, format: jsonl, keep_removed: true, compression_level: 3}
workers: 2
seed: 42
on_error: skip
memory: 2GiB
stages:
  - length: {min_words: 5, max_words: 100000}
  - sample: {fraction: 0.5}
  - gopher_repetition: {}
  - gopher_quality: {min_doc_words: 50}
  - c4_quality: {filter_no_terminal_punct: false}
  - c4_badwords: {}
  - fineweb_quality: {}
  - pii: {email: true}
  - exact_dedup: {}
  - minhash_dedup: {ngram: 5, bands: 14, rows: 8}
  - line_dedup: {}
  - substring_dedup: {min_length: 50}
  - top_k: {count: 10, key: length}
  - threshold: {key: length, min: 1}
  - html_extract: {favor: precision}
""")
write("recipe", "anchors.yaml", """defaults: &d {min_words: 3}
input: &in {path: a.warc.gz, format: warc, record_types: [response], content_types: ["text/*"], max_record_bytes: 2MiB}
output: {path: "out/a"}
stages:
  - length: *d
  - length: {<<: *d, max_words: 9}
""")
write("recipe", "wiki.yaml", "input: {path: dump.xml.bz2, format: mediawiki, namespaces: [0, 14], skip_redirects: false, wikitext: raw}\n"
      "output: {path: out/w, format: jsonl.gz}\nstages:\n  - length: {min_chars: 1}\n")
write("recipe", "text-split.yaml", "input:\n  path: '*.txt'\n  format: text\n  split: paragraph\noutput:\n  path: out/t\nworkers: auto\n"
      "stages: [{exact_dedup: {}}]\n")
write("recipe", "errors.yaml", "input: {path: x, format: nope}\noutput: {path: ''}\nworkers: -1\nstages:\n  - no_such_stage: {}\n"
      "  - length: {min_words: many}\n")
write("recipe", "flow-multidoc.yaml", "{input: {path: x.jsonl}, output: {path: o}, stages: [length: {min_words: 1}]}\n---\nsecond: doc\n")

# --- compression_request and server bodies ----------------------------------------------------

REQ = {
    "basic.json": {"instruction": "Answer from the documents.", "context": ["Doc one. It says things.", "Doc two."],
                   "question": "What does doc one say?", "rate": 0.5},
    "target.json": {"context": "One string context with a URL https://example.com/x and 42 numbers.", "target_tokens": 20,
                    "tokenizer": "whitespace"},
    "all-keys.json": {"instruction": "i", "context": ["a b c. d e f.", "```\ncode block\n```"], "question": "q", "rate": 0.33,
                      "tokenizer": "whitespace", "rank_method": "bm25+lm", "reorder_context": "ends",
                      "dynamic_context_compression_ratio": 0.3, "context_budget_margin": 1.0, "token_budget_ratio": 1.2,
                      "use_context_level_filter": True, "use_sentence_level_filter": True, "use_token_level_filter": False,
                      "force_tokens": ["<keep>", "\n"], "keep_numbers": True, "keep_urls": True, "keep_code": True,
                      "separator": "\n\n"},
    "unicode.json": {"context": ["Emoji 👩‍👩‍👧 and e\u0301 combining, 東京都.", "<keep>kept span</keep> rest"], "question": "¿qué?"},
}
for name, body in REQ.items():
    write("compression_request", name, json.dumps(body, ensure_ascii=name != "unicode.json"))
write("compression_request", "bad-types.json", '{"context": 5, "rate": "half", "unknown_key": true}')
write("compression_request", "empty.json", "{}")

SERVER = {
    "embeddings.json": {"input": "A man is eating food.", "model": "all-MiniLM-L6-v2"},
    "embeddings-list.json": {"input": ["one", "two", ""], "model": "sentence-transformers/all-MiniLM-L6-v2",
                             "encoding_format": "base64", "dimensions": 384, "user": "u"},
    "embeddings-ids.json": {"input": [[1, 2, 3]], "model": "all-MiniLM-L6-v2"},
    "examples-pool.json": {"query": "Who wrote Macbeth ?", "pool": "tiny", "k": 2, "method": "mmr", "lambda": 0.5},
    "examples-inline.json": {"query": "How far ?", "examples": [{"input": "a", "output": "b", "label": "c"},
                                                              {"input": "d", "output": "e"}], "k": 1, "method": "bm25",
                             "budget": 50, "tokenizer": "whitespace", "balance_labels": True, "seed": 3},
    "examples-random.json": {"query": "q", "pool": "tiny", "method": "random", "k": 3, "seed": 18446744073709551615},
    "compress.json": REQ["basic.json"],
    "compress-target.json": REQ["target.json"],
}
for name, body in SERVER.items():
    write("server", name, json.dumps(body))
write("server", "not-object.json", "[1, 2, 3]")
write("server", "invalid.json", '{"input": "unterminated')
