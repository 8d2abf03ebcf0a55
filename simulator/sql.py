"""The simulator's SQL, read from the ``.sql`` files in ``sql/`` beside this module."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).with_name("sql")


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> duckdb.DuckDBPyConnection:
    """Execute ``sql/<name>.sql`` with the named parameters (``$name``) it uses."""
    text = sql(name)
    used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", text)}
    return con.execute(text, used)
