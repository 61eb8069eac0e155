"""The pyarrow peer of `winnow convert IN --format jsonl`: pq.read_table, iterate the rows, write
one JSON object per row (bench/parquet_speed.sh).

    bench/.venv/bin/python bench/parquet_convert_pyarrow.py IN.parquet OUT.jsonl
"""
import json
import sys

import pyarrow.parquet as pq


def main() -> None:
    table = pq.read_table(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        for batch in table.to_batches(max_chunksize=4096):
            for row in batch.to_pylist():
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
