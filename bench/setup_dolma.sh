#!/usr/bin/env bash
# dolma 1.2.1 (allenai; Rust Bloom-filter dedupe + mix) in its own virtualenv, bench/.venv-dolma,
# for bench/dolma_exact_dedup.sh. Its pins clash with datatrove's, hence a venv of its own; the
# boto3/botocore pins stop pip walking back through dozens of releases (../shared/MACHINE-NOTES.md).
#
#   bash bench/setup_dolma.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=bench/.venv-dolma
if [[ -x "$VENV/bin/dolma" ]]; then echo "dolma already installed: $VENV/bin/dolma"; exit 0; fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "dolma==1.2.1" "boto3==1.28.17" "botocore==1.31.17"
mkdir -p "$VENV/nltk" && NLTK_DATA="$VENV/nltk" "$VENV/bin/dolma" --help >/dev/null 2>&1 && echo "dolma installed: $VENV/bin/dolma"
