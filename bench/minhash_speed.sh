#!/usr/bin/env bash
# MinHash near-dedup speed benchmark (issue 4, "Done when" item 2): Winnow's `minhash_dedup`
# vs datatrove's 4-stage MinHash pipeline vs rensa's shingle + sketch + LSH path, end to end
# (read → shingle → signatures → LSH → clusters → write) on the exact-dedup corpus, same worker
# count, same machine, median of RUNS runs each (runs interleaved winnow, datatrove, rensa,
# winnow, ... so drift hits all alike). 14 bands × 8 rows, word 5-grams everywhere.
#
#   bash bench/minhash_speed.sh                                   # full corpus, 2 workers, 3 runs
#   CORPUS=bench/data/corpus-small RUNS=1 bash bench/minhash_speed.sh     # quick check
#   ONLY=winnow,rensa bash bench/minhash_speed.sh                  # any subset of winnow,datatrove,rensa
#   DT_TIMEOUT=900 bash bench/minhash_speed.sh                     # kill a datatrove run after 900 s
#   WAIT_IDLE=600 bash bench/minhash_speed.sh                      # before each run, wait ≤ 600 s for an idle machine
#   WINNOW=/path/to/winnow WORKERS=2 RUNS=5 bash bench/minhash_speed.sh
#
# Needs: bench/setup.sh (venv with datatrove, spacy, rensa, orjson), bench/make_corpus.py [--small]
# and a release build of winnow. Results: a table on stdout and
# bench/out/results/minhash-speed-<UTC time>.{json,txt}; per-run logs in bench/out/runs/.
set -euo pipefail
cd "$(dirname "$0")/.."                      # repo root: every path below is relative to it

WINNOW="${WINNOW:-.build/release/winnow}"
WORKERS="${WORKERS:-2}"
RUNS="${RUNS:-3}"
CORPUS="${CORPUS:-bench/data/corpus}"
ONLY="${ONLY:-winnow,datatrove,rensa}"
RECIPE="${RECIPE:-bench/recipes/minhash-dedup.yaml}"
DT_TIMEOUT="${DT_TIMEOUT:-0}"                # seconds; 0 = no limit
WAIT_IDLE="${WAIT_IDLE:-0}"                  # seconds to wait for an idle machine before each run; 0 = don't
W_OUT=bench/out/winnow-minhash
DT_OUT=bench/out/datatrove-minhash
R_OUT=bench/out/rensa-minhash
VENV_PY=bench/.venv/bin/python
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUNDIR="bench/out/runs/minhash-speed-$STAMP"
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
INPUT_GLOB="$CORPUS/*.jsonl.gz"

# The recipe names bench/data/corpus; for another corpus derive a recipe that reads it.
if [[ "$CORPUS" != bench/data/corpus ]]; then
  base="$RECIPE"
  RECIPE="$RUNDIR/minhash-dedup.yaml"
  sed "s#bench/data/corpus/\*#$CORPUS/*#" "$base" >"$RECIPE"
fi

want() { [[ ",$ONLY," == *",$1,"* ]]; }
run_w=0 run_d=0 run_r=0
want winnow && run_w=1
want datatrove && run_d=1
want rensa && run_r=1
if (( run_w )) && [[ ! -x "$WINNOW" ]]; then
  echo "NOTE: winnow binary not found at $WINNOW (build it with 'swift build -c release' or set WINNOW=...); skipping winnow." >&2
  run_w=0
fi
if (( run_d || run_r )) && [[ ! -x "$VENV_PY" ]]; then
  echo "NOTE: $VENV_PY not found (run bash bench/setup.sh); skipping datatrove and rensa." >&2
  run_d=0 run_r=0
fi
if (( !run_w && !run_d && !run_r )); then echo "error: nothing to run" >&2; exit 1; fi
PY="$VENV_PY"; [[ -x "$PY" ]] || PY=python3          # measure.py is stdlib only

# Snapshot the winnow binary: a rebuild of .build/release during the benchmark must not swap it.
WINNOW_RUN="$WINNOW"
if (( run_w )); then
  WINNOW_SHA="$(sha256sum "$WINNOW" | cut -c1-16)"
  cp "$WINNOW" "$RUNDIR/winnow"
  WINNOW_RUN="$RUNDIR/winnow"
fi

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

# Versions of everything that runs.
VERSIONS="$("$PY" - "$WINNOW" "$run_w" <<'EOF'
import json, platform, subprocess, sys
v = {"python": platform.python_version()}
if sys.argv[2] == "1":
    try:
        v["winnow"] = subprocess.run([sys.argv[1], "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
try:
    import importlib.metadata as md
    for p in ("datatrove", "spacy", "rensa", "orjson", "xxhash", "numpy"):
        try:
            v[p] = md.version(p)
        except md.PackageNotFoundError:
            pass
except ImportError:
    pass
print(json.dumps(v))
EOF
)"

echo "minhash-speed benchmark: ${#inputs[@]} files in $CORPUS, $((IN_BYTES / 1000000)) MB uncompressed" \
     "($((GZ_BYTES / 1000000)) MB gz), workers=$WORKERS, runs=$RUNS, 14 bands x 8 rows, word 5-grams"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "versions: $VERSIONS$( (( run_w )) && echo " (winnow binary $WINNOW sha256 $WINNOW_SHA…)")"
if awk '{exit !($1 > 0.5)}' /proc/loadavg; then
  echo "WARNING: the machine is not idle (load average above); ratios are still comparable, absolute times less so." >&2
fi

# Busy share of all CPUs over a 3 s sample, in percent.
busy_pct() {
  "$PY" - <<'EOF'
import time
def s():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return v[3] + v[4], sum(v[:8])
i0, t0 = s(); time.sleep(3); i1, t1 = s()
print(int(round(100 * (1 - (i1 - i0) / max(1, t1 - t0)))))
EOF
}
wait_idle() {
  (( WAIT_IDLE > 0 )) || return 0
  local deadline=$((SECONDS + WAIT_IDLE)) b
  while :; do
    b="$(busy_pct)"
    (( b <= 10 )) && return 0
    if (( SECONDS >= deadline )); then
      echo "  (machine still ${b}% busy after waiting ${WAIT_IDLE}s; running anyway)" >&2
      return 0
    fi
    echo "  (machine ${b}% busy; waiting for it to go idle)" >&2
    sleep 20
  done
}
# Busy CPU seconds of the whole machine (all CPUs; idle and iowait excluded), from /proc/stat.
busy_now() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{printf "%.2f\n", ($2+$3+$4+$7+$8+$9)/hz; exit}' /proc/stat; }
# Add machine_cpu_seconds / other_cpu_seconds (CPU other processes used during the run) to a run's JSON.
add_contention() {
  "$PY" - "$1" "$2" "$(busy_now)" <<'EOF'
import json, sys
p, b0, b1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
d = json.load(open(p))
d["machine_cpu_seconds"] = round(b1 - b0, 2)
d["other_cpu_seconds"] = round(max(0.0, b1 - b0 - d["user_seconds"] - d["sys_seconds"]), 2)
json.dump(d, open(p, "w"))
EOF
}
wall_of() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['wall_seconds'], '(other CPU %s s)' % d.get('other_cpu_seconds', '?'))" "$1"; }

dt_timed_out=0
for ((i = 1; i <= RUNS; i++)); do
  if (( run_w )); then
    wait_idle
    rm -rf "$W_OUT"
    b0="$(busy_now)"
    "$PY" bench/measure.py --json "$RUNDIR/winnow-$i.json" --log "$RUNDIR/winnow-$i.log" -- \
      "$WINNOW_RUN" run "$RECIPE" --workers "$WORKERS" --overwrite >/dev/null \
      || { echo "error: winnow run $i failed, see $RUNDIR/winnow-$i.log" >&2; tail -n 20 "$RUNDIR/winnow-$i.log" >&2; exit 1; }
    add_contention "$RUNDIR/winnow-$i.json" "$b0"
    echo "  run $i winnow:    $(wall_of "$RUNDIR/winnow-$i.json") s"
  fi
  if (( run_d )) && (( !dt_timed_out )); then
    wait_idle
    tcmd=()
    (( DT_TIMEOUT > 0 )) && tcmd=(timeout --kill-after=30 "$DT_TIMEOUT")
    rc=0
    b0="$(busy_now)"
    "${tcmd[@]}" "$PY" bench/measure.py --json "$RUNDIR/datatrove-$i.json" --log "$RUNDIR/datatrove-$i.log" -- \
      "$VENV_PY" bench/minhash_speed_datatrove.py --input "$INPUT_GLOB" --output "$DT_OUT" --workers "$WORKERS" \
      --json "$RUNDIR/datatrove-$i.result.json" >/dev/null || rc=$?
    if (( rc == 124 || rc == 137 )) && (( DT_TIMEOUT > 0 )); then
      # killed by timeout: record how far it got (datatrove writes a completion file per finished task)
      "$PY" - "$RUNDIR/datatrove-$i.timeout.json" "$DT_OUT.work" "$DT_TIMEOUT" <<'EOF'
import glob, json, os, sys
dest, work, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
done = {os.path.basename(d): len(glob.glob(os.path.join(d, "completions", "*")))
        for d in sorted(glob.glob(os.path.join(work, "logs", "*")))}
json.dump({"timed_out": True, "limit_seconds": limit, "tasks_completed": done}, open(dest, "w"))
print(json.dumps(done))
EOF
      echo "  run $i datatrove: killed after ${DT_TIMEOUT}s (DT_TIMEOUT); tasks completed per stage above; no more datatrove runs"
      dt_timed_out=1
    elif (( rc != 0 )); then
      echo "error: datatrove run $i failed (exit $rc), see $RUNDIR/datatrove-$i.log" >&2; tail -n 20 "$RUNDIR/datatrove-$i.log" >&2; exit 1
    else
      add_contention "$RUNDIR/datatrove-$i.json" "$b0"
      echo "  run $i datatrove: $(wall_of "$RUNDIR/datatrove-$i.json") s"
    fi
  fi
  if (( run_r )); then
    wait_idle
    b0="$(busy_now)"
    "$PY" bench/measure.py --json "$RUNDIR/rensa-$i.json" --log "$RUNDIR/rensa-$i.log" -- \
      "$VENV_PY" bench/minhash_speed_rensa.py --input "$INPUT_GLOB" --output "$R_OUT" --workers "$WORKERS" \
      --json "$RUNDIR/rensa-$i.result.json" >/dev/null \
      || { echo "error: rensa run $i failed, see $RUNDIR/rensa-$i.log" >&2; tail -n 20 "$RUNDIR/rensa-$i.log" >&2; exit 1; }
    add_contention "$RUNDIR/rensa-$i.json" "$b0"
    echo "  run $i rensa:     $(wall_of "$RUNDIR/rensa-$i.json") s"
  fi
done

"$PY" - "$RUNDIR" "$RESULTS/minhash-speed-$STAMP" "$IN_BYTES" "$GZ_BYTES" "$CORPUS" "$WORKERS" "$RUNS" \
       "$run_w" "$run_d" "$run_r" "$W_OUT" "$DT_OUT" "$R_OUT" "$VERSIONS" "${WINNOW_SHA:-}" "$WINNOW" "$RECIPE" <<'EOF'
import glob, gzip, json, os, statistics, sys
(rundir, dest, in_bytes, gz_bytes, corpus, workers, runs, run_w, run_d, run_r,
 w_out, d_out, r_out, versions, winnow_sha, winnow_path, recipe) = sys.argv[1:]
in_bytes, gz_bytes = int(in_bytes), int(gz_bytes)
versions = json.loads(versions)
try:
    import orjson
    loads = orjson.loads
except ImportError:
    loads = json.loads

def kept_ids(folder):
    ids = []
    for f in sorted(glob.glob(os.path.join(folder, "**", "*.jsonl*"), recursive=True)):
        op = gzip.open if f.endswith(".gz") else open
        with op(f, "rb") as g:
            for line in g:
                if line.strip():
                    ids.append(loads(line)["id"])
    return ids

CMD = {
    "winnow": f"{winnow_path} run {recipe} --workers {workers} --overwrite",
    "datatrove": f"bench/.venv/bin/python bench/minhash_speed_datatrove.py --input '{corpus}/*.jsonl.gz' --output {d_out} --workers {workers}",
    "rensa": f"bench/.venv/bin/python bench/minhash_speed_rensa.py --input '{corpus}/*.jsonl.gz' --output {r_out} --workers {workers}",
}
rows, ids = [], {}
for tool, on, out in (("winnow", run_w, w_out), ("datatrove", run_d, d_out), ("rensa", run_r, r_out)):
    if on != "1":
        continue
    ms = [json.load(open(p)) for p in sorted(glob.glob(f"{rundir}/{tool}-[0-9]*.json"))
          if not p.endswith((".result.json", ".timeout.json"))]
    timeouts = [json.load(open(p)) for p in sorted(glob.glob(f"{rundir}/{tool}-*.timeout.json"))]
    row = {"tool": tool, "version": versions.get(tool), "command": CMD[tool]}
    if tool == "winnow":
        row["binary_sha256_prefix"] = winnow_sha
    if not ms:
        row["timed_out"] = True
        row["timeout"] = timeouts[0] if timeouts else None
        rows.append(row)
        continue
    walls = [m["wall_seconds"] for m in ms]
    med = statistics.median(walls)
    ids[tool] = kept_ids(out)
    row.update({
        "median_seconds": round(med, 3),
        "walls": walls,
        "mb_per_s": round(in_bytes / 1e6 / med, 1),
        "docs_kept": len(ids[tool]),
        "max_rss_mb": max(m["max_rss_mb"] for m in ms),
        "peak_tree_pss_mb": max(m["peak_tree_pss_mb"] for m in ms),
        "cpu_seconds_median": round(statistics.median(m["user_seconds"] + m["sys_seconds"] for m in ms), 2),
        "other_cpu_seconds": [m.get("other_cpu_seconds") for m in ms],
    })
    if timeouts:
        row["timeouts"] = timeouts
    rs = [json.load(open(p)) for p in sorted(glob.glob(f"{rundir}/{tool}-*.result.json"))]
    if rs:
        row["docs_in"] = rs[-1].get("docs_in")
        row["stage_seconds_median"] = {k: round(statistics.median(r["stage_seconds"][k] for r in rs), 2)
                                       for k in rs[-1]["stage_seconds"]}
        for k in ("worker_seconds_sum", "candidate_pairs", "config", "tasks", "json_lib", "processes"):
            if k in rs[-1]:
                row[k] = rs[-1][k]
    rows.append(row)

hdr = (f"{'tool':10s} {'median s':>9s} {'MB/s':>7s} {'docs kept':>10s} {'max RSS MB':>11s} {'tree PSS MB':>12s} "
       f"{'CPU s':>8s} {'other CPU s':>12s}  runs (s)")
lines = [f"MinHash near-dedup (14 bands x 8 rows, word 5-grams): {corpus} ({in_bytes/1e6:.0f} MB uncompressed, "
         f"{gz_bytes/1e6:.0f} MB gz), workers={workers}, median of {runs}", hdr, "-" * len(hdr)]
for r in rows:
    if "median_seconds" not in r:
        t = r.get("timeout") or {}
        lines.append(f"{r['tool']:10s} {'>' + str(t.get('limit_seconds', '?')):>9s}   killed at the time limit; "
                     f"tasks completed per stage: {t.get('tasks_completed')}")
        continue
    oc = [x for x in r["other_cpu_seconds"] if x is not None]
    lines.append(f"{r['tool']:10s} {r['median_seconds']:9.2f} {r['mb_per_s']:7.1f} {r['docs_kept']:10,d} "
                 f"{r['max_rss_mb']:11.0f} {r['peak_tree_pss_mb']:12.0f} {r['cpu_seconds_median']:8.1f} "
                 f"{(max(oc) if oc else float('nan')):12.1f}  " + " ".join(f"{w:.2f}" for w in r["walls"]))
by = {r["tool"]: r for r in rows}
ratios = {}
if "winnow" in by and "median_seconds" in by["winnow"]:
    wmed = by["winnow"]["median_seconds"]
    for peer in ("datatrove", "rensa"):
        if peer not in by:
            continue
        if "median_seconds" in by[peer]:
            ratios[f"{peer}/winnow"] = round(by[peer]["median_seconds"] / wmed, 2)
            lines.append(f"ratio {peer}/winnow (wall): {by[peer]['median_seconds'] / wmed:.2f}x")
        elif by[peer].get("timeout"):
            lim = by[peer]["timeout"]["limit_seconds"]
            ratios[f"{peer}/winnow"] = f">{lim / wmed:.1f}"
            lines.append(f"ratio {peer}/winnow (wall): > {lim / wmed:.1f}x (killed at {lim} s)")
for t in ("datatrove", "rensa"):
    if t in by and "stage_seconds_median" in by[t]:
        lines.append(f"{t} stages (median wall s): " +
                     ", ".join(f"{k} {v}" for k, v in by[t]["stage_seconds_median"].items()))
if "rensa" in by and "worker_seconds_sum" in by["rensa"]:
    lines.append("rensa worker-process seconds (summed over processes): " +
                 ", ".join(f"{k} {v}" for k, v in by["rensa"]["worker_seconds_sum"].items()))
# How the kept sets relate (documents carry unique ids).
tools = [t for t in ("winnow", "datatrove", "rensa") if t in ids]
overlap = {}
for a_i, a in enumerate(tools):
    for b in tools[a_i + 1:]:
        sa, sb = set(ids[a]), set(ids[b])
        overlap[f"{a}&{b}"] = {"both": len(sa & sb), f"only_{a}": len(sa - sb), f"only_{b}": len(sb - sa)}
        lines.append(f"kept by both {a} and {b}: {len(sa & sb):,}; only {a}: {len(sa - sb):,}; only {b}: {len(sb - sa):,}")
stats_path = os.path.join(corpus, "stats.json")
if os.path.exists(stats_path):
    st = json.load(open(stats_path))
    lines.append(f"corpus: {st.get('documents', 0):,} documents; exact-dedup survivors (distinct simplify_text-like "
                 f"texts) {st.get('distinct', {}).get('lower_digits_punct_ws (~datatrove simplify_text)', 0):,} "
                 "-- MinHash removes more: the corpus's base documents are overlapping paragraph runs")
lines.append("normalisation: winnow = datatrove's simplify_text, words split on spaces; datatrove = simplify_text + "
             "spaCy English tokenizer; rensa = text.lower().split()")
lines.append("max RSS = largest single process (as /usr/bin/time -v); tree PSS = sum over the process tree; "
             "other CPU = CPU time other processes used during the run (max over runs; ~0 when the machine is idle)")
lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items())
             + (f"; winnow binary sha256 {winnow_sha}..." if winnow_sha else ""))
txt = "\n".join(lines)
print(txt)
with open(dest + ".txt", "w") as f:
    f.write(txt + "\n")
with open(dest + ".json", "w") as f:
    json.dump({"corpus": corpus, "input_bytes": in_bytes, "input_gz_bytes": gz_bytes, "workers": int(workers),
               "runs": int(runs), "ratios": ratios, "rows": rows, "kept_overlap": overlap, "versions": versions,
               "machine": {"cores": os.cpu_count(), "loadavg_end": open("/proc/loadavg").read().split()[:3]}},
              f, indent=2)
print(f"results: {dest}.txt / .json; per-run logs: {rundir}")
EOF
