"""What the marts' metadata step of a nightly costs by itself (docs/benchmarks.md).

    python -m benchmarks.mart_metadata data/bench/1M/warehouse.duckdb

In a fresh process that imported Dagster (as a run has, and no pandas), times the import of
pandas, the row counts of every mart (one query) and the Sessions preview, and prints them
on one line. The warehouse is opened read-only; run it several times, the machine is shared.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dagster  # noqa: F401 (a run has it imported)

from orchestration.defs.mart_metadata import row_counts, sessions_preview
from orchestration.sql import load as load_sql
from orchestration.warehouse import connect


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m benchmarks.mart_metadata WAREHOUSE")
    with connect(Path(sys.argv[1]), read_only=True) as con:
        marts = [row[0] for row in con.execute(load_sql("mart_tables")).fetchall()]
        began = time.perf_counter()
        import pandas  # noqa: F401 (what preload_pandas does during the build)

        imported = time.perf_counter()
        counts = row_counts(con, marts)
        counted = time.perf_counter()
        sessions_preview(con)
        done = time.perf_counter()
    print(
        f"pandas import {imported - began:.3f} s, row counts of {len(counts)} marts "
        f"{counted - imported:.3f} s, preview {done - counted:.3f} s"
    )


if __name__ == "__main__":
    main()
