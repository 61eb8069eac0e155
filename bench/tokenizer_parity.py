#!/usr/bin/env python3
"""Tokenizer parity and throughput: Winnow's `tokenize` stage and `winnow tokenize --count-only`
against Hugging Face `tokenizers` (Rust, encode_batch) on real documents, and the token shards
read back as trainers read them.

For GPT-2 (models/gpt2.tiktoken, through Winnow's tiktoken path and as a tokenizer.json built
from the same ranks the way transformers' TikTokenConverter does) and for Mistral 7B v0.1's
SentencePiece BPE (models/mistral-7b-v0.1-tokenizer.json, scripts/fetch-models.sh):

1. ids: `winnow run` with `tokenize: {format: both, shuffle: false, eos: false}` writes
   tokens/tokens.bin/.idx and .ds/.ds.index; every document's ids read back (megatron-core's
   IndexedDataset when importable, else the documented MMIDIDX layout read here; datatrove's
   .ds through numpy) must equal `Tokenizer.encode(text, add_special_tokens=False).ids`;
2. shards: a shuffled run with EOS, at --workers 1 and 2, must be byte-identical and hold every
   document + EOS exactly once;
3. speed: `winnow tokenize --count-only --workers T` vs `encode_batch` with RAYON_NUM_THREADS=T
   (texts already in memory for tokenizers; Winnow's time includes reading the JSONL), median of 3.

  python3 bench/make_tokenizer_corpus.py bench/out/tok-corpus
  bench/.venv/bin/python bench/tokenizer_parity.py --corpus bench/out/tok-corpus [--threads 2] [--winnow .build/release/winnow]
"""
import argparse
import base64
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def gpt2_tokenizer_json(tiktoken_path, out):
    """GPT-2 as a byte-level BPE tokenizer.json from its tiktoken ranks (TikTokenConverter's way)."""
    ranks = {}
    for line in open(tiktoken_path, "rb"):
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    enc = bytes_to_unicode()
    s = lambda b: "".join(enc[x] for x in b)
    merges = []
    for token, rank in ranks.items():
        local = [(token[:k], token[k:], rank) for k in range(1, len(token)) if token[:k] in ranks and token[k:] in ranks]
        local.sort(key=lambda x: (ranks[x[0]], ranks[x[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2])
    vocab = {s(t): r for t, r in ranks.items()}
    eot = len(ranks)
    vocab["<|endoftext|>"] = eot
    doc = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": eot, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [[s(a), s(b)] for a, b, _ in merges]},
    }
    out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def read_corpus(corpus):
    texts = []
    for path in sorted(corpus.glob("*.jsonl")):
        for line in open(path, encoding="utf-8"):
            texts.append(json.loads(line)["text"])
    return texts


def read_megatron(prefix):
    """(documents' ids, reader name): megatron-core's IndexedDataset, else the documented layout."""
    try:
        from megatron.core.datasets.indexed_dataset import IndexedDataset
        ds = IndexedDataset(str(prefix), mmap=True)
        return [np.asarray(ds[i]).astype(np.int64).tolist() for i in range(len(ds))], "megatron-core IndexedDataset"
    except ImportError:
        pass
    idx = Path(str(prefix) + ".idx").read_bytes()
    assert idx[:9] == b"MMIDIDX\x00\x00", "bad .idx header"
    version = int.from_bytes(idx[9:17], "little")
    code = idx[17]
    dtype = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.float32, 8: np.uint16}[code]
    n = int.from_bytes(idx[18:26], "little")
    d = int.from_bytes(idx[26:34], "little")
    o = 34
    lengths = np.frombuffer(idx, np.int32, n, o); o += 4 * n
    pointers = np.frombuffer(idx, np.int64, n, o); o += 8 * n
    documents = np.frombuffer(idx, np.int64, d, o)
    assert version == 1 and list(documents) == list(range(n + 1))
    data = np.memmap(str(prefix) + ".bin", dtype=dtype, mode="r")
    size = np.dtype(dtype).itemsize
    return [data[p // size: p // size + l].astype(np.int64).tolist() for p, l in zip(pointers, lengths)], "MMIDIDX layout (megatron-core not importable)"


def read_datatrove(prefix, size):
    data = np.fromfile(str(prefix) + ".ds", dtype=np.uint16 if size == 2 else np.uint32)
    ends = np.fromfile(str(prefix) + ".ds.index", dtype=np.uint64)
    starts = np.concatenate([[0], ends[:-1]])
    return [data[int(a):int(b)].astype(np.int64).tolist() for a, b in zip(starts, ends)]


def winnow_run(winnow, corpus, tokenizer, out, options, workers=2):
    recipe = Path(out).with_suffix(".yaml")
    recipe.write_text(
        f'name: tok\ninput: {{ path: "{corpus}/*.jsonl", format: jsonl, shard_size: 256KiB }}\noutput: {{ path: {out}, format: jsonl }}\n'
        f"stages:\n  - tokenize: {{ tokenizer: \"{tokenizer}\", {options} }}\n")
    subprocess.run([winnow, "run", str(recipe), "--workers", str(workers), "--overwrite"], check=True, stdout=subprocess.DEVNULL)


def median_time(fn, runs=3):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--winnow", default=str(ROOT / ".build/release/winnow"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out/tokenizers")
    ap.add_argument("--skip-speed", action="store_true")
    a = ap.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(a.threads)
    from tokenizers import Tokenizer  # after RAYON_NUM_THREADS is set

    a.out.mkdir(parents=True, exist_ok=True)
    gpt2_json = a.out / "gpt2-tokenizer.json"
    gpt2_json.exists() or gpt2_tokenizer_json(ROOT / "models/gpt2.tiktoken", gpt2_json)
    mistral = ROOT / "models/mistral-7b-v0.1-tokenizer.json"
    cases = [("gpt2 (tiktoken file)", "gpt2", gpt2_json), ("gpt2 (tokenizer.json)", f"hf:{gpt2_json}", gpt2_json),
             ("mistral-7b-v0.1 (SentencePiece BPE)", f"hf:{mistral}", mistral)]
    texts = read_corpus(a.corpus)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"corpus: {len(texts)} documents, {mb:.1f} MB; threads {a.threads}")
    failures = 0
    for label, spec, json_path in cases:
        hf = Tokenizer.from_file(str(json_path))
        ref = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
        run = a.out / ("run-" + hashlib.sha1(spec.encode()).hexdigest()[:8])
        winnow_run(a.winnow, a.corpus, spec, run, "format: both, shuffle: false, eos: false")
        got, reader = read_megatron(run / "tokens/tokens")
        size = 2 if max(max(r, default=0) for r in ref) < 65536 else 4
        got_ds = read_datatrove(run / "tokens/tokens", size)
        bad = [i for i in range(len(ref)) if i >= len(got) or got[i] != ref[i]]
        bad_ds = sum(1 for i in range(len(ref)) if i >= len(got_ds) or got_ds[i] != ref[i])
        failures += len(bad) + bad_ds + (len(got) != len(ref))
        print(f"{label}: {len(ref) - len(bad)}/{len(ref)} documents with equal ids ({reader}); datatrove .ds: {len(ref) - bad_ds}/{len(ref)}")
        for i in bad[:3]:
            j = next((k for k in range(min(len(got[i]), len(ref[i]))) if got[i][k] != ref[i][k]), min(len(got[i]), len(ref[i])))
            print(f"  doc {i}: first difference at token {j}: winnow {got[i][max(0, j - 3):j + 5]} tokenizers {ref[i][max(0, j - 3):j + 5]} text {texts[i][:80]!r}")
        # Shuffled with EOS, 1 and 2 workers: byte-identical, and a permutation of the documents + EOS.
        shards = []
        for w in (1, 2):
            r = a.out / f"shuffled-{w}"
            winnow_run(a.winnow, a.corpus, spec, r, "format: megatron, shuffle: true", workers=w)
            shards.append(((r / "tokens/tokens.bin").read_bytes(), (r / "tokens/tokens.idx").read_bytes()))
        same = shards[0] == shards[1]
        docs, _ = read_megatron(a.out / "shuffled-1/tokens/tokens")
        eos = docs[0][-1] if docs else None
        perm = sorted(map(tuple, docs)) == sorted(tuple(r + [eos]) for r in ref)
        moved = sum(1 for i in range(min(len(docs), len(ref))) if docs[i][:-1] != ref[i])
        failures += (not same) + (not perm)
        print(f"  shuffled + EOS {eos}: workers 1 and 2 byte-identical: {same}; every document once: {perm}; {moved} of {len(ref)} moved")
        if a.skip_speed:
            continue
        t_hf = median_time(lambda: hf.encode_batch(texts, add_special_tokens=False))
        files = sorted(str(p) for p in a.corpus.glob("*.jsonl"))
        cmd = [a.winnow, "tokenize", "--count-only", "--tokenizer", spec, "--workers", str(a.threads)] + files
        t_w = median_time(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL))
        print(f"  speed: tokenizers encode_batch {t_hf:.3f} s ({mb / t_hf:.1f} MB/s), winnow {t_w:.3f} s ({mb / t_w:.1f} MB/s): {t_hf / t_w:.2f}x")
    print("FAILURES:", failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
