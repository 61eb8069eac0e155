#!/usr/bin/env bash
# Peak memory of `winnow embed` on 100,000 real paragraphs (issue 6, "Done when" item 4).
#
#   bash bench/embed_memory.sh            # needs bench/data/corpus (python3 bench/make_corpus.py)
#   N=10000 bash bench/embed_memory.sh    # a smaller run, to compare peaks
#
# The paragraphs: the first N distinct lines of >= 80 characters of bench/data/corpus/*.jsonl.gz
# (Wikipedia, speeches, books, QA contexts, copyright files), written to
# bench/data/embed/paragraphs-N.jsonl. bench/measure.py records wall time and peak RSS; the
# .npy is streamed in chunks of 4,096 documents, so the peak should not grow with N.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-100000}"
WINNOW="${WINNOW:-.build/release/winnow}"
PY="${PY:-bench/.venv/bin/python}"
IN="bench/data/embed/paragraphs-$N.jsonl"
mkdir -p bench/data/embed bench/out/embed bench/out/results
if [[ ! -f "$IN" ]]; then
  N="$N" IN="$IN" python3 - <<'PY'
import gzip, json, glob, os
n_max, path = int(os.environ["N"]), os.environ["IN"]
files = sorted(glob.glob("bench/data/corpus/*.jsonl.gz"))
if not files:
    raise SystemExit("embed_memory: bench/data/corpus is missing (python3 bench/make_corpus.py)")
n, seen = 0, set()
with open(path + ".tmp", "w", encoding="utf-8") as out:
    for f in files:
        for line in gzip.open(f, "rt", encoding="utf-8"):
            for para in json.loads(line)["text"].split("\n"):
                p = para.strip()
                if len(p) >= 80 and p not in seen:
                    seen.add(p)
                    out.write(json.dumps({"id": f"p{n}", "text": p}, ensure_ascii=False) + "\n")
                    n += 1
                    if n == n_max:
                        break
            if n == n_max:
                break
        if n == n_max:
            break
os.replace(path + ".tmp", path)
print(f"{n} paragraphs -> {path}")
PY
fi
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
"$PY" bench/measure.py --json "bench/out/results/embed-memory-$N-$stamp.json" --log "bench/out/embed/memory-$N.log" -- \
  "$WINNOW" embed --input "$IN" --output "bench/out/embed/paragraphs-$N.npy" --workers "${WORKERS:-2}" -v
tail -1 "bench/out/embed/memory-$N.log"
