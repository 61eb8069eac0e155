#!/usr/bin/env bash
# Quality-rule speed: winnow's gopher_repetition → gopher_quality → c4_quality → fineweb_quality
# (bench/recipes/quality-rules.yaml, release build) vs datatrove's pipeline of the same four
# filters (bench/rules_speed_datatrove.py), same input files, same worker count, same machine.
# Winnow: median of RUNS runs; datatrove: median of DT_RUNS runs (it takes minutes per run).
# The floor row is Winnow's own read → keep-all `length` stage → write of the same files
# (bench/recipes/rules-floor.yaml), median of RUNS runs: the rules' figure over it says how far
# the rule stages are from the cost of I/O alone.
#
#   bash bench/rules_speed.sh                       # text corpus, 2 workers, RUNS=3, DT_RUNS=1
#   RUNS=5 DT_RUNS=3 WORKERS=2 bash bench/rules_speed.sh
#   DT_RUNS=0 bash bench/rules_speed.sh             # winnow only
#   CORPUS=bench/data/long-corpus.jsonl bash bench/rules_speed.sh   # long documents
#   CORPUS=/path/to/text-corpus.jsonl PARTS=8 bash bench/rules_speed.sh
#
# Input: CORPUS (default bench/data/text-corpus.jsonl, from bench/make_text_corpus.py; the long
# documents come from bench/make_long_corpus.py, both built from ../shared/data only) is split
# round-robin into PARTS files under bench/data/rules-speed/ so both tools get PARTS tasks.
# When datatrove runs, the kept documents are compared by id and text (they must be identical).
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
[[ -f "$CORPUS" ]] || { echo "error: $CORPUS not found (bench/.venv/bin/python bench/make_text_corpus.py, or python3 bench/make_long_corpus.py)" >&2; exit 1; }
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
f_times=()
for ((i = 1; i <= RUNS; i++)); do   # rules and floor interleaved: both see the same load
  rm -rf bench/out/winnow-quality-rules bench/out/winnow-rules-floor
  t0=$(now); "$WINNOW" run bench/recipes/quality-rules.yaml --workers "$WORKERS" >/dev/null 2>&1; t1=$(now)
  w_times+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); "$WINNOW" run bench/recipes/rules-floor.yaml --workers "$WORKERS" >/dev/null 2>&1; t1=$(now)
  f_times+=("$(echo "$t1 - $t0" | bc -l)")
done
d_times=()
for ((i = 1; i <= DT_RUNS; i++)); do
  rm -rf bench/out/datatrove-quality-rules
  t0=$(now); "$VENV_PY" bench/rules_speed_datatrove.py bench/data/rules-speed bench/out/datatrove-quality-rules "$WORKERS" >/dev/null 2>&1; t1=$(now)
  d_times+=("$(echo "$t1 - $t0" | bc -l)")
done
w_kept=$(cat bench/out/winnow-quality-rules/data/*.jsonl | wc -l)
f_kept=$(cat bench/out/winnow-rules-floor/data/*.jsonl | wc -l)
wm=$(printf '%s\n' "${w_times[@]}" | median)
fm=$(printf '%s\n' "${f_times[@]}" | median)
{
  echo "quality rules speed, $STAMP: $docs documents, $bytes bytes in $PARTS files, $WORKERS workers, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  printf "winnow    median of %d: %8.3f s  (runs: %s)  kept %s\n" "$RUNS" "$wm" "${w_times[*]}" "$w_kept"
  printf "floor     median of %d: %8.3f s  (runs: %s)  kept %s  (read → length: keep all → write)\n" "$RUNS" "$fm" "${f_times[*]}" "$f_kept"
  printf "ratio winnow / floor: %.2fx\n" "$(echo "$wm / $fm" | bc -l)"
  # Each round ran both back to back: the spread of the rounds' own ratios shows how much of a
  # difference between invocations is the machine's.
  python3 -c 'import sys, statistics
w, f = sys.argv[1].split(), sys.argv[2].split()
r = sorted(float(a) / float(b) for a, b in zip(w, f))
q = lambda p: r[min(len(r) - 1, int(p * len(r)))]
print(f"ratio per round: min {r[0]:.2f}x, quartiles {q(0.25):.2f}x / {statistics.median(r):.2f}x / {q(0.75):.2f}x, max {r[-1]:.2f}x")' "${w_times[*]}" "${f_times[*]}"
  if (( DT_RUNS > 0 )); then
    d_kept=$(cat bench/out/datatrove-quality-rules/data/*.jsonl | wc -l)
    dm=$(printf '%s\n' "${d_times[@]}" | median)
    printf "datatrove median of %d: %8.2f s  (runs: %s)  kept %s\n" "$DT_RUNS" "$dm" "${d_times[*]}" "$d_kept"
    printf "ratio datatrove / winnow: %.1fx\n" "$(echo "$dm / $wm" | bc -l)"
    python3 - <<'PY'
import glob, json
def kept(pattern):
    out = {}
    for p in sorted(glob.glob(pattern)):
        for line in open(p, encoding="utf-8"):
            d = json.loads(line)
            out[d["id"]] = d["text"]
    return out
w, d = kept("bench/out/winnow-quality-rules/data/*.jsonl"), kept("bench/out/datatrove-quality-rules/data/*.jsonl")
same = sum(1 for k, t in w.items() if d.get(k) == t)
print(f"kept documents: winnow {len(w)}, datatrove {len(d)}, same id and text {same}"
      + ("  (identical)" if same == len(w) == len(d) else "  (DIFFERENT)"))
# drop reasons: datatrove's per-filter dropped_<reason> totals against Winnow's per-stage counts
names = {"Gopher Repetition": "gopher_repetition", "Gopher Quality": "gopher_quality",
         "C4 Quality": "c4_quality", "FineWeb Quality": "fineweb_quality"}
dt = {}
for step in json.load(open("bench/out/datatrove-quality-rules/logs/stats.json")):
    stage = next((v for k, v in names.items() if k in step["name"]), step["name"])
    for k, v in step["stats"].items():
        if k.startswith("dropped_"):
            dt[(stage, k[len("dropped_"):])] = v["total"] if isinstance(v, dict) else v
wn = {(st["stage"], r): n for st in json.load(open("bench/out/winnow-quality-rules/stats.json"))["stages"]
      for r, n in st["dropped"].items()}
print(f"drop reasons (stage, reason: count): {'identical' if dt == wn else 'DIFFERENT'} — "
      + ", ".join(f"{s}.{r} {n}" for (s, r), n in sorted(wn.items())))
if dt != wn:
    print(f"  datatrove: {sorted(dt.items())}")
PY
  fi
} | tee "$RESULTS/rules-speed-$STAMP.txt"
