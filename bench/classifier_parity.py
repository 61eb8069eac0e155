#!/usr/bin/env python3
"""fastText-compatible classifier: Winnow's trainer against fastText's, on TREC and SST-2.

    bench/.venv/bin/python bench/classifier_parity.py [--winnow .build/release/winnow] [--runs 3]
        [--data ../shared/data/classification] [--corpus bench/data/text-corpus.jsonl]
        [--out bench/out/classifier]

For each dataset (TREC coarse question types, 6 labels; SST-2 binary sentiment, from
../shared/data/classification, label first on each line; TREC's Latin-1 is decoded) and each
hyperparameter set (and, for training speed on a larger input, the bench text corpus
labelled by source, 32.7 MB, when bench/data/text-corpus.jsonl exists), it:
  1. trains with `winnow classify train` (one thread) and with Python fasttext
     (fasttext-numpy2-wheel, `train_supervised`, thread=1, and thread=2 for reference), the same
     hyperparameters, each fastText training in its own process (this fastText build is unreliable
     for a second training in one process);
  2. loads Winnow's .bin in Python fasttext and predicts every held-out test text with all labels
     (k=-1), and compares with `winnow classify predict --k <labels>` on the same texts: top-label
     agreement and the largest probability difference over all labels (as float32);
  3. reports test accuracy of the Winnow-trained model (Winnow's predictions) and of the
     fastText-trained model (fastText's), and whether the two .bin files are byte-identical
     (Winnow with --init-threads 1, the initial matrix fastText -thread 1 starts from; Winnow's
     default --init-threads 12 fills the whole matrix and is reported too);
  4. times training: the wall time of the `winnow classify train` command (read, train, write)
     against `train_supervised` + `save_model` inside the fastText process (no interpreter start),
     medians of --runs interleaved runs.
Writes a JSON summary to OUT/classifier_parity.json and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

CONFIGS = {
    "defaults": {},  # fastText's supervised defaults: dim 100, epoch 5, lr 0.1, wordNgrams 1, softmax
    "bigrams": {"wordNgrams": 2, "bucket": 200000, "epoch": 25, "lr": 0.5},
}
CLI = {"dim": "--dim", "epoch": "--epoch", "lr": "--lr", "wordNgrams": "--word-ngrams", "bucket": "--bucket",
       "minCount": "--min-count", "loss": "--loss", "seed": "--seed"}


def prepare(data: str, out: str) -> dict[str, dict[str, str]]:
    """fastText-format training files and JSONL test files; returns their paths per dataset."""
    sets = {"TREC": ("TREC.train", "TREC.test", "latin-1", True),
            "SST-2": ("stsa.binary.train", "stsa.binary.test", "utf-8", False)}
    paths = {}
    for name, (train, test, encoding, coarse) in sets.items():
        files = {}
        for split, fname in (("train", train), ("test", test)):
            with open(os.path.join(data, fname), encoding=encoding) as f:
                rows = []
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    label, text = line.split(" ", 1)
                    rows.append((label.split(":")[0] if coarse else label, text))
            if split == "train":
                files["train"] = os.path.join(out, f"{name}.train.txt")
                with open(files["train"], "w", encoding="utf-8") as g:
                    for label, text in rows:
                        g.write(f"__label__{label} {text}\n")
            else:
                files["test"] = os.path.join(out, f"{name}.test.jsonl")
                with open(files["test"], "w", encoding="utf-8") as g:
                    for i, (label, text) in enumerate(rows):
                        g.write(json.dumps({"id": str(i), "text": text, "label": label}) + "\n")
        paths[name] = files
    return paths


def prepare_corpus(corpus: str, out: str) -> dict[str, str]:
    """The bench text corpus as a source-identification task (label = metadata.source, 10
    sources: web pages, news, books, speeches, Debian copyright files…), a larger training set
    for speed: every 10th document is held out; newlines become spaces."""
    files = {"train": os.path.join(out, "corpus-source.train.txt"), "test": os.path.join(out, "corpus-source.test.jsonl")}
    with open(corpus, encoding="utf-8") as f, open(files["train"], "w", encoding="utf-8") as tr, \
            open(files["test"], "w", encoding="utf-8") as te:
        for i, line in enumerate(f):
            d = json.loads(line)
            text = " ".join(d["text"].split())
            label = d["metadata"]["source"]
            if i % 10 == 0:
                te.write(json.dumps({"id": str(i), "text": text, "label": label}) + "\n")
            else:
                tr.write(f"__label__{label} {text}\n")
    return files


def fasttext_train(train: str, model: str, args: dict, thread: int) -> float:
    """Trains in a fresh process; returns the seconds of train_supervised + save_model."""
    code = ("import fasttext, json, sys, time\n"
            "t = time.perf_counter()\n"
            f"m = fasttext.train_supervised({train!r}, thread={thread}, verbose=0, **json.loads(sys.argv[1]))\n"
            f"m.save_model({model!r})\n"
            "print(time.perf_counter() - t)\n")
    p = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True, check=True)
    return float(p.stdout.strip().splitlines()[-1])


def winnow_train(winnow: str, train: str, model: str, args: dict, init_threads: int) -> float:
    cmd = [winnow, "classify", "train", "--input", train, "--output", model, "--quiet", "--init-threads", str(init_threads)]
    for k, v in args.items():
        cmd += [CLI[k], str(v)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def winnow_predict(winnow: str, model: str, test: str, k: int) -> dict[str, dict[str, float]]:
    p = subprocess.run([winnow, "classify", "predict", "--model", model, "--input", test, "--k", str(k)],
                       capture_output=True, text=True, check=True)
    out = {}
    for line in p.stdout.splitlines():
        d = json.loads(line)
        out[d["id"]] = {"top": d["label"], **{q["label"]: q["probability"] for q in d.get("predictions", [])}}
    return out


def python_predict(model_path: str, texts: dict[str, str]) -> dict[str, dict[str, float]]:
    import fasttext
    m = fasttext.load_model(model_path)
    out = {}
    for i, text in texts.items():
        labels, probs = m.predict(text, k=-1)
        d = {"top": labels[0][9:]}
        d.update({l[9:]: float(p) for l, p in zip(labels, probs)})
        out[i] = d
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build/release/winnow"))
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/classification"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/out/classifier"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "bench/data/text-corpus.jsonl"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    paths = prepare(a.data, a.out)
    if os.path.exists(a.corpus):
        paths["text-corpus source"] = prepare_corpus(a.corpus, a.out)
    else:
        print(f"skipping the text-corpus task: {a.corpus} is missing (bench/make_text_corpus.py)", file=sys.stderr)
    results = []
    for dataset, files in paths.items():
        tests = [json.loads(l) for l in open(files["test"], encoding="utf-8")]
        texts = {t["id"]: t["text"] for t in tests}
        gold = {t["id"]: t["label"] for t in tests}
        # The larger corpus only with the defaults (25 bigram epochs there take minutes per run).
        for cname, args in CONFIGS.items() if dataset in ("TREC", "SST-2") else [("defaults", {})]:
            base = os.path.join(a.out, f"{dataset}-{cname}")
            w_times, f1_times, f2_times = [], [], []
            for _ in range(a.runs):  # interleaved
                w_times.append(winnow_train(a.winnow, files["train"], base + ".winnow.bin", args, 1))
                f1_times.append(fasttext_train(files["train"], base + ".fasttext.bin", args, 1))
                f2_times.append(fasttext_train(files["train"], base + ".fasttext2.bin", args, 2))
            winnow_train(a.winnow, files["train"], base + ".winnow12.bin", args, 12)
            with open(base + ".winnow.bin", "rb") as f1, open(base + ".fasttext.bin", "rb") as f2:
                identical = f1.read() == f2.read()
            nlabels = len({*gold.values()})
            w_pred = winnow_predict(a.winnow, base + ".winnow.bin", files["test"], nlabels)
            p_pred = python_predict(base + ".winnow.bin", texts)
            agree = sum(w_pred[i]["top"] == p_pred[i]["top"] for i in texts) / len(texts)
            # Both sides' probabilities are float32 (Winnow prints the shortest decimal that reads
            # back to the same float32; fastText hands Python the float32 as a double).
            import numpy as np
            maxdiff = max(abs(float(np.float32(w_pred[i][l]) - np.float32(p)))
                          for i in texts for l, p in p_pred[i].items() if l != "top")
            w12_pred = winnow_predict(a.winnow, base + ".winnow12.bin", files["test"], 1)
            f_pred = python_predict(base + ".fasttext.bin", texts)
            f2_pred = python_predict(base + ".fasttext2.bin", texts)
            acc = lambda pred: sum(pred[i]["top"] == gold[i] for i in texts) / len(texts)
            r = dict(dataset=dataset, config=cname, args=args, test_docs=len(texts), labels=nlabels,
                     agreement=agree, max_prob_diff=maxdiff, identical_bytes=identical,
                     acc_winnow=acc(w_pred), acc_winnow_init12=acc(w12_pred), acc_fasttext=acc(f_pred),
                     acc_fasttext_2threads=acc(f2_pred),
                     winnow_s=statistics.median(w_times), fasttext_s=statistics.median(f1_times),
                     fasttext_2threads_s=statistics.median(f2_times), runs=a.runs,
                     winnow_all=w_times, fasttext_all=f1_times, fasttext2_all=f2_times)
            results.append(r)
            print(json.dumps(r), file=sys.stderr)
    with open(os.path.join(a.out, "classifier_parity.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("| dataset | hyperparameters | Python-on-Winnow-.bin top-label agreement | max prob. diff | .bin identical to fastText's | acc. Winnow (init 1 / 12) | acc. fastText 1 thr. / 2 thr. | train s Winnow 1 thr. | train s fastText 1 thr. / 2 thr. | fastText 1 thr. ÷ Winnow |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        hp = ", ".join(f"{k} {v}" for k, v in r["args"].items()) or "fastText defaults"
        print(f"| {r['dataset']} ({r['test_docs']} test) | {hp} | {r['agreement'] * 100:.2f} % | {r['max_prob_diff']:.1e} | "
              f"{'yes' if r['identical_bytes'] else 'no'} | {r['acc_winnow'] * 100:.1f} % / {r['acc_winnow_init12'] * 100:.1f} % | "
              f"{r['acc_fasttext'] * 100:.1f} % / {r['acc_fasttext_2threads'] * 100:.1f} % | {r['winnow_s']:.2f} | "
              f"{r['fasttext_s']:.2f} / {r['fasttext_2threads_s']:.2f} | {r['fasttext_s'] / r['winnow_s']:.2f}× |")


if __name__ == "__main__":
    main()
