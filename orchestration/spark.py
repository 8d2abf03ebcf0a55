"""The Spark engine (``chatwh run --engine spark``): what DuckDB hands to dbt-spark.

Ingest stays in DuckDB (parsing, quarantine, de-duplication, audit). Before dbt builds on
Spark, raw's tables are written as Parquet under ``<warehouse>.spark/raw/<table>/`` (the
interaction tables one folder per arrival day), and dbt is told which tables an earlier
Spark build left under ``<warehouse>.spark/tables/`` (Spark's catalog lives in memory, so
each dbt invocation registers them again, macro ``register_spark_tables``). After the
build, the marts' Parquet folders become DuckDB views in the warehouse file, so the checks,
the views and the serving snapshot read them as they read DuckDB's own marts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from .sql import load

ENGINES = ("duckdb", "spark")
RAW_PARTITIONED = ("web_events", "whatsapp_messages")
RAW_WHOLE = ("assistants", "erasures", "reloads")
SPARK_SUFFIX = ".spark"


def spark_root(warehouse: str | Path) -> Path:
    """The Spark side of a warehouse: ``<warehouse file>.spark/`` beside it (raw/, tables/)."""
    path = Path(warehouse).resolve()
    return path.with_name(path.name + SPARK_SUFFIX)


def _statement(name: str, **slots: str) -> str:
    text = load(name)
    for slot, value in slots.items():
        text = text.replace("{{ " + slot + " }}", value.replace("'", "''"))
    return text


def export_raw(con: duckdb.DuckDBPyConnection, warehouse: str | Path) -> None:
    """Write raw's tables as Parquet for Spark, each made current by a rename of its folder.

    The whole of raw each time: an erasure or a reload deletes rows of earlier days, which
    a copy of the new days alone would miss. An interaction table with no rows is written as
    one file, so that Spark still finds its columns.
    """
    raw = spark_root(warehouse) / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for table in RAW_PARTITIONED + RAW_WHOLE:
        final, new = raw / table, raw / f".{table}.new"
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir()
        [(rows,)] = con.execute(f"select count(*) from raw.{table}").fetchall()
        name = "spark_export_partitioned" if table in RAW_PARTITIONED and rows else "spark_export_whole"
        con.execute(_statement(name, table=table, folder=str(new)))
        old = raw / f".{table}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    # Spark's managed tables (the seeds, which every build loads again) start afresh
    shutil.rmtree(spark_root(warehouse) / "managed", ignore_errors=True)


def built_tables(warehouse: str | Path) -> list[str]:
    """The ``schema.table`` folders under ``<warehouse>.spark/tables/`` that hold Parquet."""
    tables = spark_root(warehouse) / "tables"
    if not tables.is_dir():
        return []
    return sorted(
        f"{folder.parent.name}.{folder.name}"
        for folder in tables.glob("*/*")
        if folder.is_dir() and next(folder.rglob("*.parquet"), None) is not None
    )


def dbt_arguments(warehouse: str | Path) -> list[str]:
    """What ``dbt build`` gets on Spark: the target and the tables to register."""
    return ["--target", "spark", "--vars", json.dumps({"spark_tables": built_tables(warehouse)})]


def attach_marts(con: duckdb.DuckDBPyConnection, warehouse: str | Path) -> None:
    """The Spark marts as DuckDB views over their Parquet (replacing any earlier ones)."""
    marts = spark_root(warehouse) / "tables" / "marts"
    con.execute("create schema if not exists marts")
    for folder in sorted(marts.glob("*")):
        if folder.is_dir() and next(folder.rglob("*.parquet"), None) is not None:
            con.execute(_statement("spark_marts_views", table=folder.name, folder=str(folder)))
