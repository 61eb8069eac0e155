#!/usr/bin/env python3
"""Writes the reference ids of the tokenizer parity unit tests (Tests/WinnowTokenizersTests/Fixtures):

- parity-gpt2.jsonl: GPT-2 (models/gpt2.tiktoken as a tokenizer.json, bench/tokenizer_parity.py's
  conversion) — for Winnow's `gpt2` (tiktoken file) and `hf:` paths;
- parity-mistral.jsonl: models/mistral-7b-v0.1-tokenizer.json (scripts/fetch-models.sh: Mistral 7B
  v0.1's SentencePiece BPE from the PyPI wheel mistral-common 1.13.1);
- unigram-small-tokenizer.json + parity-unigram.jsonl: a small SentencePiece-style Unigram trained
  here by `tokenizers` on the same texts (NFKC + regex Replace + Lowercase, Metaspace + Digits,
  256 `<0xXX>` pieces, byte_fallback), and unigram-unk-tokenizer.json + parity-unigram-unk.jsonl,
  the same without byte pieces (unknowns fused into <unk>).

Each line: {"text": ..., "ids": [...]} = `Tokenizer.encode(text, add_special_tokens=False).ids`.
Texts: hard strings, then the first 10 documents of each source of the parity corpus (cut to
1,000 characters), when ../shared/data is present.

  bench/.venv/bin/python bench/gen_tokenizer_parity_fixtures.py
"""
import json
import sys
from pathlib import Path

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers, Regex

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "WinnowTokenizersTests" / "Fixtures"
sys.path.insert(0, str(ROOT / "bench"))
from gen_bpe_fixtures import TEXTS  # noqa: E402
from make_tokenizer_corpus import squad, nq, wikitext, gutenberg, web  # noqa: E402
from tokenizer_parity import gpt2_tokenizer_json  # noqa: E402

HARD = TEXTS + [
    "</s> x<s>y<unk>z", "  two leading spaces", " one", "Pe\u030dh-\u014de-j\u012b with a space before a mark: a \u030d b",
    "caf\u00e9 cafe\u0301 caf\u00e9 cafe\u0301", "\u2581already metaspace\u2581\u2581", "ﬁ ligature Ⅻ ① ｆｕｌｌｗｉｄｔｈ",
    "digits 1234567 and 3.14159", "tab\tcontrol\u0007char", "\U0001d54f\U0001d552\U0001d55d math letters",
]


def documents():
    out = []
    for source in (squad, nq, wikitext, gutenberg, web):
        try:
            for k, (_, text) in enumerate(source()):
                if k >= 10:
                    break
                out.append(text[:1000])
        except FileNotFoundError:
            return []
    return out


def write(name, tok, texts):
    with open(OUT / name, "w", encoding="utf-8") as f:
        for t, e in zip(texts, tok.encode_batch(texts, add_special_tokens=False)):
            f.write(json.dumps({"text": t, "ids": e.ids}, ensure_ascii=False) + "\n")
    print(f"{OUT / name}: {len(texts)} texts")


def unigram(texts):
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " "), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True), pre_tokenizers.Digits(individual_digits=True)])
    trainer = trainers.UnigramTrainer(vocab_size=600, special_tokens=["<unk>", "<s>", "</s>"], unk_token="<unk>", show_progress=False)
    tok.train_from_iterator(texts * 2, trainer=trainer)
    doc = json.loads(tok.to_str())
    unk = json.loads(json.dumps(doc))
    (OUT / "unigram-unk-tokenizer.json").write_text(json.dumps(unk, ensure_ascii=False), encoding="utf-8")
    low = min(score for _, score in doc["model"]["vocab"]) - 1
    doc["model"]["vocab"] += [[f"<0x{b:02X}>", low] for b in range(256)]
    doc["model"]["byte_fallback"] = True
    (OUT / "unigram-small-tokenizer.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return Tokenizer.from_file(str(OUT / "unigram-small-tokenizer.json")), Tokenizer.from_file(str(OUT / "unigram-unk-tokenizer.json"))


def main():
    texts = HARD + documents()
    gpt2_json = ROOT / "bench/out/tokenizers/gpt2-tokenizer.json"
    gpt2_json.parent.mkdir(parents=True, exist_ok=True)
    gpt2_json.exists() or gpt2_tokenizer_json(ROOT / "models/gpt2.tiktoken", gpt2_json)
    write("parity-gpt2.jsonl", Tokenizer.from_file(str(gpt2_json)), texts)
    write("parity-mistral.jsonl", Tokenizer.from_file(str(ROOT / "models/mistral-7b-v0.1-tokenizer.json")), texts)
    fallback, unk = unigram(texts[:len(HARD) + 30])
    write("parity-unigram.jsonl", fallback, texts)
    write("parity-unigram-unk.jsonl", unk, texts)


if __name__ == "__main__":
    main()
