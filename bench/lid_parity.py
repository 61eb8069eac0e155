#!/usr/bin/env python3
"""Language-ID parity and speed: Winnow's native fastText vs Python fasttext through datatrove.

    bench/.venv/bin/python bench/lid_parity.py [--corpus bench/data/text-corpus.jsonl]
        [--model models/lid.176.ftz] [--winnow .build/release/winnow] [--runs 3]

Both sides score every document of the corpus with lid.176.ftz the way datatrove's
LanguageFilter does (datatrove.utils.lid.FT176LID: newlines replaced by spaces, k=-1, best
label = max score):
  * the peer is datatrove 0.10.1's FT176LID.predict over the fasttext-numpy2-wheel model (its
    `_model` is set to the local lid.176.ftz instead of the download datatrove would make);
  * Winnow is `winnow lid CORPUS --timing` (one thread, as the peer).

Parity: same top label on ≥ 99.5 % of documents, scores within 1e-4. Speed: documents/s of
the prediction alone (each side times its own predict calls; the peer's includes datatrove's
`replace` and dict building, Winnow's includes the same work natively), and the wall time of the
whole command (read JSONL, load the model, predict, print), medians of --runs interleaved runs.
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


def peer_run(corpus: str, model_path: str) -> tuple[dict[str, tuple[str, float]], float, float, int]:
    """Returns ({id: (label, score)}, prediction seconds, wall seconds, documents)."""
    wall0 = time.perf_counter()
    from datatrove.data import Document
    from datatrove.utils.lid import FT176LID
    from fasttext.FastText import _FastText

    docs = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append(Document(text=d["text"], id=d["id"]))
    lid = FT176LID()
    lid._model = _FastText(model_path)
    out: dict[str, tuple[str, float]] = {}
    t0 = time.perf_counter()
    for doc in docs:
        (lang, score), _ = lid.predict(doc)
        out[doc.id] = (lang, score)
    predict_s = time.perf_counter() - t0
    return out, predict_s, time.perf_counter() - wall0, len(docs)


def winnow_run(winnow: str, corpus: str, model_path: str) -> tuple[dict[str, tuple[str, float]], float, float, int]:
    t0 = time.perf_counter()
    p = subprocess.run([winnow, "lid", corpus, "--model", model_path, "--timing"],
                       capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    out = {}
    for line in p.stdout.splitlines():
        d = json.loads(line)
        out[d["id"]] = (d["language"], float(d["language_score"]))
    # "lid: N documents, prediction S s, R documents/s"
    stats = p.stderr.strip().splitlines()[-1]
    predict_s = float(stats.split("prediction ")[1].split(" s")[0])
    return out, predict_s, wall, len(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "bench/data/text-corpus.jsonl"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models/lid.176.ftz"))
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build/release/winnow"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--lines", type=int, default=0,
                    help="instead of whole documents, score the first N non-empty lines of the corpus, "
                         "each as a document (short texts: many close calls between languages)")
    args = ap.parse_args()
    for path, hint in [(args.corpus, "bench/make_text_corpus.py builds it"),
                       (args.model, "scripts/fetch-models.sh fetches it"),
                       (args.winnow, "swift build -c release")]:
        if not os.path.exists(path):
            print(f"missing {path} ({hint})", file=sys.stderr)
            return 2

    if args.lines > 0:
        os.makedirs(os.path.join(ROOT, "bench/out"), exist_ok=True)
        derived = os.path.join(ROOT, "bench/out/lid-lines.jsonl")
        count = 0
        with open(args.corpus, encoding="utf-8") as f, open(derived, "w", encoding="utf-8") as out:
            for line in f:
                d = json.loads(line)
                for i, text in enumerate(d["text"].split("\n")):
                    if text.strip() and count < args.lines:
                        out.write(json.dumps({"id": f"{d['id']}#{i}", "text": text}, ensure_ascii=False) + "\n")
                        count += 1
        print(f"lines: the first {count} non-empty lines of {args.corpus}")
        args.corpus = derived

    import fasttext  # noqa: F401  (fail early without the bench venv)
    from importlib.metadata import version

    peer_times, winnow_times = [], []
    peer_out = winnow_out = None
    n = 0
    for _ in range(args.runs):
        winnow_out, w_pred, w_wall, n_w = winnow_run(args.winnow, args.corpus, args.model)
        winnow_times.append((w_pred, w_wall))
        peer_out, p_pred, p_wall, n = peer_run(args.corpus, args.model)
        peer_times.append((p_pred, p_wall))
        if n_w != n:
            print(f"document counts differ: winnow {n_w}, peer {n}", file=sys.stderr)
            return 1

    same = 0
    within = 0
    max_diff = 0.0
    mismatches = []
    for doc_id, (lang, score) in peer_out.items():
        w_lang, w_score = winnow_out[doc_id]
        if w_lang == lang:
            same += 1
            diff = abs(w_score - score)
            max_diff = max(max_diff, diff)
            within += diff <= args.tolerance
        else:
            mismatches.append((doc_id, lang, score, w_lang, w_score))

    med = lambda xs: statistics.median(xs)
    p_pred, p_wall = med([t[0] for t in peer_times]), med([t[1] for t in peer_times])
    w_pred, w_wall = med([t[0] for t in winnow_times]), med([t[1] for t in winnow_times])
    size = os.path.getsize(args.corpus)
    print(f"corpus: {args.corpus} ({n} documents, {size / 1e6:.1f} MB); model {args.model}")
    print(f"peer: datatrove {version('datatrove')} FT176LID + fasttext (fasttext-numpy2-wheel {version('fasttext-numpy2-wheel')}); runs: {args.runs}")
    print(f"same top label: {same}/{n} = {100 * same / n:.2f} %")
    print(f"scores within {args.tolerance:g} (same label): {within}/{same}; max |diff| {max_diff:.2e}")
    for m in mismatches[:20]:
        print(f"  label differs: {m[0]}: peer {m[1]} {m[2]:.6f}, winnow {m[3]} {m[4]:.6f}")
    print(f"prediction only: peer {n / p_pred:,.0f} docs/s ({p_pred:.2f} s), winnow {n / w_pred:,.0f} docs/s "
          f"({w_pred:.2f} s): {p_pred / w_pred:.1f}x")
    print(f"whole command:   peer {p_wall:.2f} s, winnow {w_wall:.2f} s: {p_wall / w_wall:.1f}x")
    ok = same >= 0.995 * n and within == same
    print("PARITY OK" if ok else "PARITY FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
