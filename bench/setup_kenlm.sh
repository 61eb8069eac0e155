#!/usr/bin/env bash
# Builds KenLM's lmplz (and build_binary, query) from the PyPI kenlm sdist, which carries the full
# KenLM C++ source, into bench/out/kenlm/build/bin. The pip wheel of kenlm has only the query side.
#
#   bash bench/setup_kenlm.sh
#
# Needs (Debian): cmake libboost-program-options-dev libboost-system-dev libboost-thread-dev
#                 libboost-test-dev libeigen3-dev zlib1g-dev libbz2-dev liblzma-dev
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/kenlm
PY=bench/.venv/bin/python
mkdir -p "$OUT"
if [[ -x "$OUT/build/bin/lmplz" ]]; then echo "lmplz already built: $OUT/build/bin/lmplz"; exit 0; fi
if ! ls "$OUT"/kenlm-*.tar.gz >/dev/null 2>&1; then
  "$PY" -m pip download kenlm --no-binary :all: --no-deps --no-build-isolation -d "$OUT"
fi
SRC=$(ls -d "$OUT"/kenlm-*/ 2>/dev/null | head -1 || true)
if [[ -z "$SRC" ]]; then tar -xzf "$(ls "$OUT"/kenlm-*.tar.gz | head -1)" -C "$OUT"; SRC=$(ls -d "$OUT"/kenlm-*/ | head -1); fi
mkdir -p "$OUT/build"
cmake -S "$SRC" -B "$OUT/build" -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 >/dev/null
make -C "$OUT/build" -j1 lmplz build_binary query
ls -l "$OUT/build/bin/lmplz"
