#!/usr/bin/env python3
"""Converts a SentencePiece BPE `.model` into a Hugging Face `tokenizer.json`, the way
transformers' LlamaConverter does (legacy Llama/Mistral form), with the standard library only.

- model: BPE, vocab = the pieces by id, merges from every split of every piece into two pieces
  (transformers' `generate_merges`: ordered by the merged piece's id, then the parts' ids),
  `byte_fallback: true`, `fuse_unk: true`, `unk_token: <unk>`;
- normalizer: Sequence[Prepend("▁"), Replace(" " → "▁")]; no pre-tokenizer;
- added tokens: the control pieces (<unk>, <s>, </s>), special and not normalised.

Used by scripts/fetch-models.sh for models/mistral-7b-v0.1-tokenizer.json, from
`mistral_common/data/tokenizer.model.v1` in the PyPI wheel mistral-common 1.13.1 (Apache-2.0).

  python3 scripts/sentencepiece-to-tokenizer-json.py tokenizer.model OUT.json
"""
import json
import struct
import sys


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def fields(buf):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def pieces(model):
    """(piece, score, type) in id order: ModelProto field 1, SentencePiece {1 piece, 2 score, 3 type}."""
    out = []
    trainer_type = None
    for number, _, value in fields(model):
        if number == 1:
            piece, score, kind = "", 0.0, 1
            for n, _, v in fields(value):
                if n == 1:
                    piece = v.decode("utf-8")
                elif n == 2:
                    score = struct.unpack("<f", v)[0]
                elif n == 3:
                    kind = v
            out.append((piece, score, kind))
        elif number == 2:  # TrainerSpec: model_type is field 3 (1 unigram, 2 bpe)
            for n, _, v in fields(value):
                if n == 3:
                    trainer_type = v
    return out, trainer_type


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source, "rb") as f:
        items, model_type = pieces(f.read())
    if model_type != 2:
        sys.exit(f"{source}: not a SentencePiece BPE model (model_type {model_type})")
    vocab = {p: i for i, (p, _, _) in enumerate(items)}
    merges = []
    for merged, _ in vocab.items():
        local = []
        for k in range(1, len(merged)):
            left, right = merged[:k], merged[k:]
            if left in vocab and right in vocab:
                local.append((left, right, vocab[merged]))
        local.sort(key=lambda x: (vocab[x[0]], vocab[x[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: (m[2], len(m[0]), len(m[1])))
    control = [(i, p) for i, (p, _, kind) in enumerate(items) if kind in (2, 3)]  # UNKNOWN, CONTROL
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for i, p in control
        ],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        ]},
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": vocab, "merges": [[a, b] for a, b, _ in merges],
        },
    }
    tmp = target + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    import os
    os.replace(tmp, target)
    print(f"{target}: {len(vocab)} pieces, {len(merges)} merges")


if __name__ == "__main__":
    main()
