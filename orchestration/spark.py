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
import subprocess
from pathlib import Path

import duckdb

from . import settings
from .sql import load
from .warehouse import connect

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
        by_day = table in RAW_PARTITIONED and rows
        statement = "spark_export_partitioned" if by_day else "spark_export_whole"
        con.execute(_statement(statement, table=table, folder=str(new)))
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


def prepare_build(warehouse: str | Path) -> dict[str, list[str]]:
    """Raw as Parquet for Spark, then the dbt vars of the build on Spark (``--target
    spark``): the tables to register, beside the warehouse (``settings.dbt_vars``)."""
    with connect(Path(warehouse)) as con:
        export_raw(con, warehouse)
    return {"spark_tables": built_tables(warehouse)}


def mart_columns(manifest: Path) -> dict[str, list[tuple[str, str]]]:
    """Each mart's columns and their DuckDB types, in the order of its YAML contract (the
    DuckDB tables' order: Spark puts a table's partition columns last)."""
    nodes = json.loads(Path(manifest).read_text())["nodes"].values()
    return {
        node["name"]: [(column["name"], column["data_type"]) for column in node["columns"].values()]
        for node in nodes
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }


def marts_folder(warehouse: str | Path) -> Path:
    """Where Spark writes the marts: ``<warehouse>.spark/tables/marts/<mart>/``."""
    return spark_root(warehouse) / "tables" / "marts"


def holds_parquet(folder: Path) -> bool:
    return folder.is_dir() and next(folder.rglob("*.parquet"), None) is not None


def mart_statement(name: str, table: str, folder: Path, columns: list[tuple[str, str]]) -> str:
    """The statement ``name`` (a .sql file) on one mart's Parquet folder, its columns read
    with the given DuckDB types (Spark's differ: int for bigint, bigint for hugeint)."""
    quoted = {column: '"' + column.replace('"', '""') + '"' for column, _ in columns}
    listed = ", ".join(
        f"cast({quoted[column]} as {data_type}) as {quoted[column]}"
        for column, data_type in columns
    )
    statement = _statement(name, table=table, folder=str(folder))
    return statement.replace("{{ columns }}", listed)


def attach_marts(con: duckdb.DuckDBPyConnection, warehouse: str | Path, manifest: Path) -> None:
    """Copy the Spark marts into the warehouse file (replacing the earlier copies), each
    with the columns and types of a DuckDB build."""
    con.execute("create schema if not exists marts")
    for name, columns in sorted(mart_columns(manifest).items()):
        folder = marts_folder(warehouse) / name
        if holds_parquet(folder):
            con.execute(mart_statement("spark_mart_copy", name, folder, columns))


VIEW_MACROS = ("run-operation", "install_view_macros", "--target", "duckdb", "--quiet")


def install_view_macros(warehouse: str | Path) -> None:
    """The serving layer's DuckDB table macros in the warehouse file (a dbt run-operation
    on the DuckDB target, which writes the macros and nothing else)."""
    target = settings.dbt_target_path(warehouse)
    completed = subprocess.run(
        [
            str(settings.DBT_EXECUTABLE),
            *VIEW_MACROS,
            *settings.dbt_vars(warehouse),
            "--target-path",
            f"{target}-views",
        ],
        cwd=settings.DBT_PROJECT_DIR,
        env=settings.dbt_environment(),
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            "making the view macros after the Spark build failed: "
            + (completed.stdout.strip().splitlines() or ["no output"])[-1]
        )
