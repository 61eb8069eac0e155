"""Compares two ARPA files n-gram by n-gram: same n-gram sets per order, and the largest
absolute differences of log10 probabilities and backoffs (a missing backoff counts as 0).

    bench/.venv/bin/python bench/lm_arpa_diff.py A.arpa B.arpa
"""
import gzip
import json
import sys


def read_arpa(path):
    opener = gzip.open if path.endswith(".gz") else open
    orders, cur = {}, None
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("ngram ") or line == "\\data\\" or line == "\\end\\":
                continue
            if line.startswith("\\") and line.endswith("-grams:"):
                cur = int(line[1:line.index("-")])
                orders[cur] = {}
                continue
            parts = line.split("\t")
            prob, words = float(parts[0]), parts[1]
            backoff = float(parts[2]) if len(parts) > 2 else 0.0
            orders[cur][words] = (prob, backoff)
    return orders


def compare(a_path, b_path):
    a, b = read_arpa(a_path), read_arpa(b_path)
    report = {}
    for n in sorted(set(a) | set(b)):
        ka, kb = set(a.get(n, {})), set(b.get(n, {}))
        common = ka & kb
        dp = max((abs(a[n][k][0] - b[n][k][0]) for k in common), default=0.0)
        db = max((abs(a[n][k][1] - b[n][k][1]) for k in common), default=0.0)
        report[n] = {"count_a": len(ka), "count_b": len(kb), "only_a": len(ka - kb), "only_b": len(kb - ka),
                     "max_abs_diff_log10p": dp, "max_abs_diff_log10backoff": db}
    return report


if __name__ == "__main__":
    print(json.dumps(compare(sys.argv[1], sys.argv[2]), indent=1))
