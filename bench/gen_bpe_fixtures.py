#!/usr/bin/env python3
"""Writes Tests/WinnowTokenizersTests/Fixtures/bpe-counts.json: token counts of hard strings from the
reference libraries, for the BPE tokenizers' parity tests (WinnowTokenizers).

- "gpt2": len(tiktoken.Encoding(gpt2 pattern, models/gpt2.tiktoken).encode(text))
- "hf_small": len(tokenizers.Tokenizer.from_file(<small byte-level BPE built here>).encode(text).ids),
  with the small tokenizer.json written beside it (bpe-small-tokenizer.json, trained by `tokenizers`
  on the same strings, 300 merges).

  bench/.venv/bin/python bench/gen_bpe_fixtures.py
"""
import json
from pathlib import Path

import tiktoken
from tiktoken.load import load_tiktoken_bpe
from tokenizers import Tokenizer, models, pre_tokenizers, trainers, decoders

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "WinnowTokenizersTests" / "Fixtures"

TEXTS = [
    "", " ", "Hello world", "Hello, world!  How's it going?", "I'm sure they'll say we've done it, don't you think?",
    "It's 8,849 metres (29,032 ft) high; built in 1889 for $1.5M.", "  leading and trailing spaces   ",
    "tabs\tand\nnewlines\n\n\nmany   spaces    here", "Crème brûlée coûte 5€ à Zürich.", "東京都に住んでいます。",
    "我们今天去北京大学看书。", "안녕하세요 세계", "Emoji: 👨‍👩‍👧‍👦 family, 👍🏽 thumbs, 🇫🇷 flag!",
    "Fuel Dilution of engine oil", "def f(x):\n    return x ** 2  # square\n", "https://example.com/a/b?c=d&e=f#g",
    "{\"key\": \"value\", \"n\": [1, 2, 3]}", "ALLCAPS and MiXeD CaSe wordsWithCamelCase", "a'b 'S 'LL O'Neill's",
    "supercalifragilisticexpialidocious antidisestablishmentarianism", "١٢٣ arabic digits ٤٥٦ and ½ ⅓ fractions",
    "Ünïcödé wörds — dashes – and “quotes” ‘single’", "\u00a0non-breaking\u00a0spaces\u2003em space", "x" * 300,
    "The quick brown fox jumps over the lazy dog. " * 5, "line1\r\nline2\r\n", "<|endoftext|> is ordinary text here",
]


def main():
    ranks = load_tiktoken_bpe(str(ROOT / "models" / "gpt2.tiktoken"))
    enc = tiktoken.Encoding(name="gpt2-local", pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                            mergeable_ranks=ranks, special_tokens={})
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=256 + 300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(TEXTS * 3, trainer=trainer)
    small = OUT / "bpe-small-tokenizer.json"
    tok.save(str(small))
    rows = [{"text": t, "gpt2": len(enc.encode(t, disallowed_special=())), "hf_small": len(tok.encode(t).ids)} for t in TEXTS]
    (OUT / "bpe-counts.json").write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n")
    print(f"wrote {len(rows)} rows and {small.name}")


if __name__ == "__main__":
    main()
