#!/usr/bin/env bash
# Exact dedup benchmark: Winnow's `exact_dedup` vs datatrove's ExactDedup* pipeline on the
# same JSONL.gz corpus, same worker count, same machine, median of RUNS runs each
# (runs interleaved winnow, datatrove, winnow, ... so drift hits both alike).
#
#   bash bench/exact_dedup.sh                                  # full corpus, 2 workers, 3 runs
#   WORKERS=2 RUNS=5 bash bench/exact_dedup.sh
#   CORPUS=bench/data/corpus-small RUNS=1 bash bench/exact_dedup.sh     # quick check
#   WINNOW=/path/to/winnow bash bench/exact_dedup.sh
#   ONLY=datatrove bash bench/exact_dedup.sh                    # or ONLY=winnow
#   FLOOR=0 DOLMA=0 bash bench/exact_dedup.sh                   # leave out the floor / dolma arms
#
# Arms, interleaved in each round: winnow (the recipe), floor (bench/recipes/exact-dedup-floor.yaml:
# the same files read and written by Winnow with no stage at all -- the I/O floor), datatrove, and,
# when bench/.venv-dolma exists (bash bench/setup_dolma.sh), dolma 1.2.1's Rust Bloom-filter
# `dedupe` + `mix` beside winnow-raw (exact_dedup with normalize: false), both keyed on the raw text.
#
# Needs: bench/setup.sh (datatrove venv), bench/make_corpus.py [--small] (the corpus) and a
# release build of winnow (swift build -c release). Results: a table on stdout and
# bench/out/results/exact-dedup-<UTC time>.{json,txt}.
set -euo pipefail
cd "$(dirname "$0")/.."                      # repo root: every path below is relative to it

WINNOW="${WINNOW:-.build/release/winnow}"
WORKERS="${WORKERS:-2}"
RUNS="${RUNS:-3}"
CORPUS="${CORPUS:-bench/data/corpus}"
ONLY="${ONLY:-}"
RECIPE="${RECIPE:-bench/recipes/exact-dedup.yaml}"   # e.g. bench/recipes/exact-dedup-level6.yaml
FLOOR_RECIPE=bench/recipes/exact-dedup-floor.yaml
RAW_RECIPE=bench/recipes/exact-dedup-raw.yaml
FLOOR="${FLOOR:-1}"
DOLMA="${DOLMA:-1}"
DOLMA_BIN=bench/.venv-dolma/bin/dolma
WINNOW_OUT=bench/out/winnow-exact-dedup
FLOOR_OUT=bench/out/winnow-exact-dedup-floor
RAW_OUT=bench/out/winnow-exact-dedup-raw
DT_OUT=bench/out/datatrove-exact-dedup
DOLMA_DIR=bench/out/dolma-exact-dedup
VENV_PY=bench/.venv/bin/python
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUNDIR="bench/out/runs/exact-dedup-$STAMP"
RESULTS=bench/out/results
mkdir -p "$RUNDIR" "$RESULTS"

CORPUS="${CORPUS%/}"
shopt -s nullglob
inputs=("$CORPUS"/*.jsonl.gz)
shopt -u nullglob
if (( ${#inputs[@]} == 0 )); then
  echo "error: no $CORPUS/*.jsonl.gz -- run: python3 bench/make_corpus.py$( [[ $CORPUS == *small* ]] && echo ' --small')" >&2
  exit 1
fi

# The recipe names bench/data/corpus; for another corpus derive a recipe that reads it.
if [[ "$CORPUS" != bench/data/corpus ]]; then
  for v in RECIPE FLOOR_RECIPE RAW_RECIPE; do
    derived="$RUNDIR/$(basename "${!v}")"
    sed "s#bench/data/corpus/\*#$CORPUS/*#" "${!v}" >"$derived"
    printf -v "$v" '%s' "$derived"
  done
fi

run_winnow=1 run_dt=1
if [[ "$ONLY" == datatrove ]]; then run_winnow=0; fi
if [[ "$ONLY" == winnow ]]; then run_dt=0; fi
if (( run_winnow )) && [[ ! -x "$WINNOW" ]]; then
  echo "NOTE: winnow binary not found at $WINNOW (build it with 'swift build -c release' or set WINNOW=...);" \
       "running datatrove only." >&2
  run_winnow=0
fi
if (( run_dt )) && [[ ! -x "$VENV_PY" ]]; then
  echo "NOTE: $VENV_PY not found (run bash bench/setup.sh); skipping datatrove." >&2
  run_dt=0
fi
if (( !run_winnow && !run_dt )); then echo "error: nothing to run" >&2; exit 1; fi
run_floor=$(( run_winnow && FLOOR == 1 ))
run_dolma=0
if (( run_winnow && DOLMA == 1 )); then
  if [[ -x "$DOLMA_BIN" ]]; then run_dolma=1
  else echo "NOTE: $DOLMA_BIN not found (bash bench/setup_dolma.sh); skipping the dolma arm." >&2; fi
fi
if (( run_dolma )); then
  # dolma reads documents under a path containing documents/ and writes attributes/ beside it.
  mkdir -p "$DOLMA_DIR/documents" "$DOLMA_DIR/nltk"
  for f in "${inputs[@]}"; do ln -sf "$(realpath "$f")" "$DOLMA_DIR/documents/$(basename "$f")"; done
  ndocs=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['documents'])" "$CORPUS/stats.json" 2>/dev/null || echo 200000)
  cat >"$DOLMA_DIR/dedupe.yaml" <<YAML
documents: ["$(realpath "$DOLMA_DIR")/documents/*.jsonl.gz"]
dedupe:
  name: bff_duplicate_docs
  documents: { attribute_name: bff_duplicate_docs, key: "\$.text" }
  skip_empty: true
bloom_filter:
  file: $(realpath "$DOLMA_DIR")/bloom.bin
  read_only: false
  estimated_doc_count: $ndocs
  desired_false_positive_rate: 1.0e-6
processes: $WORKERS
YAML
  cat >"$DOLMA_DIR/mix.yaml" <<YAML
streams:
  - name: deduped
    documents: ["$(realpath "$DOLMA_DIR")/documents/*.jsonl.gz"]
    attributes: [bff_duplicate_docs]
    output: { path: $(realpath "$DOLMA_DIR")/mixed, max_size_in_bytes: 100000000 }
    filter:
      exclude: ["\$@.attributes[?(@.bff_duplicate_docs && @.bff_duplicate_docs[0] && @.bff_duplicate_docs[0][2] >= 1)]"]
processes: $WORKERS
shuffle: false
YAML
fi
PY="$VENV_PY"; [[ -x "$PY" ]] || PY=python3          # measure.py is stdlib only

# Uncompressed input size (for MB/s): from make_corpus.py's stats.json, else by decompressing.
IN_BYTES="$("$PY" - "$CORPUS" <<'EOF'
import gzip, json, glob, os, sys
d = sys.argv[1]
try:
    s = json.load(open(os.path.join(d, "stats.json")))
    files = sorted(glob.glob(os.path.join(d, "*.jsonl.gz")))
    if s.get("compressed_bytes") == sum(os.path.getsize(f) for f in files):
        print(s["uncompressed_bytes"]); sys.exit()
except (OSError, KeyError, ValueError):
    pass
n = 0
for f in sorted(glob.glob(os.path.join(d, "*.jsonl.gz"))):
    with gzip.open(f) as g:
        while b := g.read(1 << 20):
            n += len(b)
print(n)
EOF
)"
GZ_BYTES="$(cat "${inputs[@]}" | wc -c)"
cat "${inputs[@]}" >/dev/null                 # warm the page cache: no run pays the cold read

echo "exact-dedup benchmark: ${#inputs[@]} files in $CORPUS, $((IN_BYTES / 1000000)) MB uncompressed" \
     "($((GZ_BYTES / 1000000)) MB gz), workers=$WORKERS, runs=$RUNS"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
if awk '{exit !($1 > 0.5)}' /proc/loadavg; then
  echo "WARNING: the machine is not idle (load average above); ratios are still comparable, absolute times less so." >&2
fi

# run_arm NAME: measure one run of an arm into $RUNDIR/NAME-$i.json (its log beside it).
# Each arm starts after `sync`, so the writeback of the previous arm's output is not timed in it.
run_arm() {
  local name=$1; shift
  sync
  "$PY" bench/measure.py --json "$RUNDIR/$name-$i.json" --log "$RUNDIR/$name-$i.log" -- "$@" >/dev/null \
    || { echo "error: $name run $i failed, see $RUNDIR/$name-$i.log" >&2; tail -n 20 "$RUNDIR/$name-$i.log" >&2; exit 1; }
  echo "  run $i $name: $("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['wall_seconds'])" "$RUNDIR/$name-$i.json") s"
}

for ((i = 1; i <= RUNS; i++)); do
  if (( run_winnow )); then
    rm -rf "$WINNOW_OUT"
    run_arm winnow "$WINNOW" run "$RECIPE" --workers "$WORKERS" --overwrite
  fi
  if (( run_floor )); then
    rm -rf "$FLOOR_OUT"
    run_arm floor "$WINNOW" run "$FLOOR_RECIPE" --workers "$WORKERS" --overwrite
  fi
  if (( run_dt )); then
    run_arm datatrove "$VENV_PY" bench/datatrove_exact_dedup.py --input "$CORPUS" --output "$DT_OUT" \
      --workers "$WORKERS" --json "$RUNDIR/datatrove-$i.result.json"
  fi
  if (( run_dolma )); then
    rm -rf "$RAW_OUT"
    run_arm winnow-raw "$WINNOW" run "$RAW_RECIPE" --workers "$WORKERS" --overwrite
    rm -rf "$DOLMA_DIR/attributes" "$DOLMA_DIR/mixed" "$DOLMA_DIR/bloom.bin"   # dolma reuses them otherwise
    run_arm dolma env NLTK_DATA="$DOLMA_DIR/nltk" bash -c \
      "'$DOLMA_BIN' -c '$DOLMA_DIR/dedupe.yaml' dedupe && '$DOLMA_BIN' -c '$DOLMA_DIR/mix.yaml' mix"
  fi
done

"$PY" - "$RUNDIR" "$RESULTS/exact-dedup-$STAMP" "$IN_BYTES" "$GZ_BYTES" "$CORPUS" "$WORKERS" "$RUNS" \
       "$run_winnow" "$run_dt" "$WINNOW_OUT" "$DT_OUT" "$run_floor" "$FLOOR_OUT" "$run_dolma" "$RAW_OUT" \
       "$DOLMA_DIR/mixed" <<'EOF'
import glob, gzip, json, os, statistics, sys
(rundir, dest, in_bytes, gz_bytes, corpus, workers, runs, run_w, run_d, w_out, d_out,
 run_f, f_out, run_dolma, raw_out, dolma_out) = sys.argv[1:]
in_bytes, gz_bytes = int(in_bytes), int(gz_bytes)

def count_docs(folder):
    n = 0
    for f in sorted(glob.glob(os.path.join(folder, "**", "*.json*"), recursive=True)):
        if not (f.endswith(".jsonl") or f.endswith(".gz") or f.endswith(".zst")):
            continue
        op = gzip.open if f.endswith(".gz") else open
        with op(f, "rb") as g:
            for _ in g:
                n += 1
    return n

rows = []
def out_bytes(folder):
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(folder, "**", "*.gz"), recursive=True))

for tool, on, out in (("winnow", run_w, w_out), ("floor", run_f, f_out), ("datatrove", run_d, d_out),
                      ("winnow-raw", run_dolma, raw_out), ("dolma", run_dolma, dolma_out)):
    if on != "1":
        continue
    ms = [json.load(open(p)) for p in sorted(glob.glob(f"{rundir}/{tool}-[0-9]*.json")) if not p.endswith(".result.json")]
    walls = [m["wall_seconds"] for m in ms]
    med = statistics.median(walls)
    row = {
        "tool": tool,
        "median_seconds": round(med, 3),
        "walls": walls,
        "mb_per_s": round(in_bytes / 1e6 / med, 1),
        "docs_kept": count_docs(out),
        "output_mb": round(out_bytes(out) / 1e6, 1),
        "max_rss_mb": max(m["max_rss_mb"] for m in ms),
        "peak_tree_pss_mb": max(m["peak_tree_pss_mb"] for m in ms),
        "cpu_seconds_median": round(statistics.median(m["user_seconds"] + m["sys_seconds"] for m in ms), 2),
    }
    if tool == "datatrove":
        rs = [json.load(open(p)) for p in sorted(glob.glob(f"{rundir}/datatrove-*.result.json"))]
        if rs:
            row["docs_in"] = rs[-1]["docs_in"]
            row["version"] = rs[-1]["version"]
            row["stage_seconds_median"] = {k: round(statistics.median(r["stage_seconds"][k] for r in rs), 2)
                                           for k in rs[-1]["stage_seconds"]}
    rows.append(row)

hdr = f"{'tool':10s} {'median s':>9s} {'MB/s':>8s} {'docs kept':>10s} {'out MB':>7s} {'max RSS MB':>11s} {'tree PSS MB':>12s} {'CPU s':>7s}  runs (s)"
lines = [f"exact dedup: {corpus} ({in_bytes/1e6:.0f} MB uncompressed, {gz_bytes/1e6:.0f} MB gz), "
         f"workers={workers}, median of {runs}", hdr, "-" * len(hdr)]
for r in rows:
    lines.append(f"{r['tool']:10s} {r['median_seconds']:9.2f} {r['mb_per_s']:8.1f} {r['docs_kept']:10,d} {r['output_mb']:7.1f} "
                 f"{r['max_rss_mb']:11.0f} {r['peak_tree_pss_mb']:12.0f} {r['cpu_seconds_median']:7.1f}  "
                 + " ".join(f"{w:.2f}" for w in r["walls"]))
by = {r["tool"]: r for r in rows}
ratio = None
if "winnow" in by and "datatrove" in by:
    ratio = by["datatrove"]["median_seconds"] / by["winnow"]["median_seconds"]
    lines.append(f"ratio datatrove/winnow (wall): {ratio:.2f}x")
    if by["winnow"]["docs_kept"] != by["datatrove"]["docs_kept"]:
        lines.append(f"NOTE: kept counts differ (winnow {by['winnow']['docs_kept']:,} vs "
                     f"datatrove {by['datatrove']['docs_kept']:,})")
if "winnow" in by and "floor" in by:
    lines.append(f"winnow / floor (wall): {by['winnow']['median_seconds'] / by['floor']['median_seconds']:.2f}x"
                 + (f"; datatrove / floor: {by['datatrove']['median_seconds'] / by['floor']['median_seconds']:.2f}x"
                    " (the most any exact dedup that reads and writes like Winnow could reach)" if "datatrove" in by else ""))
if "dolma" in by and "winnow-raw" in by:
    lines.append(f"ratio dolma/winnow-raw (wall, both keyed on the raw text): "
                 f"{by['dolma']['median_seconds'] / by['winnow-raw']['median_seconds']:.2f}x")
    if by["dolma"]["docs_kept"] != by["winnow-raw"]["docs_kept"]:
        lines.append(f"NOTE: kept counts differ (winnow-raw {by['winnow-raw']['docs_kept']:,} vs "
                     f"dolma {by['dolma']['docs_kept']:,}; a Bloom filter may drop a false positive)")
if "datatrove" in by and "stage_seconds_median" in by["datatrove"]:
    lines.append("datatrove stages (median s): " +
                 ", ".join(f"{k} {v}" for k, v in by["datatrove"]["stage_seconds_median"].items()))
stats_path = os.path.join(corpus, "stats.json")
if os.path.exists(stats_path):
    exp = json.load(open(stats_path)).get("distinct", {}).get("lower_ws_collapsed (winnow exact_dedup)")
    if exp is not None:
        lines.append(f"expected survivors (distinct lowercase+whitespace-collapsed texts): {exp:,}")
lines.append("max RSS = largest single process (as /usr/bin/time -v); tree PSS = sum over the process tree")
txt = "\n".join(lines)
print(txt)
with open(dest + ".txt", "w") as f:
    f.write(txt + "\n")
with open(dest + ".json", "w") as f:
    json.dump({"corpus": corpus, "input_bytes": in_bytes, "input_gz_bytes": gz_bytes, "workers": int(workers),
               "runs": int(runs), "ratio_datatrove_over_winnow": ratio, "rows": rows,
               "machine": {"cores": os.cpu_count(), "loadavg_end": open("/proc/loadavg").read().split()[:3]}},
              f, indent=2)
print(f"results: {dest}.txt / .json; per-run logs: {rundir}")
EOF
