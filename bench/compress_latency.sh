#!/usr/bin/env bash
# Latency of `winnow compress` on a 10,000-token prompt with a question (issue 8, item 4):
# median of 10 runs after a warm-up, models loaded once (--bench), default settings, then an
# all-MiniLM ranking setting and a no-MiniLM setting, on the same request.
#
#   bash bench/compress_latency.sh [TOKENS]     (default 10000 GPT-2 tokens; needs ../shared and models/)
#   EXTRA='{"use_token_level_filter": false}' bash bench/compress_latency.sh   (request options merged in)
set -euo pipefail
cd "$(dirname "$0")/.."
tokens="${1:-10000}"
winnow=.build/release/winnow
[[ -x $winnow ]] || swift build -c release --product winnow
req="$(mktemp --suffix=.json)"
trap 'rm -f "$req" "$req.minilm"' EXIT
bench/.venv/bin/python - "$tokens" "$req" <<'PY'
import gzip, json, sys
import tiktoken
from tiktoken.load import load_tiktoken_bpe
enc = tiktoken.Encoding(name="gpt2", pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                        mergeable_ranks=load_tiktoken_bpe("models/gpt2.tiktoken"), special_tokens={})
want, out = int(sys.argv[1]), sys.argv[2]
data = json.load(gzip.open("../shared/data/qa/squad-dev/squad-v1.1-dev.json.gz"))["data"]
paras = [p["context"] for a in data for p in a["paragraphs"]]
question = data[0]["paragraphs"][3]["qas"][0]["question"]
ctx, n = [], 0
for p in paras:
    if n >= want: break
    ctx.append(p); n += len(enc.encode(p)) + 1
import os
request = {"context": ctx, "question": question, "rate": 0.2}
request.update(json.loads(os.environ.get("EXTRA") or "{}"))
json.dump(request, open(out, "w"))
print(f"prompt: {len(ctx)} contexts, {n} GPT-2 tokens; question: {question}", file=sys.stderr)
PY
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); r['rank_method']='minilm'; json.dump(r, open(sys.argv[1]+'.minilm','w'))" "$req"
echo "default (BM25 + LM, MiniLM on the leading candidates):"
$winnow compress --json --bench 10 < "$req"
echo "all-MiniLM ranking (rank_method minilm: every context's chunks):"
$winnow compress --json --bench 10 < "$req.minilm"
echo "without MiniLM (--no-minilm):"
$winnow compress --json --bench 10 --no-minilm < "$req"
