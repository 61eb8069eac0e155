#!/usr/bin/env bash
# `winnow report` on a 1-million-document run: the report's size, and the time Chromium takes to
# open it (docs/benchmarks.md, "Report of a 1M-document run"). Needs a release build
# (`make release`) and Debian's chromium. Run from anywhere; RUNS (default 3) page loads.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
WINNOW=.build/release/winnow
[ -x "$WINNOW" ] || { echo "no $WINNOW: run make release" >&2; exit 1; }
command -v chromium >/dev/null || { echo "no chromium: apt-get install chromium" >&2; exit 1; }
[ -f bench/data/report-1m/part-015.jsonl ] || python3 bench/make_report_corpus.py --docs 1000000 --out bench/data/report-1m
/usr/bin/time -f "run: %e s wall, %M KB peak RSS" "$WINNOW" run bench/recipes/report-1m.yaml --overwrite -q
/usr/bin/time -f "report: %e s wall, %M KB peak RSS" "$WINNOW" report bench/out/report-1m
page=$(pwd)/bench/out/report-1m/report.html
echo "report size: $(stat -c %s "$page") bytes"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for i in $(seq "$RUNS"); do
    # data-ms: performance.now() when the page's last script ran (HTML parsed, SVG built);
    # the wall time includes starting the browser.
    start=$(date +%s%N)
    ms=$(chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$profile" --dump-dom "file://$page" 2>/dev/null \
        | grep -o 'data-ms="[0-9]*"' | head -1)
    end=$(date +%s%N)
    echo "load $i: page ready at ${ms:-?} ms; chromium --dump-dom wall $(( (end - start) / 1000000 )) ms"
done
chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$profile" --hide-scrollbars --window-size=1280,2400 \
    --screenshot=bench/out/report-1m/report.png "file://$page" 2>/dev/null
echo "screenshot: bench/out/report-1m/report.png"
