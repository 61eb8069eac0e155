#!/usr/bin/env bash
# Sets up the Python peer tools that Winnow is benchmarked against (DESIGN.md §8).
#
#   bash bench/setup.sh            # creates/updates bench/.venv
#   PYTHON=python3.12 bash bench/setup.sh
#
# Idempotent: re-running only installs what is missing. Only PyPI (plus the pip
# find-links directory configured on the machine, e.g. /opt/wheels) is used.
# datatrove is mandatory (the script fails without it); every other peer is
# optional: a failure prints a warning and the rest carry on.
set -euo pipefail

cd "$(dirname "$0")/.."            # repo root
BENCH=bench
VENV="$BENCH/.venv"
PYTHON="${PYTHON:-python3}"
LOG="$BENCH/.venv-setup.log"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "==> creating virtualenv $VENV with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip setuptools wheel

declare -a OK=()

# pip_group NAME [pip args...]: one install; failure is recorded, not fatal.
pip_group() {
  local name="$1"; shift
  echo "==> [$name] pip install $*"
  if "${PIP[@]}" install "$@" >>"$LOG" 2>&1; then
    OK+=("$name")
    return 0
  fi
  echo "WARNING: [$name] failed to install (see $LOG)" >&2
  return 1
}

: >"$LOG"

# ---------------------------------------------------------------- datatrove
# datatrove[processing] pins trafilatura<1.12, which would hold the trafilatura
# peer back two major versions, so we take datatrove[io] and install the
# processing extra's other dependencies by hand (they are what the filters,
# tokenizers and dedup blocks import).
DT_PROCESSING=(fasttext-numpy2-wheel nltk inscriptis tldextract tokenizers ftfy
               fasteners regex "xxhash<4" pyahocorasick spacy)   # spacy: datatrove's English word tokenizer (MinHash, Gopher)
if ! pip_group datatrove "datatrove[io,cli]>=0.10,<0.11" "${DT_PROCESSING[@]}"; then
  echo "ERROR: datatrove is mandatory and failed to install; last log lines:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
fi

# ---------------------------------------------------------------- basics
pip_group basics numpy orjson zstandard warcio || true
# Parquet peers and reference (issue 17: bench/parquet_speed.sh, Tests/WinnowParquetTests read-back)
pip_group parquet pyarrow datasets || true

# ---------------------------------------------------------------- near-dup peers
pip_group datasketch datasketch || true
pip_group rensa rensa || true

# ---------------------------------------------------------------- extraction peers
pip_group trafilatura trafilatura || true
pip_group resiliparse resiliparse fastwarc || true

# ---------------------------------------------------------------- embeddings
# PyPI's default torch wheel pulls in several GB of CUDA libraries. If the pip
# find-links directory of this machine holds a CPU-only torch wheel, pin that
# exact version so pip takes it; otherwise fall back to PyPI's torch.
TORCH_SPEC=torch
for d in $("$PY" -m pip config list 2>/dev/null | sed -n "s/.*find-links='\(.*\)'/\1/p") /opt/wheels; do
  for w in "$d"/torch-*+cpu-*.whl; do
    [[ -f "$w" ]] || continue
    v="$(basename "$w" | cut -d- -f2)"
    TORCH_SPEC="torch==$v"
  done
done
if pip_group torch "$TORCH_SPEC"; then
  pip_group sentence-transformers sentence-transformers || true
fi
pip_group onnxruntime onnxruntime || true
# onnx + onnxscript: torch.onnx.export needs them to write the MiniLM graph onnxruntime runs.
pip_group onnx onnx onnxscript || true

# ---------------------------------------------------------------- quality / selection
pip_group data-selection data-selection || true
# openai: the official client, to check `winnow serve`'s /v1/embeddings (bench/examples_server_openai.py).
pip_group openai openai || true

# fastText: datatrove's own dependency (fasttext-numpy2-wheel) provides the
# `fasttext` module; only try the other spellings if it is not importable.
if "$PY" -c "import fasttext" 2>/dev/null; then
  OK+=("fasttext(via fasttext-numpy2-wheel)")
else
  pip_group fasttext fasttext || pip_group fasttext-wheel fasttext-wheel \
    || pip_group fasttext-numpy2-wheel fasttext-numpy2-wheel || true
fi

# kenlm ships only as an sdist (CMake build). If the first build fails, install
# the usual C++ build dependencies from Debian and retry, then try pypi-kenlm.
install_kenlm() {
  pip_group kenlm kenlm && return 0
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "==> [kenlm] installing build dependencies with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        build-essential cmake libboost-program-options-dev libboost-system-dev \
        libboost-thread-dev libboost-test-dev libeigen3-dev zlib1g-dev libbz2-dev \
        liblzma-dev) >>"$LOG" 2>&1 || true
    pip_group kenlm kenlm && return 0
  fi
  pip_group pypi-kenlm pypi-kenlm && return 0
  return 1
}
if "$PY" -c "import kenlm" 2>/dev/null; then OK+=("kenlm"); else install_kenlm || true; fi

# ---------------------------------------------------------------- prompt compression
# tiktoken: GPT-2 BPE counts for bench/compress_eval.py and the BPE parity fixtures
# (bench/gen_bpe_fixtures.py), read from models/gpt2.tiktoken (no download by tiktoken).
pip_group tiktoken tiktoken || true

# ---------------------------------------------------------------- tokenization (issue 18)
# tokenizers (Rust) is the parity and speed peer of bench/tokenizer_parity.py; megatron-core's
# IndexedDataset reads Winnow's .bin/.idx shards back (the script falls back to reading the
# documented MMIDIDX layout itself when it does not import).
pip_group tokenizers tokenizers || true
pip_group megatron-core megatron-core || true

# ---------------------------------------------------------------- summary
# Status is derived from what actually imports, so a re-run reports truthfully.
echo
echo "==> installed peer tools ($VENV, $("$PY" --version))"
"$PY" - <<'EOF'
import importlib, importlib.metadata as md
rows = [  # (distribution names to try, import name, mandatory)
    (["datatrove"], "datatrove", True),
    (["datasketch"], "datasketch", False),
    (["rensa"], "rensa", False),
    (["trafilatura"], "trafilatura", False),
    (["resiliparse"], "resiliparse", False),
    (["fastwarc"], "fastwarc", False),
    (["warcio"], "warcio", False),
    (["torch"], "torch", False),
    (["sentence-transformers"], "sentence_transformers", False),
    (["transformers"], "transformers", False),
    (["onnxruntime"], "onnxruntime", False),
    (["onnx"], "onnx", False),
    (["kenlm", "pypi-kenlm"], "kenlm", False),
    (["data-selection"], "data_selection", False),
    (["fasttext", "fasttext-wheel", "fasttext-numpy2-wheel"], "fasttext", False),
    (["numpy"], "numpy", False),
    (["orjson"], "orjson", False),
    (["zstandard"], "zstandard", False),
    (["xxhash"], "xxhash", False),
]
missing = []
for dists, mod, mandatory in rows:
    ver = dist = None
    for d in dists:
        try:
            ver, dist = md.version(d), d
            break
        except md.PackageNotFoundError:
            pass
    try:
        importlib.import_module(mod)
        status = "ok"
    except Exception as e:  # noqa: BLE001
        status = f"IMPORT FAILED: {type(e).__name__}: {str(e)[:80]}"
        missing.append(mod)
    print(f"  {mod:22s} {(dist or '-') + ' ' + (ver or 'not installed'):38s} {status}")
if missing:
    print("  optional peers missing:", ", ".join(missing))
EOF
"$PY" -c "import datatrove" || { echo "ERROR: datatrove not importable" >&2; exit 1; }
echo "==> done (pip log: $LOG)"
