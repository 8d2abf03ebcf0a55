"""The ingest package's SQL: ``sql/<name>.sql`` beside these modules, its slots filled.

A statement takes its values as bound parameters (``$channel``, the HMAC pads). What cannot
be bound (a table's name, the file list of a read that must be planned with it, an
expression another module owns such as the HMAC) goes into a ``{{ slot }}`` of the text.
The checks that repeat are DuckDB macros (``sql/macros.sql``), made once per load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ..sql import load

FOLDER = Path(__file__).resolve().parent / "sql"


def sql(name: str, **slots: str) -> str:
    """The text of ``sql/<name>.sql`` with each ``{{ slot }}`` replaced by its fragment."""
    text = load(name, FOLDER)
    for slot, fragment in slots.items():
        text = text.replace("{{ " + slot + " }}", fragment)
    if "{{ " in text:
        raise ValueError(f"sql/{name}.sql has a slot left unfilled")
    return text


def run(
    con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute ``statement`` with those of ``params`` that it names (DuckDB refuses the rest)."""
    used = {name: value for name, value in (params or {}).items() if f"${name}" in statement}
    return con.execute(statement, used) if used else con.execute(statement)


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Make the connection's ingest macros (temporary: they live as long as it does)."""
    con.execute(sql("macros"))
