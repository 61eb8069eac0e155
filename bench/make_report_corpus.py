#!/usr/bin/env python3
"""Write a seeded synthetic JSONL corpus for the `winnow report` size/load benchmark (issue 19).

    python3 bench/make_report_corpus.py [--docs 1000000] [--files 16] [--seed 19] [--out bench/data/report-1m]

Standard library only. The documents mimic what a web crawl gives the rule stages: English-like
prose of many lengths (5 to ~600 words, log-uniform), 4 % very short documents, 3 % repetitive
spam, 6 % exact copies and 4 % near copies of a pool of "boilerplate" documents (so exact and
MinHash dedup have clusters of every size), and lines with and without final punctuation.
Same arguments, same bytes (the script prints a sha256 of every file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her all she there would their we him been has when who will more no if out so said what up its about "
    "into than them can only other new some could time these two may then do first any my now such like our over man "
    "me even most made after also did many before must through back years where much your way well down should "
    "because each just those people how too little state good very make world still own see men work long get here "
    "between both life being under never day same another know while last might us great old year off come since "
    "against go came right used take three data model river stone market garden winter music history science city "
    "school water light paper road energy system family story island engine forest letter window mountain bridge"
).split()


def sentence(rng: random.Random) -> str:
    n = rng.randint(5, 18)
    w = [rng.choice(WORDS) for _ in range(n)]
    w[0] = w[0].capitalize()
    end = "." if rng.random() < 0.9 else ""
    return " ".join(w) + end


def prose(rng: random.Random, words: int) -> str:
    lines, count = [], 0
    while count < words:
        para = []
        for _ in range(rng.randint(1, 5)):
            s = sentence(rng)
            para.append(s)
            count += s.count(" ") + 1
            if count >= words:
                break
        lines.append(" ".join(para))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=16)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--out", default="bench/data/report-1m")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    pool = [prose(rng, rng.randint(40, 300)) for _ in range(2000)]
    per = (a.docs + a.files - 1) // a.files
    n = 0
    for f in range(a.files):
        path = os.path.join(a.out, f"part-{f:03d}.jsonl")
        h = hashlib.sha256()
        with open(path, "w", encoding="utf-8") as out:
            for i in range(min(per, a.docs - n)):
                r = rng.random()
                if r < 0.04:
                    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
                elif r < 0.07:
                    text = ("Buy now and save big today. " * rng.randint(10, 60)).strip()
                elif r < 0.13:
                    # Exact copies: a Zipf-like choice, so a few clusters are large.
                    text = pool[min(len(pool) - 1, int(rng.paretovariate(1.1))) - 1]
                elif r < 0.17:
                    text = pool[rng.randrange(len(pool))] + " " + sentence(rng)
                else:
                    text = prose(rng, int(math.exp(rng.uniform(math.log(5), math.log(600)))))
                line = json.dumps({"id": f"r{f:03d}-{i:07d}", "text": text}, ensure_ascii=False) + "\n"
                out.write(line)
                h.update(line.encode("utf-8"))
                n += 1
        print(f"{path}  {h.hexdigest()}")
    print(f"{n} documents in {a.files} files")


if __name__ == "__main__":
    main()
