#!/usr/bin/env bash
# semantic_dedup and diversity on 100,000 384-dimensional embeddings: wall time, peak RSS, worker-count
# determinism, and numpy peers on the same .npy (issue 7, Done-when item 4).
#
#   swift build -c release --product winnow
#   bash bench/semantic_scale.sh                 # N=100000, 3 runs of each recipe, workers 2
#   N=20000 RUNS=1 bash bench/semantic_scale.sh  # a quicker look
#
# Data: bench/semantic_make_vectors.py (seeded synthetic unit vectors: 200 Gaussian blobs, 10 % of the
# rows near-copies of an earlier row), bench/data/semantic/vectors-N.npy + docs-N.jsonl (row i = line i).
# Each recipe reads docs-N.jsonl and takes its vectors from the .npy (`vectors:`), so the time is the
# stages' own, not MiniLM's (embedding 100k paragraphs takes 10+ minutes on this machine).
# Peak RSS is /usr/bin/time -v's "Maximum resident set size" of the whole `winnow run`.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-100000}"
RUNS="${RUNS:-3}"
WORKERS="${WORKERS:-2}"
WINNOW="${WINNOW:-.build/release/winnow}"
PY="${PY:-bench/.venv/bin/python}"
D=bench/data/semantic
O=bench/out/semantic
mkdir -p "$D" "$O"
[[ -f "$D/vectors-$N.npy" ]] || "$PY" bench/semantic_make_vectors.py --n "$N" --out "$D"

recipe() {  # name stage-line
  cat > "$O/$1-$N.yaml" <<EOF
name: $1-$N
input: { path: $D/docs-$N.jsonl, format: jsonl }
output: { path: $O/run-$1-$N, format: jsonl, keep_removed: true }
stages:
  - $2
EOF
}
recipe semdedup "semantic_dedup: { vectors: $D/vectors-$N.npy, clusters: 200, eps: 0.02 }"
recipe kcenter "diversity: { vectors: $D/vectors-$N.npy, method: k_center, count: 1000 }"
recipe facility "diversity: { vectors: $D/vectors-$N.npy, method: facility_location, count: 1000, neighbours: 32 }"

measure() {  # name workers → prints "wall_s rss_mb"
  local log="$O/$1-$N-w$2.log"
  /usr/bin/time -v "$WINNOW" run "$O/$1-$N.yaml" --overwrite --workers "$2" > "$log" 2>&1
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
  echo "$wall $rss"
}
digest() { (cd "$O/run-$1-$N" && find data removed -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

echo "OpenBLAS: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(auto)}; load: $(cut -d' ' -f1-3 /proc/loadavg); N=$N, workers=$WORKERS, runs=$RUNS"
for name in semdedup kcenter facility; do
  walls=()
  rsss=()
  for ((r = 1; r <= RUNS; r++)); do
    read -r wall rss < <(measure "$name" "$WORKERS")
    walls+=("$wall")
    rsss+=("$rss")
  done
  sums=$(digest "$name")
  median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  echo "$name: wall s ${walls[*]} (median $median); peak RSS MB ${rsss[*]}; output digest $sums"
  grep -E "dropped|resolved" "$O/$name-$N-w$WORKERS.log" | sed 's/^/    /'
done

# Worker-count determinism: one worker must give the same bytes as $WORKERS.
for name in ${DET:-semdedup kcenter}; do  # DET="semdedup kcenter facility" to include the slow one
  before=$(digest "$name")
  measure "$name" 1 > /dev/null
  after=$(digest "$name")
  echo "determinism $name: workers $WORKERS $before, workers 1 $after: $([[ $before == "$after" ]] && echo identical || echo DIFFERENT)"
done

# Peers (numpy, one BLAS thread like Winnow's resolve steps), each right after a Winnow run of the
# same job, so both see the same machine load.
echo "winnow semdedup (wall s, peak RSS MB) just before the peer: $(measure semdedup "$WORKERS")"
grep -E "resolved" "$O/semdedup-$N-w$WORKERS.log" | sed 's/^/    /'
OPENBLAS_NUM_THREADS=1 "$PY" bench/semantic_peer.py semdedup --vectors "$D/vectors-$N.npy" --clusters 200 --eps 0.02 \
  --winnow-removed "$O/run-semdedup-$N/removed" --truth "$D/truth-$N.txt"
echo "winnow k_center (wall s, peak RSS MB) just before the peer: $(measure kcenter "$WORKERS")"
grep -E "resolved" "$O/kcenter-$N-w$WORKERS.log" | sed 's/^/    /'
OPENBLAS_NUM_THREADS=1 "$PY" bench/semantic_peer.py kcenter --vectors "$D/vectors-$N.npy" --count 1000 \
  --winnow-data "$O/run-kcenter-$N/data"
