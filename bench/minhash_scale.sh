#!/usr/bin/env bash
# MinHash at scale within a memory budget (issue 21, Done-when item 1): length → minhash_dedup
# (verify 0.8) → exact_dedup with `memory: 4GB` over a ≥ 60 GB JSONL corpus of real text with
# planted near-duplicates; peak PSS of the whole process tree, throughput per core, planted-pair
# recall/precision, and a 2 GB slice run bounded (a budget small enough to spill every path) and
# unbounded, whose outputs must be byte-identical.
#
#   swift build -c release --scratch-path .build-release --product winnow
#   GB=60 bash bench/minhash_scale.sh                 # the benchmark (see docs/benchmarks.md for disk)
#   GB=1 PART_MB=250 SLICE_GB=0.5 bash bench/minhash_scale.sh   # a quick look
#
# Environment: GB (corpus size, uncompressed GB; default 60), PART_MB (MB per input file,
# default 1000), SLICE_GB (default 2), MEMORY (default 4GB), SLICE_MEMORY (the bounded slice
# run's budget, default 64MB), WORKERS (default 2), WINNOW (default .build-release/release/winnow),
# REFERENCE (optional: another winnow binary, e.g. the previous release, run on the slice
# unbounded: its output must match too), DATA (corpus folder, default bench/data/minhash-scale-<GB>g),
# OUT (default bench/out/minhash-scale), JOBS (generator processes, default 2), SKIP_FULL=1 (only
# the slice runs).
# The corpus is generated once (bench/make_scale_corpus.py, seeded) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
GB="${GB:-60}"
PART_MB="${PART_MB:-1000}"
SLICE_GB="${SLICE_GB:-2}"
MEMORY="${MEMORY:-4GB}"
SLICE_MEMORY="${SLICE_MEMORY:-64MB}"
WORKERS="${WORKERS:-2}"
JOBS="${JOBS:-2}"
WINNOW="$(realpath "${WINNOW:-.build-release/release/winnow}")"
DATA="${DATA:-bench/data/minhash-scale-${GB}g}"
OUT="${OUT:-bench/out/minhash-scale}"
mkdir -p "$DATA" "$OUT"
DATA="$(realpath "$DATA")"
OUT="$(realpath "$OUT")"
REPORT="$OUT/report-$(date -u +%Y%m%dT%H%M%SZ).md"
say() { echo "$*" | tee -a "$REPORT"; }

say "# minhash_scale: GB=$GB PART_MB=$PART_MB SLICE_GB=$SLICE_GB MEMORY=$MEMORY SLICE_MEMORY=$SLICE_MEMORY WORKERS=$WORKERS"
say "date: $(date -u +%FT%TZ); load: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc); winnow: $WINNOW"
t0=$(date +%s)
python3 bench/make_scale_corpus.py --out "$DATA" --gb "$GB" --part-mb "$PART_MB" --jobs "$JOBS" --seed 1 | tee -a "$REPORT"
say "corpus: $(du -sh "$DATA" | cut -f1) gzip on disk, generated/checked in $(($(date +%s) - t0)) s"

recipe() {  # name input-glob memory output
  cat > "$OUT/$1.yaml" <<EOF
name: minhash-scale-$1
input: { path: "$2", format: jsonl }
output: { path: $4, format: jsonl.gz, keep_removed: true }
workers: $WORKERS
memory: $3
stages:
  - length: { min_words: 20 }
  - minhash_dedup: { verify: 0.8 }
  - exact_dedup: {}
EOF
}

# Disk in use during a run: the least free space seen (sampled every 5 s).
watch_disk() {  # folder pid → prints the peak bytes used beyond the start
  local start low now
  start=$(df --output=avail -B1 "$1" | tail -1)
  low=$start
  while kill -0 "$2" 2>/dev/null; do
    now=$(df --output=avail -B1 "$1" | tail -1)
    ((now < low)) && low=$now
    sleep 5
  done
  echo $((start - low))
}

run() {  # name → measure.py JSON in $OUT/<name>.json
  local name=$1 bin=${2:-$WINNOW}
  python3 bench/measure.py --json "$OUT/$name.json" --log "$OUT/$name.log" -- \
    "$bin" run "$OUT/$name.yaml" --overwrite > /dev/null &
  local pid=$!
  local disk
  disk=$(watch_disk "$OUT" $pid)
  wait $pid
  python3 - "$OUT/$name.json" "$disk" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["peak_disk_gb"] = round(int(sys.argv[2]) / 1e9, 2)
json.dump(r, open(sys.argv[1], "w"))
EOF
}
digest() { (cd "$1" && find data removed -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

# 1. The whole corpus, memory 4GB (SKIP_FULL=1: only the slice).
if [[ -z "${SKIP_FULL:-}" ]]; then
recipe full "$DATA/part-*.jsonl.gz" "$MEMORY" "$OUT/run-full"
run full
python3 - "$OUT/full.json" "$GB" "$WORKERS" <<'EOF' | tee -a "$REPORT"
import json, sys
r = json.load(open(sys.argv[1])); gb = float(sys.argv[2]); w = int(sys.argv[3])
cpu = r["user_seconds"] + r["sys_seconds"]
print(f"full run: exit {r['exit_code']}, wall {r['wall_seconds']:.0f} s, peak tree PSS {r['peak_tree_pss_mb']:.0f} MB, "
      f"max single RSS {r['max_rss_mb']:.0f} MB, CPU {cpu:.0f} s, peak disk {r['peak_disk_gb']} GB; "
      f"throughput {gb * 1000 / r['wall_seconds']:.1f} MB/s wall, {gb * 1000 / cpu:.1f} MB/s per core (CPU time), "
      f"{gb * 1000 / r['wall_seconds'] / w:.1f} MB/s per worker")
EOF
say "quality: $(python3 bench/minhash_scale_eval.py --corpus "$DATA" --run "$OUT/run-full" | tr -d '\n ')"
fi

# 2. A slice (the first files up to SLICE_GB): bounded vs unbounded, byte for byte.
SLICE_PARTS=$(python3 -c "import math; print(max(1, math.ceil($SLICE_GB * 1000 / $PART_MB)))")
mkdir -p "$OUT/slice"
for ((p = 0; p < SLICE_PARTS; p++)); do
  f=$(printf "part-%05d.jsonl.gz" $p)
  [[ -e "$OUT/slice/$f" ]] || ln -s "$DATA/$f" "$OUT/slice/$f"
done
recipe slice-bounded "$OUT/slice/part-*.jsonl.gz" "$SLICE_MEMORY" "$OUT/run-slice-bounded"
recipe slice-unbounded "$OUT/slice/part-*.jsonl.gz" "1000GB" "$OUT/run-slice-unbounded"
run slice-bounded
run slice-unbounded
a=$(digest "$OUT/run-slice-bounded")
b=$(digest "$OUT/run-slice-unbounded")
say "slice ($SLICE_PARTS files): bounded ($SLICE_MEMORY) digest $a, unbounded digest $b: $([[ $a == "$b" ]] && echo IDENTICAL || echo DIFFERENT)"
for n in slice-bounded slice-unbounded; do
  say "  $n: $(python3 -c "import json; r=json.load(open('$OUT/$n.json')); print(f\"wall {r['wall_seconds']:.0f} s, peak tree PSS {r['peak_tree_pss_mb']:.0f} MB, exit {r['exit_code']}\")")"
done
if [[ -n "${REFERENCE:-}" ]]; then
  recipe slice-reference "$OUT/slice/part-*.jsonl.gz" "1000GB" "$OUT/run-slice-reference"
  run slice-reference "$(realpath "$REFERENCE")"
  c=$(digest "$OUT/run-slice-reference")
  say "  reference binary $REFERENCE, unbounded: digest $c: $([[ $c == "$b" ]] && echo IDENTICAL || echo DIFFERENT)"
fi
say "slice quality (bounded): $(python3 bench/minhash_scale_eval.py --corpus "$DATA" --run "$OUT/run-slice-bounded" | tr -d '\n ')"
say "total $(($(date +%s) - t0)) s; report $REPORT"
