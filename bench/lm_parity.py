"""Kneser-Ney LM parity and speed: Winnow vs KenLM (lmplz for training, the kenlm module for
querying).

    bash bench/setup_kenlm.sh                      # builds lmplz into bench/out/kenlm/build/bin
    swift build -c release --product winnow
    bench/.venv/bin/python bench/lm_parity.py [--orders 3 5] [--runs 3]

1. WikiText-2 (raw, test split — the only split on disk) is split by article (every 5th article
   held out), normalised as cc_net does, one line per sentence (bench/lm_common.py). The bench
   text corpus (bench/data/text-corpus.jsonl, real web pages) gives a larger training set.
2. For each order and training set: `winnow lm train` and `lmplz` on the same file (median of
   --runs), n-gram-by-n-gram ARPA comparison, and held-out perplexity of both models.
3. Winnow's ARPA is loaded by the `kenlm` module, which scores every held-out sentence; Winnow
   scores the same sentences (`winnow lm score --per-line`). Sentence log10 probabilities must
   agree within 1e-4 (kenlm's per-word values summed in double; kenlm's own float32 total is
   reported too).
Writes bench/out/lm/results.json and prints a summary.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm_common  # noqa: E402
import lm_arpa_diff  # noqa: E402

ROOT = lm_common.ROOT
OUT = os.path.join(ROOT, "bench", "out", "lm")
LMPLZ = os.path.join(ROOT, "bench", "out", "kenlm", "build", "bin", "lmplz")


def timed(cmd, stdin=None, stdout=None):
    t = time.perf_counter()
    subprocess.run(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def median_time(runs, fn):
    return statistics.median(fn() for _ in range(runs))


def web_training_text(path):
    """The bench text corpus as normalised lines (one sentence per non-blank line)."""
    src = os.path.join(ROOT, "bench", "data", "text-corpus.jsonl")
    if not os.path.exists(src):
        return None
    with open(src, encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        for line in f:
            for sent in json.loads(line)["text"].split("\n"):
                words = lm_common.normalize(sent).split()
                if words:
                    out.write(" ".join(words) + "\n")
    return path


def winnow_line_scores(winnow, model, text):
    r = subprocess.run([winnow, "lm", "score", "--model", model, "--input", text, "--format", "text", "--split", "line", "-q"],
                       check=True, capture_output=True, text=True)
    return [json.loads(l) for l in r.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "release", "winnow"))
    ap.add_argument("--orders", type=int, nargs="+", default=[3, 5])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import kenlm

    os.makedirs(OUT, exist_ok=True)
    train, held = lm_common.split_wikitext(OUT)
    held_lines = [l.rstrip("\n") for l in open(held, encoding="utf-8")]
    held_tokens = sum(len(l.split()) + 1 for l in held_lines)
    sets = {"wikitext": train}
    web = web_training_text(os.path.join(OUT, "web_train.txt"))
    if web:
        sets["web"] = web
    have_lmplz = os.path.exists(LMPLZ)
    results = {"heldout_sentences": len(held_lines), "heldout_tokens": held_tokens, "runs": []}
    for name, text in sets.items():
        size = os.path.getsize(text)
        for order in args.orders:
            tag = f"{name}-{order}"
            w_arpa, w_bin, k_arpa = (os.path.join(OUT, f"winnow-{tag}.arpa"), os.path.join(OUT, f"winnow-{tag}.wlm"),
                                     os.path.join(OUT, f"lmplz-{tag}.arpa"))
            r = {"training_set": name, "training_bytes": size, "order": order}
            # The web corpus has so much repeated boilerplate that modified-KN discounts come out
            # negative (both tools say so, with the same value): both use the 0.5/1/1.5 fallback.
            fallback = name == "web"
            r["discount_fallback"] = fallback
            w_cmd = [args.winnow, "lm", "train", "--input", text, "--format", "text", "--order", str(order), "-q"]
            w_cmd += ["--discount-fallback"] if fallback else []
            r["winnow_train_arpa_s"] = median_time(args.runs, lambda: timed(w_cmd + ["--output", w_arpa]))
            r["winnow_train_binary_s"] = median_time(args.runs, lambda: timed(w_cmd + ["--output", w_bin]))
            if have_lmplz:
                def run_lmplz():
                    with open(text, "rb") as i, open(k_arpa, "wb") as o:
                        return timed([LMPLZ, "-o", str(order), "-S", "2G", "-T", "/tmp"] + (["--discount_fallback"] if fallback else []),
                                     stdin=i, stdout=o)
                r["lmplz_train_s"] = median_time(args.runs, run_lmplz)
                r["arpa_diff_vs_lmplz"] = lm_arpa_diff.compare(k_arpa, w_arpa)

            # Held-out scoring: Winnow (its own scorer, ARPA and binary) vs kenlm on Winnow's ARPA.
            t = time.perf_counter()
            w_scores = winnow_line_scores(args.winnow, w_bin, held)
            r["winnow_score_binary_s"] = time.perf_counter() - t
            t = time.perf_counter()
            w_scores_arpa = winnow_line_scores(args.winnow, w_arpa, held)
            r["winnow_score_arpa_s"] = time.perf_counter() - t
            assert [s["log10_prob"] for s in w_scores] == [s["log10_prob"] for s in w_scores_arpa], "binary and ARPA scores differ"
            t = time.perf_counter()
            km = kenlm.Model(w_arpa)
            k_total = [km.score(l, bos=True, eos=True) for l in held_lines]
            r["kenlm_load_and_score_s"] = time.perf_counter() - t
            k_sum = [math.fsum(p for p, _, _ in km.full_scores(l, bos=True, eos=True)) for l in held_lines]
            assert len(w_scores) == len(held_lines)
            r["max_abs_diff_sentence_log10_vs_kenlm"] = max(abs(a["log10_prob"] - b) for a, b in zip(w_scores, k_sum))
            r["max_abs_diff_sentence_log10_vs_kenlm_float_total"] = max(abs(a["log10_prob"] - b) for a, b in zip(w_scores, k_total))
            w_log = sum(s["log10_prob"] for s in w_scores)
            r["winnow_heldout_ppl"] = 10 ** (-w_log / held_tokens)
            if have_lmplz:
                lm = kenlm.Model(k_arpa)
                k_log = math.fsum(math.fsum(p for p, _, _ in lm.full_scores(l)) for l in held_lines)
                r["lmplz_heldout_ppl"] = 10 ** (-k_log / held_tokens)
                r["ppl_rel_diff"] = abs(r["winnow_heldout_ppl"] - r["lmplz_heldout_ppl"]) / r["lmplz_heldout_ppl"]
            results["runs"].append(r)
            print(json.dumps({k: v for k, v in r.items() if k != "arpa_diff_vs_lmplz"}), flush=True)
            if "arpa_diff_vs_lmplz" in r:
                worst = max(max(o["max_abs_diff_log10p"], o["max_abs_diff_log10backoff"]) for o in r["arpa_diff_vs_lmplz"].values())
                same = all(o["only_a"] == 0 and o["only_b"] == 0 for o in r["arpa_diff_vs_lmplz"].values())
                print(f"  ARPA vs lmplz: same n-gram sets {same}, max |Δ log10| {worst:.2e}", flush=True)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    ok = all(r["max_abs_diff_sentence_log10_vs_kenlm"] <= 1e-4 and r.get("ppl_rel_diff", 0) <= 0.02 for r in results["runs"])
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
