#!/usr/bin/env python3
"""Answer retention of `winnow compress` against simple baselines (issue 8, item 1).

For each question the prompt is: contexts (documents) + question. The compressor must keep the
gold answer: retention = share of questions whose gold answer string (SQuAD-normalised: lowercase,
no punctuation, no articles, single spaces) is still in the compressed context. Only questions whose
answer is in the uncompressed context count (the upper bound is then 1.0).

Datasets (../shared/data/qa, read in place):
  squad   SQuAD v1.1 dev: all paragraphs of the question's article are the contexts (20-90 paragraphs)
  nq      NaturalQuestions-open oracle passages: the gold passage + 19 gold passages of other questions
  hotpot  HotpotQA distractor setting: 2 gold + 8 retrieved distractor paragraphs (yes/no answers skipped)

Baselines at the same context-token budget B = round(rate x context tokens) (GPT-2 BPE via tiktoken
and models/gpt2.tiktoken): head truncation, random word drop (seeded), and BM25 sentence selection
(top sentences by BM25 against the question, in original order, until B). Winnow gets
target_tokens = B + tokens(question) + tokens("\n\n"), i.e. the same B for its contexts.

  bench/.venv/bin/python bench/compress_eval.py [--winnow .build/release/winnow] [--n 300] [--rates 3,5]
"""
import zlib, argparse, gzip, json, math, random, re, string, subprocess, sys, time, collections
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / ".." / "shared" / "data" / "qa"


# ---------------------------------------------------------------- SQuAD normalisation
def normalize(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def retained(answers, text):
    t = " " + normalize(text) + " "
    return any(normalize(a) and (" " + normalize(a) + " ") in t for a in answers)


# ---------------------------------------------------------------- token counting
def make_counter(models):
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    ranks = load_tiktoken_bpe(str(models / "gpt2.tiktoken"))
    enc = tiktoken.Encoding(name="gpt2-local", pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
                            mergeable_ranks=ranks, special_tokens={})
    return enc, (lambda s: len(enc.encode(s, disallowed_special=())))


# ---------------------------------------------------------------- datasets
def load_squad(n, rng):
    data = json.load(gzip.open(QA / "squad-dev" / "squad-v1.1-dev.json.gz"))["data"]
    items = []
    for art in data:
        paras = [p["context"] for p in art["paragraphs"]]
        for pi, p in enumerate(art["paragraphs"]):
            for qa in p["qas"]:
                items.append((paras, qa["question"], [a["text"] for a in qa["answers"]]))
    rng.shuffle(items)
    return items[:n]


def load_nq(n, rng):
    rows = [json.loads(l) for l in gzip.open(QA / "nq-open" / "nq-open-oracle.jsonl.gz", "rt")]
    passages = [r["ctxs"][0]["title"] + "\n" + r["ctxs"][0]["text"] for r in rows]
    order = list(range(len(rows)))
    rng.shuffle(order)
    items = []
    for i in order[:n]:
        others = [j for j in rng.sample(range(len(rows)), 25) if j != i][:19]
        ctx = [passages[j] for j in others]
        ctx.insert(rng.randrange(len(ctx) + 1), passages[i])
        items.append((ctx, rows[i]["question"], rows[i]["answers"]))
    return items


def load_hotpot(n, rng):
    rows = json.load(open(QA / "hotpotqa" / "hotpotqa_dev_distractor_sample.json"))
    items = []
    for r in rows:
        if r["answer"].lower() in ("yes", "no"):
            continue
        paras = [(r["title_a"], r["para_a"]), (r["title_b"], r["para_b"])] + [(d[0], d[1]) for d in r["distractors"]]
        ctx = [t + "\n" + "".join(s).strip() for t, s in paras]
        rng.shuffle(ctx)
        items.append((ctx, r["question"], [r["answer"]]))
    return items[:n]


# ---------------------------------------------------------------- baselines
def head(ctx, budget, enc):
    ids = enc.encode("\n\n".join(ctx), disallowed_special=())
    return enc.decode(ids[:budget])


def random_drop(ctx, budget, count, seed):
    rng = random.Random(seed)
    words = "\n\n".join(ctx).split(" ")
    costs = [count(" " + w) for w in words]
    idx = list(range(len(words)))
    rng.shuffle(idx)
    keep, used = set(), 0
    for i in idx:
        if used + costs[i] > budget:
            continue
        keep.add(i)
        used += costs[i]
    return " ".join(w for i, w in enumerate(words) if i in keep)


TOKEN = re.compile(r"\w+")
STOP = set("a an and are as at be by for from has have in is it of on or that the to was were what when where which who with how did does do".split())


def terms(s):
    return [t for t in TOKEN.findall(s.lower()) if t not in STOP]


def bm25_sentences(ctx, question, budget, count, k1=1.2, b=0.75):
    sents = []
    for c in ctx:
        for line in c.split("\n"):
            sents += [s for s in re.split(r"(?<=[.!?])\s+", line) if s.strip()]
    docs = [terms(s) for s in sents]
    N = len(docs)
    avg = sum(map(len, docs)) / max(1, N)
    df = collections.Counter(t for d in docs for t in set(d))
    q = terms(question)
    scores = []
    for d in docs:
        tf = collections.Counter(d)
        s = 0.0
        for t in q:
            if t in tf:
                idf = math.log(1 + (N - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * len(d) / max(avg, 1e-9)))
        scores.append(s)
    order = sorted(range(N), key=lambda i: (-scores[i], i))
    keep, used = set(), 0
    for i in order:
        c = count(" " + sents[i])
        if used + c > budget:
            continue
        keep.add(i)
        used += c
        if used >= budget:
            break
    return " ".join(s for i, s in enumerate(sents) if i in keep)


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--winnow", default=str(ROOT / ".build" / "release" / "winnow"))
    ap.add_argument("--models", default=str(ROOT / "models"))
    ap.add_argument("--n", type=int, default=300, help="questions per dataset")
    ap.add_argument("--rates", default="3,5", help="compression factors")
    ap.add_argument("--datasets", default="squad,nq,hotpot")
    ap.add_argument("--extra", default="{}", help="JSON merged into every winnow request (options)")
    ap.add_argument("--flags", default="", help="extra winnow compress flags, e.g. --no-minilm")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    enc, count = make_counter(Path(args.models))
    extra = json.loads(args.extra)
    loaders = {"squad": load_squad, "nq": load_nq, "hotpot": load_hotpot}
    factors = [float(x) for x in args.rates.split(",")]
    report = {}
    for name in args.datasets.split(","):
        items = loaders[name](args.n, random.Random(8))
        items = [it for it in items if retained(it[2], "\n\n".join(it[0]))]
        ctx_tokens = [count("\n\n".join(c)) for c, _, _ in items]
        for f in factors:
            rate = 1 / f
            budgets = [max(1, round(rate * t)) for t in ctx_tokens]
            reqs = []
            for (c, q, _), B in zip(items, budgets):
                r = {"context": c, "question": q, "target_tokens": B + count(q) + count("\n\n")}
                r.update(extra)
                reqs.append(json.dumps(r))
            t0 = time.time()
            out = subprocess.run([args.winnow, "compress", "--jsonl"] + args.flags.split(), input="\n".join(reqs) + "\n",
                                 capture_output=True, text=True, check=True)
            wall = time.time() - t0
            results = [json.loads(l) for l in out.stdout.splitlines()]
            row = collections.defaultdict(list)
            for (c, q, ans), B, res, T in zip(items, budgets, results, ctx_tokens):
                w_ctx = "\n\n".join(res["compressed_context"])
                row["winnow"].append(retained(ans, w_ctx))
                row["winnow_rate"].append(count(w_ctx) / T)
                row["head"].append(retained(ans, head(c, B, enc)))
                row["random"].append(retained(ans, random_drop(c, B, count, zlib.crc32(q.encode()))))
                row["bm25_sentences"].append(retained(ans, bm25_sentences(c, q, B, count)))
            summary = {k: sum(v) / len(v) for k, v in row.items()}
            summary["n"] = len(items)
            summary["mean_context_tokens"] = sum(ctx_tokens) / len(ctx_tokens)
            summary["winnow_seconds"] = wall
            report[f"{name}@{f:g}x"] = summary
            print(f"{name:7s} {f:g}x  n={len(items):4d} ctx≈{summary['mean_context_tokens']:.0f} tok  "
                  f"winnow {summary['winnow']:.3f} (rate {summary['winnow_rate']:.3f})  head {summary['head']:.3f}  "
                  f"random {summary['random']:.3f}  bm25-sent {summary['bm25_sentences']:.3f}  [{wall:.1f} s]", flush=True)
    if args.json_out:
        json.dump(report, open(args.json_out, "w"), indent=1)


if __name__ == "__main__":
    main()
