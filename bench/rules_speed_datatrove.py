"""datatrove's pipeline of the four rule filters (FineWeb order, defaults) over a folder of JSONL
files, with the local executor: one task per file, WORKERS processes.

    bench/.venv/bin/python bench/rules_speed_datatrove.py INPUT_DIR OUTPUT_DIR WORKERS
"""
import glob
import os
import sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

def main():
    inp, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tasks = len(glob.glob(os.path.join(inp, "*.jsonl")))
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(inp, glob_pattern="*.jsonl", compression=None),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(),
            FineWebQualityFilter(),
            JsonlWriter(os.path.join(out, "data"), compression=None),
        ],
        tasks=tasks,
        workers=workers,
        logging_dir=os.path.join(out, "logs"),
        skip_completed=False,
    ).run()


if __name__ == "__main__":  # the executor starts worker processes (spawn-safe)
    main()
