"""Bench-time check of Winnow's Parquet reader on a large file: every row of IN.parquet as
pyarrow reads it equals the record Winnow's `winnow convert --format jsonl` wrote for it (id,
text, and every other column as a field), in order.

    bench/.venv/bin/python bench/parquet_check.py IN.parquet WINNOW_RUN_DIR
Exit status 0 when every row matches; prints the first difference otherwise.
"""
import glob
import json
import math
import os
import sys

import pyarrow.parquet as pq


def main() -> None:
    path, run = sys.argv[1], sys.argv[2]
    parts = sorted(glob.glob(os.path.join(run, "data", "part-*.jsonl")))
    def winnow_rows():
        for p in parts:
            with open(p, encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    rec.update(rec.pop("metadata", None) or {})
                    yield rec
    ours = winnow_rows()
    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            w = next(ours, None)
            if w is None:
                sys.exit(f"winnow has {n} rows, pyarrow more")
            for k, v in row.items():
                x = w.get(k)
                same = x == v or (isinstance(v, float) and isinstance(x, (int, float)) and (x == v or (math.isnan(v) and x is None)))
                if not same:
                    sys.exit(f"row {n}, column {k}: pyarrow {v!r:.200}, winnow {x!r:.200}")
            n += 1
    if next(ours, None) is not None:
        sys.exit(f"winnow has more rows than pyarrow's {n}")
    print(f"parquet check: {n} rows, every value equal (pyarrow vs winnow)")


if __name__ == "__main__":
    main()
