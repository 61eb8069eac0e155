#!/usr/bin/env bash
# Parquet speed (issue 17), same file, same run, medians of RUNS:
#  1. Parquet → JSONL: `winnow convert` (1 and WORKERS workers) vs pyarrow (pq.read_table +
#     iterate + json.dumps per row, bench/parquet_convert_pyarrow.py), then the bench-time check
#     that Winnow's records equal pyarrow's rows (bench/parquet_check.py).
#  2. The Parquet-input pipeline (language → gopher_repetition → gopher_quality → c4_quality →
#     fineweb_quality, Parquet out): bench/recipes/parquet-pipeline.yaml vs datatrove's
#     ParquetReader/filters/ParquetWriter (bench/parquet_pipeline_datatrove.py).
#
#   bash bench/parquet_speed.sh                        # FILE from bench/make_fineweb_parquet.py
#   FILE=x.parquet RUNS=3 DT_RUNS=1 WORKERS=2 bash bench/parquet_speed.sh
#   PIPE_FILE=small.parquet bash bench/parquet_speed.sh   # the pipeline part on another file
#                                    (datatrove's filters take minutes per 10 MB of text)
#
# Results: stdout and bench/out/results/parquet-speed-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

WINNOW="${WINNOW:-.build/release/winnow}"
WORKERS="${WORKERS:-2}"
RUNS="${RUNS:-3}"
DT_RUNS="${DT_RUNS:-3}"
FILE="${FILE:-bench/data/fineweb-shaped.parquet}"
PIPE_FILE="${PIPE_FILE:-$FILE}"
PY="${PY:-bench/.venv/bin/python}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS=bench/out/results
mkdir -p "$RESULTS" bench/data/parquet-speed bench/out
[[ -f "$FILE" ]] || { echo "error: $FILE not found ($PY bench/make_fineweb_parquet.py)" >&2; exit 1; }
[[ -x "$WINNOW" ]] || { echo "error: $WINNOW not found (swift build -c release)" >&2; exit 1; }
ln -sf "$(realpath "$PIPE_FILE")" bench/data/parquet-speed/input.parquet

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }
timed() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1; t1=$(now); echo "$t1 - $t0" | bc -l; }

bytes=$(stat -c %s "$FILE")
rows=$("$PY" -c "import pyarrow.parquet as pq,sys; print(pq.ParquetFile(sys.argv[1]).metadata.num_rows)" "$FILE")

w1=(); w2=(); pa=()
for ((i = 1; i <= RUNS; i++)); do
  w1+=("$(timed "$WINNOW" convert "$FILE" --output bench/out/pq-convert-w1 --format jsonl --workers 1 --overwrite -q)")
  w2+=("$(timed "$WINNOW" convert "$FILE" --output bench/out/pq-convert-w2 --format jsonl --workers "$WORKERS" --overwrite -q)")
  pa+=("$(timed "$PY" bench/parquet_convert_pyarrow.py "$FILE" bench/out/pq-convert-pyarrow.jsonl)")
done
check=$("$PY" bench/parquet_check.py "$FILE" bench/out/pq-convert-w2 2>&1 || true)

p_w=(); p_d=()
for ((i = 1; i <= RUNS; i++)); do
  p_w+=("$(timed "$WINNOW" run bench/recipes/parquet-pipeline.yaml --workers "$WORKERS" --overwrite -q)")
done
for ((i = 1; i <= DT_RUNS; i++)); do
  rm -rf bench/out/datatrove-parquet-pipeline
  p_d+=("$(timed "$PY" bench/parquet_pipeline_datatrove.py bench/data/parquet-speed bench/out/datatrove-parquet-pipeline "$WORKERS")")
done
kept_w=$("$PY" -c "import pyarrow.parquet as pq,glob; print(sum(pq.ParquetFile(f).metadata.num_rows for f in glob.glob('bench/out/winnow-parquet-pipeline/data/*.parquet')))")
kept_d=$("$PY" -c "import pyarrow.parquet as pq,glob; print(sum(pq.ParquetFile(f).metadata.num_rows for f in glob.glob('bench/out/datatrove-parquet-pipeline/data/*.parquet')))" 2>/dev/null || echo "?")

m() { printf '%s\n' "$@" | median; }
{
  echo "parquet speed, $STAMP: $FILE ($bytes bytes, $rows rows), $WORKERS workers, $(nproc) cores"
  printf "convert → jsonl  winnow 1 worker   median of %d: %7.2f s  (%s)\n" "$RUNS" "$(m "${w1[@]}")" "${w1[*]}"
  printf "convert → jsonl  winnow %d workers  median of %d: %7.2f s  (%s)\n" "$WORKERS" "$RUNS" "$(m "${w2[@]}")" "${w2[*]}"
  printf "convert → jsonl  pyarrow           median of %d: %7.2f s  (%s)\n" "$RUNS" "$(m "${pa[@]}")" "${pa[*]}"
  printf "ratio pyarrow / winnow: %.2fx (1 worker), %.2fx (%d workers)\n" \
    "$(echo "$(m "${pa[@]}") / $(m "${w1[@]}")" | bc -l)" "$(echo "$(m "${pa[@]}") / $(m "${w2[@]}")" | bc -l)" "$WORKERS"
  echo "$check"
  echo "pipeline input: $PIPE_FILE ($(stat -c %s "$PIPE_FILE") bytes, $("$PY" -c "import pyarrow.parquet as pq,sys; print(pq.ParquetFile(sys.argv[1]).metadata.num_rows)" "$PIPE_FILE") rows)"
  printf "pipeline         winnow            median of %d: %7.2f s  (%s)  kept %s\n" "$RUNS" "$(m "${p_w[@]}")" "${p_w[*]}" "$kept_w"
  if (( DT_RUNS > 0 )); then
    printf "pipeline         datatrove         median of %d: %7.2f s  (%s)  kept %s\n" "$DT_RUNS" "$(m "${p_d[@]}")" "${p_d[*]}" "$kept_d"
    printf "ratio datatrove / winnow: %.1fx\n" "$(echo "$(m "${p_d[@]}") / $(m "${p_w[@]}")" | bc -l)"
  fi
} | tee "$RESULTS/parquet-speed-$STAMP.txt"
