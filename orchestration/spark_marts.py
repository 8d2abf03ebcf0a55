"""The views on Spark's marts (``chatwh dashboard|sessions|customers --engine spark``).

No Spark is started to answer a view: an in-memory DuckDB gets the warehouse file's
catalog without its data (its schemas, tables and the view macros that dbt made), and each
of its marts becomes a view of the Parquet folder that the Spark build wrote
(``<warehouse>.spark/tables/marts/<mart>/``), read with the DuckDB types of the mart. The
same functions of ``orchestration/views.py`` then answer on it, in milliseconds.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import duckdb

from .spark import holds_parquet, mart_statement, marts_folder
from .sql import load
from .warehouse import NotAWarehouse, forbid_extension_downloads, open_for_queries


def open_spark_marts(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """A read-only answer to the views from the marts of the last Spark build."""
    marts = marts_folder(warehouse)
    if not holds_parquet(marts):
        raise NotAWarehouse(
            f"no Spark build of {warehouse} (no Parquet under {marts}): "
            "run `chatwh run --engine spark`"
        )
    con = duckdb.connect()  # in memory
    try:
        forbid_extension_downloads(con)
        con.execute("set TimeZone = 'UTC'")
        # the checks and the messages of the views' own connection (a chat warehouse with
        # marts), held open while the catalog is copied
        with open_for_queries(warehouse):
            con.execute(load("spark_marts_catalog").replace("{{ warehouse }}", _text(warehouse)))
        columns = con.execute(load("spark_marts_columns")).fetchall()
        for table, listed in groupby(columns, key=lambda row: row[0]):
            folder = marts / table
            if holds_parquet(folder):  # else the copy's empty table: a mart with no rows
                typed = [(column, data_type) for _, column, data_type in listed]
                con.execute(mart_statement("spark_mart_view", table, folder, typed))
    except BaseException:
        con.close()
        raise
    return con


def _text(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")
