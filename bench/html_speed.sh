#!/usr/bin/env bash
# Main-text extraction throughput: Winnow (`winnow extract`) vs trafilatura vs resiliparse on the
# pages of ../shared/data/html (scrapinghub + trafilatura sets), median of RUNS interleaved runs,
# one thread each. See bench/html_speed.py for what is timed; results go to docs/benchmarks.md.
#
#   swift build -c release --product winnow
#   RUNS=3 bash bench/html_speed.sh
#   WINNOW=path/to/winnow TOOLS=winnow,resiliparse bash bench/html_speed.sh
#   BEFORE=path/to/older/winnow RUNS=3 bash bench/html_speed.sh      (adds a row 'before')
set -euo pipefail
cd "$(dirname "$0")/.."
WINNOW=${WINNOW:-.build/release/winnow}
RUNS=${RUNS:-3}
TOOLS=${TOOLS:-winnow,trafilatura,resiliparse}
PY=${PY:-bench/.venv/bin/python}
if [[ ! -x "$WINNOW" ]]; then
    echo "no Winnow binary at $WINNOW: run 'swift build -c release --product winnow' first" >&2
    exit 1
fi
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; $(date -u +%FT%TZ)"
"$PY" -c 'import trafilatura, importlib.metadata as m; print("trafilatura", trafilatura.__version__, "resiliparse", m.version("resiliparse"))'
exec "$PY" bench/html_speed.py --runs "$RUNS" --winnow "$WINNOW" --tools "$TOOLS" ${BEFORE:+--before "$BEFORE"}
