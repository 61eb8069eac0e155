"""datatrove's side of the Parquet-input pipeline benchmark (bench/parquet_speed.sh): ParquetReader
→ LanguageFilter(en, 0.65) → GopherRepetitionFilter → GopherQualityFilter →
C4QualityFilter(filter_no_terminal_punct=False) → FineWebQualityFilter → ParquetWriter, local
executor, TASKS tasks on WORKERS processes (datatrove's ParquetReader gives each task whole files).

    bench/.venv/bin/python bench/parquet_pipeline_datatrove.py INPUT_DIR OUTPUT_DIR WORKERS
"""
import glob
import os
import sys

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LanguageFilter,
)
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter


MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", "lid.176.ftz")


def language_filter() -> LanguageFilter:
    """datatrove's LanguageFilter with its FT176LID reading models/lid.176.ftz (the same file
    Winnow uses) instead of downloading it."""
    from datatrove.utils.lid import FT176LID

    class LocalFT176LID(FT176LID):
        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText

                self._model = _FastText(MODEL)
            return self._model

    f = LanguageFilter(languages=["en"], language_threshold=0.65)
    f.model = LocalFT176LID(["en"])
    return f


def main():
    inp, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tasks = max(1, len(glob.glob(os.path.join(inp, "*.parquet"))))
    LocalPipelineExecutor(
        pipeline=[
            ParquetReader(inp, glob_pattern="*.parquet"),
            language_filter(),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            FineWebQualityFilter(),
            ParquetWriter(os.path.join(out, "data")),
        ],
        tasks=tasks,
        workers=workers,
        logging_dir=os.path.join(out, "logs"),
        skip_completed=False,
    ).run()


if __name__ == "__main__":
    main()
