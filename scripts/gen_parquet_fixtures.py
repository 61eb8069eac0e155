#!/usr/bin/env python3
"""Writes the Parquet fixtures of Tests/WinnowParquetTests/Fixtures with pyarrow.

One seeded table (strings with Unicode, empty and long values, nulls, int32/int64/uint32,
float/double, bool, a low-cardinality string) written with several pyarrow settings, plus
`expected.jsonl`: the table's rows as pyarrow reads them back (`to_pylist`), one JSON object per
row, which the Swift tests compare every decoded document against.

Usage: bench/.venv/bin/python scripts/gen_parquet_fixtures.py [OUT_DIR]
(needs pyarrow; OUT_DIR defaults to Tests/WinnowParquetTests/Fixtures). Deterministic: the same
pyarrow version writes the same bytes.
"""
import json
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 60


def table() -> pa.Table:
    rng = random.Random(17)
    words = ["winnow", "Parquet", "données", "naïve", "東京", "🙂", "a\"quote", "back\\slash", "tab\there", "zürich"]
    ids, texts, i32, i64, u32, f32, f64, flags, cats = [], [], [], [], [], [], [], [], []
    for r in range(ROWS):
        ids.append(f"doc-{r:04d}")
        n = rng.randint(0, 40)
        t = " ".join(rng.choice(words) for _ in range(n))
        if r == 3:
            t = ""
        if r == 5:
            t = "line one\nline two\n" + "long " * 700  # longer than the small page size below
        texts.append(t)
        i32.append(None if r % 7 == 0 else rng.randint(-(2**31), 2**31 - 1))
        i64.append(None if r % 11 == 0 else rng.randint(-(2**63), 2**63 - 1) if r % 3 else r * 1000)
        u32.append(rng.randint(0, 2**32 - 1))
        f32.append(None if r % 5 == 0 else float(pa.scalar(rng.uniform(-1e6, 1e6), pa.float32()).as_py()))
        f64.append(None if r % 13 == 0 else rng.uniform(-1e300, 1e300) if r % 4 == 0 else rng.random())
        flags.append(None if r % 9 == 0 else rng.random() < 0.5)
        cats.append(None if r % 8 == 0 else rng.choice(["CC-MAIN-2024-10", "CC-MAIN-2024-18", "CC-MAIN-2023-50"]))
    return pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "text": pa.array(texts, pa.string()),
            "n_int32": pa.array(i32, pa.int32()),
            "n_int64": pa.array(i64, pa.int64()),
            "n_uint32": pa.array(u32, pa.uint32()),
            "f_float": pa.array(f32, pa.float32()),
            "f_double": pa.array(f64, pa.float64()),
            "flag": pa.array(flags, pa.bool_()),
            "dump": pa.array(cats, pa.string()),
        }
    )


VARIANTS = {
    # name: pq.write_table keyword arguments
    "default": {},
    "nodict": {"use_dictionary": False},
    "v1": {"data_page_version": "1.0"},
    "v1_nodict_gzip": {"data_page_version": "1.0", "use_dictionary": False, "compression": "gzip"},
    "v2": {"data_page_version": "2.0"},
    "v2_nodict_zstd": {"data_page_version": "2.0", "use_dictionary": False, "compression": "zstd"},
    "zstd": {"compression": "zstd"},
    "gzip": {"compression": "gzip"},
    "none": {"compression": "none"},
    "lz4": {"compression": "lz4"},  # pyarrow writes LZ4_RAW
    "row_groups": {"row_group_size": 7},
    "small_pages": {"data_page_size": 256, "row_group_size": 25, "write_batch_size": 8},
    "small_pages_v2": {"data_page_size": 256, "data_page_version": "2.0", "write_batch_size": 8, "compression": "zstd"},
    "delta": {
        "use_dictionary": False,
        "column_encoding": {
            "id": "DELTA_BYTE_ARRAY",
            "text": "DELTA_LENGTH_BYTE_ARRAY",
            "n_int32": "DELTA_BINARY_PACKED",
            "n_int64": "DELTA_BINARY_PACKED",
            "n_uint32": "DELTA_BINARY_PACKED",
            "f_float": "BYTE_STREAM_SPLIT",
            "f_double": "BYTE_STREAM_SPLIT",
            "dump": "DELTA_BYTE_ARRAY",
        },
        "data_page_version": "2.0",
    },
}


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("Tests", "WinnowParquetTests", "Fixtures")
    os.makedirs(out, exist_ok=True)
    t = table()
    for name, kwargs in VARIANTS.items():
        pq.write_table(t, os.path.join(out, f"{name}.parquet"), **kwargs)
    # A file without an id column and with a nested column (read only with input.columns).
    nested = pa.table({"text": ["a", "b", None], "tags": pa.array([["x"], [], ["y", "z"]], pa.list_(pa.string())), "n": [1, 2, 3]})
    pq.write_table(nested, os.path.join(out, "nested.parquet"))
    with open(os.path.join(out, "expected.jsonl"), "w", encoding="utf-8") as f:
        for row in pq.read_table(os.path.join(out, "default.parquet")).to_pylist():
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(VARIANTS) + 1} Parquet files and expected.jsonl to {out} (pyarrow {pa.__version__})")


if __name__ == "__main__":
    main()
