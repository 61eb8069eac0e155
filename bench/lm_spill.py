"""`winnow lm train --memory` (counts spilled to sorted runs, estimated on disk) vs `lmplz -S`
on one large text (issue 21, item 4).

    bash bench/setup_kenlm.sh                       # lmplz into bench/out/kenlm/build/bin
    swift build -c release --product winnow
    bench/.venv/bin/python bench/lm_spill.py --gb 5 --memory 2G --order 3

1. A corpus of --gb GB is generated from real sentences (WikiText-2 raw, the Lee background
   corpus, three Gutenberg books, NLTK's ABC / State of the Union / inaugural texts, all under
   ../shared/data/text), normalised as cc_net does (bench/lm_common.py). Each line splices two
   source sentences at random cut points (a seeded generator), so the corpus has far more
   distinct n-grams than its sources: the counts outgrow --memory and Winnow must spill. The
   sources' own n-grams recur so often that modified-KN discounts come out invalid (as on the web
   set of bench/lm_parity.py): both tools use the 0.5/1/1.5 discount fallback.
2. Identity: on the first --slice-mb MB, `winnow lm train` in memory and with a small --memory
   (--slice-memory, forcing many runs) must write the same ARPA bytes; Winnow's ARPA is also
   compared n-gram by n-gram with lmplz's on that slice (bench/lm_arpa_diff.py).
3. Speed and memory: `winnow lm train --memory M` and `lmplz -S M` on the whole corpus, one run
   each (the big run takes long), through bench/measure.py: wall time, CPU, peak PSS of the
   process tree. Temp files: Winnow's go to <output>.winnow-spill/, lmplz's to -T bench/out/lm-spill/lmplz-tmp.
Writes bench/out/lm-spill/results.json.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm_common  # noqa: E402
import lm_arpa_diff  # noqa: E402

ROOT = lm_common.ROOT
OUT = os.path.join(ROOT, "bench", "out", "lm-spill")
LMPLZ = os.path.join(ROOT, "bench", "out", "kenlm", "build", "bin", "lmplz")
TEXT = os.path.join(ROOT, "..", "shared", "data", "text")
MEASURE = os.path.join(ROOT, "bench", "measure.py")


def source_sentences():
    """Normalised sentences (word lists) of the real texts under ../shared/data/text."""
    texts = [open(lm_common.WIKITEXT, encoding="utf-8").read()]
    texts.append(open(os.path.join(TEXT, "gensim-test-data", "lee_background.cor"), encoding="utf-8", errors="replace").read())
    for book in ("pg3261.txt", "pg9198.txt", "pg972.txt"):
        texts.append(open(os.path.join(TEXT, "gutenberg-gitenberg", book), encoding="utf-8", errors="replace").read())
    for corpus in ("abc", "state_union", "inaugural"):
        with zipfile.ZipFile(os.path.join(TEXT, "nltk-corpora", corpus + ".zip")) as z:
            for name in sorted(z.namelist()):
                if name.endswith(".txt"):
                    texts.append(z.read(name).decode("utf-8", errors="replace"))
    out = []
    for t in texts:
        for para in re.split(r"\n\s*\n", t):
            for sent in re.split(r"(?<=[.!?])\s+", " ".join(para.split())):
                words = lm_common.normalize(sent).split()
                if len(words) >= 3:
                    out.append(words)
    return out


def make_corpus(path, gb, seed=21):
    """Writes `gb` GB of spliced sentences (deterministic for a seed); reuses an existing file.
    Each line is a prefix of one source sentence (1 word or more) and a suffix of another."""
    target = int(gb * (1 << 30))
    if os.path.exists(path) and os.path.getsize(path) >= target:
        return path
    sents = [" ".join(w) for w in source_sentences()]
    # Word starts (character offsets) of each sentence, and its length as the last "start".
    starts = [[0] + [m.end() for m in re.finditer(" ", s)] + [len(s) + 1] for s in sents]
    rng = random.Random(seed)
    rand = rng.random
    n = len(sents)
    written = 0
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        while written < target:
            lines = []
            for _ in range(50000):
                i, j = int(rand() * n), int(rand() * n)
                a, b, sa, sb = sents[i], sents[j], starts[i], starts[j]
                cut_a = sa[1 + int(rand() * (len(sa) - 1))] - 1      # after 1…all words of a
                cut_b = sb[int(rand() * (len(sb) - 1))]              # from word 0…last of b
                lines.append(a[:cut_a] + " " + b[cut_b:])
            chunk = "\n".join(lines) + "\n"
            f.write(chunk)
            written += len(chunk)
    os.replace(tmp, path)
    return path


def slice_file(src, dst, mb):
    """The first `mb` MB of `src`, cut at a line end."""
    if os.path.exists(dst):
        return dst
    with open(src, "rb") as f:
        data = f.read(int(mb * (1 << 20)))
    with open(dst, "wb") as f:
        f.write(data[:data.rindex(b"\n") + 1])
    return dst


def measured(cmd, name):
    """bench/measure.py over `cmd` (a shell command line): its JSON."""
    js, log = os.path.join(OUT, name + ".json"), os.path.join(OUT, name + ".log")
    subprocess.run([sys.executable, MEASURE, "--json", js, "--log", log, "--", "sh", "-c", cmd], check=True,
                   stdout=subprocess.DEVNULL)
    r = json.load(open(js))
    if r.get("exit_code") != 0:
        raise SystemExit(f"{name} failed (exit {r.get('exit_code')}): see {log}")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "release", "winnow"))
    ap.add_argument("--gb", type=float, default=5.0, help="corpus size in GB (GiB)")
    ap.add_argument("--order", type=int, default=3)
    ap.add_argument("--memory", default="2G", help="--memory for winnow and -S for lmplz")
    ap.add_argument("--slice-mb", type=float, default=64)
    ap.add_argument("--slice-memory", default="16M", help="winnow's --memory on the slice (forces spilling)")
    ap.add_argument("--skip-big", action="store_true", help="only the identity check on the slice")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "loadavg_before": os.getloadavg(), "order": args.order}

    t = time.perf_counter()
    corpus = make_corpus(os.path.join(OUT, f"corpus-{args.gb:g}g.txt"), args.gb)
    results["corpus"] = {"path": os.path.relpath(corpus, ROOT), "bytes": os.path.getsize(corpus), "generate_s": time.perf_counter() - t}
    print(json.dumps(results["corpus"]), flush=True)

    # 2. Identity on a slice.
    sl = slice_file(corpus, os.path.join(OUT, f"slice-{args.slice_mb:g}mb.txt"), args.slice_mb)
    base = [args.winnow, "lm", "train", "--input", sl, "--format", "text", "--split", "line", "--order", str(args.order), "-q", "--overwrite",
            "--discount-fallback"]
    mem_arpa, spill_arpa = os.path.join(OUT, "slice-memory.arpa"), os.path.join(OUT, "slice-spilled.arpa")
    r_mem = measured(" ".join(base + ["--output", mem_arpa]), "slice-winnow-memory")
    r_spill = measured(" ".join([a for a in base if a != "-q"] + ["--memory", args.slice_memory, "--output", spill_arpa]),
                       "slice-winnow-spilled")
    runs = re.search(r"(\d+) runs spilled", open(os.path.join(OUT, "slice-winnow-spilled.log")).read())
    identical = open(mem_arpa, "rb").read() == open(spill_arpa, "rb").read()
    results["slice"] = {"bytes": os.path.getsize(sl), "arpa_bytes": os.path.getsize(mem_arpa), "identical": identical,
                        "runs_spilled": int(runs.group(1)) if runs else None,
                        "winnow_memory": r_mem, "winnow_spilled": r_spill, "spilled_memory": args.slice_memory}
    if os.path.exists(LMPLZ):
        k_arpa = os.path.join(OUT, "slice-lmplz.arpa")
        tmpdir = os.path.join(OUT, "lmplz-tmp")
        os.makedirs(tmpdir, exist_ok=True)
        results["slice"]["lmplz"] = measured(f"{LMPLZ} -o {args.order} -S {args.memory} -T {tmpdir} --discount_fallback < {sl} > {k_arpa}", "slice-lmplz")
        diff = lm_arpa_diff.compare(k_arpa, mem_arpa)
        results["slice"]["arpa_diff_vs_lmplz"] = diff
    print(json.dumps({k: v for k, v in results["slice"].items() if k != "arpa_diff_vs_lmplz"}), flush=True)
    print(f"slice: in-memory and --memory {args.slice_memory} ARPA identical: {identical}", flush=True)
    if not identical or not results["slice"]["runs_spilled"]:
        raise SystemExit("FAIL: the spilled ARPA differs from the in-memory one, or nothing was spilled")

    # 3. The whole corpus.
    if not args.skip_big:
        w_arpa, k_arpa = os.path.join(OUT, "big-winnow.arpa"), os.path.join(OUT, "big-lmplz.arpa")
        cmd = [args.winnow, "lm", "train", "--input", corpus, "--format", "text", "--split", "line", "--order", str(args.order),
               "--memory", args.memory, "--output", w_arpa, "--overwrite", "--discount-fallback"]
        results["big_winnow"] = measured(" ".join(cmd), "big-winnow")
        print(json.dumps({"winnow": results["big_winnow"]}), flush=True)
        if os.path.exists(LMPLZ):
            tmpdir = os.path.join(OUT, "lmplz-tmp")
            os.makedirs(tmpdir, exist_ok=True)
            results["big_lmplz"] = measured(f"{LMPLZ} -o {args.order} -S {args.memory} -T {tmpdir} --discount_fallback < {corpus} > {k_arpa}", "big-lmplz")
            print(json.dumps({"lmplz": results["big_lmplz"]}), flush=True)
            # The ARPAs are too big for lm_arpa_diff's dictionaries: compare their n-gram counts.
            results["big_ngram_counts"] = {name: [l.strip() for l in open(p, encoding="utf-8").readlines(4096) if l.startswith("ngram ")]
                                           for name, p in (("winnow", w_arpa), ("lmplz", k_arpa))}
            print(json.dumps(results["big_ngram_counts"]), flush=True)
    results["loadavg_after"] = os.getloadavg()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("PASS")


if __name__ == "__main__":
    main()
