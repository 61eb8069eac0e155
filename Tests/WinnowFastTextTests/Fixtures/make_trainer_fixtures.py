#!/usr/bin/env python3
"""Builds the trainer fixtures with the reference fastText (PyPI fasttext-numpy2-wheel).

Run from the package root with the bench virtualenv:

    bench/.venv/bin/python Tests/WinnowFastTextTests/Fixtures/make_trainer_fixtures.py

It writes, into this folder:
  trainer-train.txt        generated labelled sentences (three topics, some lines with two labels,
                           accented and non-Latin words, a few blank lines);
  trainer-reference.json   for each configuration (softmax and one-vs-all with word bigrams,
                           minCount, hierarchical softmax with character n-grams, a seed), the
                           size and 64-bit FNV-1a of the .bin fastText trains with one thread.
FastTextTrainerTests trains the same configurations natively and expects the same bytes.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

import fasttext

HERE = os.path.dirname(os.path.abspath(__file__))

TOPICS = {
    "weather": "rain snow cloud storm wind sunny forecast thunder humid météo frío Regen дождь",
    "food": "bread cheese apple soup pasta recipe bake kitchen spicy crème brûlée Käse 寿司",
    "sport": "goal match team score player referee league stadium tennis fútbol Tor футбол",
}
FILLER = "the a of and to in is was it for on with as at by from this that very".split()

# Every input matrix is over 128 KiB: this fastText build leaves the blocks of the initial input
# matrix that no thread fills (9 of 10 with one thread) uninitialised, which is zero only when
# malloc maps fresh pages (glibc does for allocations of 128 KiB and more). Winnow fills them with
# zeros, so the two agree byte for byte exactly then.
CONFIGS = {
    "softmax-bigram": dict(dim=16, epoch=5, lr=0.1, wordNgrams=2, bucket=3000),
    "ova-bigram": dict(dim=12, epoch=4, lr=0.1, loss="ova", wordNgrams=2, bucket=4000, minCount=2),
    "hs-subwords": dict(dim=10, epoch=3, lr=0.2, loss="hs", minn=2, maxn=4, bucket=5000, seed=5),
}


def fnv64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    rng = random.Random(11)
    lines = []
    labels = list(TOPICS)
    for i in range(600):
        label = labels[i % 3]
        words = TOPICS[label].split()
        toks = [rng.choice(words) if rng.random() < 0.6 else rng.choice(FILLER) for _ in range(rng.randint(3, 9))]
        tags = [label] if i % 7 else [label, labels[(i + 1) % 3]]
        lines.append(" ".join(f"__label__{t}" for t in tags) + " " + " ".join(toks))
        if i % 150 == 149:
            lines.append("")
    train = os.path.join(HERE, "trainer-train.txt")
    with open(train, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    reference = {}
    path = os.path.join(tempfile.mkdtemp(), "model.bin")
    for name, args in CONFIGS.items():
        # One training per process (a fresh heap), twice: the two must agree.
        runs = []
        for _ in range(2):
            subprocess.run([sys.executable, __file__, "--train", train, path, json.dumps(args)], check=True)
            with open(path, "rb") as f:
                runs.append(f.read())
        if runs[0] != runs[1]:
            raise SystemExit(f"{name}: fastText gave different models in two runs")
        reference[name] = dict(args=args, size=len(runs[0]), fnv64=f"{fnv64(runs[0]):016x}")
    with open(os.path.join(HERE, "trainer-reference.json"), "w") as f:
        json.dump(reference, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--train"]:
        fasttext.train_supervised(sys.argv[2], thread=1, verbose=0, **json.loads(sys.argv[4])).save_model(sys.argv[3])
    else:
        main()
