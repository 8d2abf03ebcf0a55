"""The shape of a loaded warehouse's data (users, sessions per user, messages per session,
assistants): ``python -m benchmarks.shape WAREHOUSE``, to check that a simulated shape
(``chatwh simulate --shape``) comes out as described in docs/benchmarks.md."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

SHAPE_SQL = Path(__file__).with_name("shape.sql")


def main(warehouse: str) -> None:
    with duckdb.connect(warehouse, read_only=True) as con:
        result = con.execute(SHAPE_SQL.read_text(encoding="utf-8"))
        names = [column[0] for column in result.description]
        for name, value in zip(names, result.fetchone(), strict=True):
            print(f"{name}: {value}")


if __name__ == "__main__":
    main(sys.argv[1])
