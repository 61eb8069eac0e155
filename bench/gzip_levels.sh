#!/usr/bin/env bash
# Compressor levels on the exact-dedup corpus: builds bench/gzip_levels.c against Debian's libisal
# and libdeflate and runs it on the first part of bench/data/corpus, decompressed (69 MB of JSONL).
#
#   bash bench/gzip_levels.sh                 # needs python3 bench/make_corpus.py first
#   bash bench/gzip_levels.sh some/file.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
cc -O2 -o bench/out/gzip_levels bench/gzip_levels.c -lisal -ldeflate
input="${1:-}"
if [[ -z "$input" ]]; then
  [[ -f bench/data/corpus/part-000.jsonl.gz ]] || { echo "error: run python3 bench/make_corpus.py first" >&2; exit 1; }
  input=bench/out/gzip-levels-input.jsonl
  gzip -dc bench/data/corpus/part-000.jsonl.gz >"$input"
fi
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
bench/out/gzip_levels "$input"
