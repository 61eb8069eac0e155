#!/usr/bin/env bash
# Done-when 2 of issue 17: the FineWeb-shaped Parquet file (bench/make_fineweb_parquet.py, ≥ 500 MB
# of real text) through pipelines/fineweb-like.yaml's stages after html_extract
# (bench/recipes/fineweb-parquet.yaml), Parquet in and out, with 1 and 2 workers: data/ and
# removed/ must be byte-identical.
#
#   bash bench/parquet_fineweb_identical.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WINNOW="${WINNOW:-.build/release/winnow}"
PY="${PY:-bench/.venv/bin/python}"
[[ -f bench/data/fineweb-shaped.parquet ]] || "$PY" bench/make_fineweb_parquet.py
for w in 1 2; do
  /usr/bin/time -f "workers $w: %e s, max RSS %M KB" "$WINNOW" run bench/recipes/fineweb-parquet.yaml --workers $w \
    --output bench/out/fineweb-parquet-w$w --overwrite -q
done
(cd bench/out/fineweb-parquet-w1 && find data removed -type f | sort | xargs sha256sum) > bench/out/fineweb-parquet-w1.sha
(cd bench/out/fineweb-parquet-w2 && find data removed -type f | sort | xargs sha256sum) > bench/out/fineweb-parquet-w2.sha
if cmp -s bench/out/fineweb-parquet-w1.sha bench/out/fineweb-parquet-w2.sha; then
  echo "identical: $(wc -l < bench/out/fineweb-parquet-w1.sha) files of data/ and removed/ for 1 and 2 workers"
  "$PY" -c "import pyarrow.parquet as pq,glob; fs=sorted(glob.glob('bench/out/fineweb-parquet-w2/data/*.parquet')); print(len(fs), 'files,', sum(pq.ParquetFile(f).metadata.num_rows for f in fs), 'rows kept; pyarrow reads them')"
else
  echo "DIFFERENT: diff bench/out/fineweb-parquet-w1.sha bench/out/fineweb-parquet-w2.sha" >&2
  exit 1
fi
