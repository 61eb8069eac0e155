#!/usr/bin/env bash
# Sets up infinity-emb 0.0.78 (PyPI; an OpenAI-compatible embedding server with dynamic
# batching), the peer of `winnow serve` in bench/serve_load.py (issue 24 §6).
#
#   bash bench/setup_infinity.sh                 # creates/updates $INFINITY_VENV
#   INFINITY_VENV=/tmp/infinity-venv bash bench/setup_infinity.sh
#
# It needs a virtualenv of its own: numpy < 2 and sentence-transformers < 4, which bench/.venv
# does not hold. torch is pinned to the CPU build (2.13.0+cpu; pip's find-links directory on the
# machine, e.g. /opt/wheels, carries the wheel): without the pin pip takes the CUDA build (3+ GB).
# Idempotent: an existing venv with infinity-emb 0.0.78 is left as it is.
set -euo pipefail

cd "$(dirname "$0")/.."            # repo root
VENV="${INFINITY_VENV:-bench/.venv-infinity}"
PYTHON="${PYTHON:-python3}"
TORCH="${INFINITY_TORCH:-torch==2.13.0+cpu}"

if [[ -x "$VENV/bin/infinity_emb" ]] && "$VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("infinity_emb") == "0.0.78"' 2>/dev/null; then
  echo "infinity-emb 0.0.78 already in $VENV"
  exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "==> creating virtualenv $VENV with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip
CONSTRAINTS=$(mktemp)
trap 'rm -f "$CONSTRAINTS"' EXIT
echo "$TORCH" >"$CONSTRAINTS"
echo "==> pip install infinity-emb[server,torch]==0.0.78 with $TORCH"
"${PIP[@]}" install -c "$CONSTRAINTS" "$TORCH" "infinity-emb[server,torch]==0.0.78" "numpy<2" "sentence-transformers<4"
"$VENV/bin/python" -c 'import importlib.metadata as m; print("infinity-emb", m.version("infinity_emb"), "torch", m.version("torch"))'
