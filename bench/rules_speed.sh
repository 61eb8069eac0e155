#!/usr/bin/env bash
# Quality-rule speed: winnow's gopher_repetition → gopher_quality → c4_quality → fineweb_quality
# (bench/recipes/quality-rules.yaml, release build) vs datatrove's pipeline of the same four
# filters (bench/rules_speed_datatrove.py), same input files, same worker count, same machine.
# Winnow: median of RUNS runs; datatrove: median of DT_RUNS runs (it takes minutes per run).
#
#   bash bench/rules_speed.sh                       # text corpus, 2 workers, RUNS=3, DT_RUNS=1
#   RUNS=5 DT_RUNS=3 WORKERS=2 bash bench/rules_speed.sh
#   DT_RUNS=0 bash bench/rules_speed.sh             # winnow only
#   CORPUS=/path/to/text-corpus.jsonl PARTS=8 bash bench/rules_speed.sh
#
# Input: CORPUS (default bench/data/text-corpus.jsonl, from bench/make_text_corpus.py) is split
# round-robin into PARTS files under bench/data/rules-speed/ so both tools get PARTS tasks.
# Results: a table on stdout and bench/out/results/rules-speed-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

WINNOW="${WINNOW:-.build/release/winnow}"
WORKERS="${WORKERS:-2}"
RUNS="${RUNS:-3}"
DT_RUNS="${DT_RUNS:-1}"
PARTS="${PARTS:-8}"
CORPUS="${CORPUS:-bench/data/text-corpus.jsonl}"
VENV_PY=bench/.venv/bin/python
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS=bench/out/results
mkdir -p "$RESULTS" bench/data/rules-speed
[[ -f "$CORPUS" ]] || { echo "error: $CORPUS not found (python3 bench/make_text_corpus.py)" >&2; exit 1; }
[[ -x "$WINNOW" ]] || { echo "error: $WINNOW not found (swift build -c release)" >&2; exit 1; }

rm -f bench/data/rules-speed/*.jsonl
python3 - "$CORPUS" "$PARTS" <<'PY'
import json, sys
src, parts = sys.argv[1], int(sys.argv[2])
outs = [open(f"bench/data/rules-speed/part-{i:02d}.jsonl", "w") for i in range(parts)]
for k, line in enumerate(open(src)):
    d = json.loads(line)
    outs[k % parts].write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
for o in outs: o.close()
PY
bytes=$(cat bench/data/rules-speed/*.jsonl | wc -c)
docs=$(cat bench/data/rules-speed/*.jsonl | wc -l)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }

w_times=()
for ((i = 1; i <= RUNS; i++)); do
  rm -rf bench/out/winnow-quality-rules
  t0=$(now); "$WINNOW" run bench/recipes/quality-rules.yaml --workers "$WORKERS" >/dev/null 2>&1; t1=$(now)
  w_times+=("$(echo "$t1 - $t0" | bc -l)")
done
d_times=()
for ((i = 1; i <= DT_RUNS; i++)); do
  rm -rf bench/out/datatrove-quality-rules
  t0=$(now); "$VENV_PY" bench/rules_speed_datatrove.py bench/data/rules-speed bench/out/datatrove-quality-rules "$WORKERS" >/dev/null 2>&1; t1=$(now)
  d_times+=("$(echo "$t1 - $t0" | bc -l)")
done
w_kept=$(cat bench/out/winnow-quality-rules/data/*.jsonl | wc -l)
wm=$(printf '%s\n' "${w_times[@]}" | median)
if (( DT_RUNS == 0 )); then   # winnow only
  printf "winnow median of %d: %.2f s (runs: %s) kept %s\n" "$RUNS" "$wm" "${w_times[*]}" "$w_kept" | tee "$RESULTS/rules-speed-$STAMP.txt"
  exit 0
fi
d_kept=$(cat bench/out/datatrove-quality-rules/data/*.jsonl | wc -l)
dm=$(printf '%s\n' "${d_times[@]}" | median)
{
  echo "quality rules speed, $STAMP: $docs documents, $bytes bytes in $PARTS files, $WORKERS workers"
  printf "winnow    median of %d: %8.2f s  (runs: %s)  kept %s\n" "$RUNS" "$wm" "${w_times[*]}" "$w_kept"
  printf "datatrove median of %d: %8.2f s  (runs: %s)  kept %s\n" "$DT_RUNS" "$dm" "${d_times[*]}" "$d_kept"
  printf "ratio datatrove / winnow: %.1fx\n" "$(echo "$dm / $wm" | bc -l)"
} | tee "$RESULTS/rules-speed-$STAMP.txt"
