#!/usr/bin/env bash
# Packs HTML files into a WARC file as Common Crawl does: one WARC/1.0 `response` record per
# file (HTTP/1.1 200 with a text/html header), each record its own gzip member.
#
#   bash scripts/warc-pack.sh OUT.warc.gz BASE_URL ROOT < relative-paths
#
# Each line of stdin is a path under ROOT; its record's WARC-Target-URI is BASE_URL + path. The
# date is fixed and the record id derived from the path, so the same files give the same bytes.
# Records are appended to OUT. Used by corpora/build (the sample's `web` source) and for the
# committed fixture corpora/fixtures/warc/.
set -euo pipefail
out=$1 base=$2 root=$3
date=${WARC_DATE:-2023-03-01T00:00:00Z}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
while IFS= read -r rel; do
    rel=${rel#./}
    len=$(stat -L -c %s "$root/$rel")
    printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %s\r\n\r\n' "$len" >"$tmp"
    hlen=$(($(stat -c %s "$tmp") + len))
    id=$(printf '%s' "$rel" | sha1sum | cut -c1-32)
    id="${id:0:8}-${id:8:4}-${id:12:4}-${id:16:4}-${id:20:12}"
    {
        printf 'WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: %s%s\r\n' "$base" "$rel"
        printf 'WARC-Date: %s\r\nWARC-Record-ID: <urn:uuid:%s>\r\n' "$date" "$id"
        printf 'Content-Type: application/http; msgtype=response\r\nContent-Length: %s\r\n\r\n' "$hlen"
        cat "$tmp" "$root/$rel"
        printf '\r\n\r\n'
    } | gzip -n -6 >>"$out"
done
