"""Where ingest spends its time: every SQL statement of ``ingest()``, timed and summed.

Loads the arrival days of a landing zone into a new, empty warehouse in this process (no
Dagster, no dbt) and prints the total and the statements that took longest, summed over
all chunks. The ingest figures in docs/benchmarks.md ("Where the remaining time goes")
come from

    python -m benchmarks.ingest_profile data/bench/10M-366d/landing --days 365

after ``make bench`` has simulated that landing zone.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from orchestration.ingest import ingest, load_assistants
from orchestration.warehouse import connect, ensure_raw_schema


def _statement_key(sql: str) -> str:
    """A statement's first words, after its leading comment lines (the .sql files' notes)."""
    code = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return " ".join(" ".join(code).split())[:72]


class TimedConnection:
    """A DuckDB connection that adds up the time of each statement, keyed by its start."""

    def __init__(self, con) -> None:
        self.con = con
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()

    def execute(self, sql: str, *args, **kwargs):
        began = time.perf_counter()
        result = self.con.execute(sql, *args, **kwargs)
        key = _statement_key(sql)
        self.seconds[key] += time.perf_counter() - began
        self.calls[key] += 1
        return result

    def executemany(self, *args, **kwargs):
        return self.con.executemany(*args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", help="landing zone (dt=YYYY-MM-DD folders)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    days = [args.start + timedelta(days=offset) for offset in range(args.days)]
    with tempfile.TemporaryDirectory() as folder:
        con = TimedConnection(connect(Path(folder) / "warehouse.duckdb"))
        began = time.perf_counter()
        ensure_raw_schema(con.con)
        load_assistants(con.con, args.landing)  # the raw_assistants asset, once per run
        summary = ingest(con, args.landing, days, b"benchmark-key")
        total = time.perf_counter() - began
        con.con.close()
    print(
        f"ingest of {args.days} days: {total:.1f} s, {summary.total('records'):,} records, "
        f"{summary.total('loaded'):,} loaded"
    )
    print("seconds  calls  statement")
    for key, seconds in con.seconds.most_common(args.top):
        print(f"{seconds:7.2f}  {con.calls[key]:5d}  {key}")


if __name__ == "__main__":
    main()
