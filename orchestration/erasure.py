"""Erase one person on request (GDPR art. 17), for good.

The person's interactions are deleted from raw, and the erasure is recorded in raw.erasures
as a keyed pseudonym (never the raw id) with the earliest deleted interaction. dbt's change
set (``int_changed_users``) reads it like new rows: the build that follows rewrites every
month from there on without the person, so no table and no derived number keeps them:
on DuckDB, and on Spark for a warehouse built there (raw's Parquet written again, the
same build with ``--target spark``, the marts copied into the warehouse file, as a nightly
on Spark does). A new serving snapshot for ``chatwh serve`` is published (the one that
still held them is deleted). Ingest skips that person's interactions in every later load, including
re-loads of old files.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import settings, spark
from .pseudonym import normalize_wa_id, pseudonymize
from .serve.snapshot import publish
from .sql import load
from .warehouse import (
    WarehouseBusy,
    check_pseudonym_key,
    connect,
    ensure_raw_schema,
    require_duckdb_file,
    require_warehouse,
    writer_lock,
)


@dataclass(frozen=True)
class ErasureResult:
    pseudonym: str
    interactions: int
    already_erased: bool = False  # the erasure was recorded by an earlier `forget`


def _user_id(channel: str, identifier: str, key: bytes) -> str:
    """The person's id in the raw tables: WhatsApp ids are stored pseudonymized."""
    return pseudonymize(key, identifier) if channel == "whatsapp" else identifier


def forget(
    warehouse: Path, channel: str, identifier: str, wait_seconds: float = 60.0
) -> ErasureResult:
    """Erase the person ``identifier`` (a wa_id or a web anonymousId) from the warehouse.

    The erasure is recorded even when nobody matches (``interactions == 0``): files that
    hold the person and are loaded later skip them.
    """
    identifier = normalize_wa_id(identifier) if channel == "whatsapp" else identifier.strip()
    if not identifier:
        raise ValueError("the id to erase is empty")
    key = settings.pseudonym_key()
    pseudonym = pseudonymize(key, identifier)
    user_id = _user_id(channel, identifier, key)
    # a mistyped path, an empty or a foreign file: said in one line, nothing created (not
    # even the lock file); while a run writes it, it is checked again under the lock
    require_duckdb_file(warehouse)
    with contextlib.suppress(WarehouseBusy):
        require_warehouse(warehouse)
    with writer_lock(warehouse, wait_seconds):
        with connect(warehouse) as con:
            require_warehouse(warehouse, con)
            ensure_raw_schema(con)
            # another key's pseudonym would match nobody, and keep nobody out of later loads
            check_pseudonym_key(con, key, warehouse)
            con.begin()
            person = {"channel": channel, "pseudonym": pseudonym}
            [(already_erased,)] = con.execute(load("erasure_already_erased"), person).fetchall()
            [(interactions, erased_from)] = con.execute(
                load(f"erasure_interactions_{channel}"), {"user_id": user_id}
            ).fetchall()
            con.execute(load("erasure_record"), {**person, "erased_from": erased_from})
            con.execute(load(f"erasure_delete_{channel}"), {"user_id": user_id})
            if channel == "web":
                con.execute(load("erasure_delete_web_quarantine"), {"identifier": identifier})
            [(built_on_duckdb,)] = con.execute(load("erasure_build_log")).fetchall()
            con.commit()
        if erased_from is not None:  # nobody matched: nothing to rebuild
            rebuild_marts(warehouse, on_duckdb=built_on_duckdb)
    return ErasureResult(pseudonym, interactions, already_erased)


# The dbt command that rebuilds everything downstream of the change set (which now holds
# the erasure), testing what it rebuilt, as the nightly does.
REBUILD_FROM_CHANGES = (
    "build",
    "--select",
    "int_changed_users+",
    "--exclude-resource-type",
    "unit_test",
    *settings.dbt_tests_left_out("duckdb", full_build=False),
)
# The same on Spark, with the views upstream of the change set: Spark's catalog lives in
# memory, so a view exists only in the dbt invocation that made it (the tables an earlier
# build left are registered again, macro register_spark_tables).
REBUILD_ON_SPARK = (
    "build",
    "--select",
    "+int_changed_users+",
    "--exclude-resource-type",
    "unit_test",
    *settings.dbt_tests_left_out("spark", full_build=False),
    "--target",
    "spark",
)


def rebuild_marts(warehouse: Path, on_duckdb: bool = True) -> None:
    """Rebuild the sessions and every model downstream of the change set, on each engine
    that built the warehouse, then publish a new serving snapshot.

    On DuckDB when the file holds dbt's build_log. On Spark when the warehouse has its Spark
    side (``<warehouse>.spark/``, orchestration/spark.py), as a nightly on Spark does: raw
    written as Parquet again (without the person), the build on Spark, its marts copied into
    the warehouse file (where the checks, the views and the snapshot read them).
    """
    rebuilt = on_duckdb
    if on_duckdb:
        _dbt_build(warehouse, REBUILD_FROM_CHANGES, ": run `chatwh run` to rebuild")
    if spark.spark_root(warehouse).is_dir():
        spark_vars = spark.prepare_build(warehouse)
        if spark_vars["spark_tables"]:  # a Spark build left tables: rebuilt without the person
            manifest = _dbt_build(
                warehouse,
                REBUILD_ON_SPARK,
                " on Spark: run `chatwh run --engine spark --full-refresh` to rebuild",
                spark_vars,
            )
            with connect(warehouse) as con:
                spark.attach_marts(con, warehouse, manifest)
            rebuilt = True
    if rebuilt:
        with connect(warehouse) as con:
            # the API's copy of the marts forgets the person too (the older copy is deleted)
            publish(con, settings.serving_dir(warehouse))


def _dbt_build(
    warehouse: Path, command: tuple[str, ...], failed: str, extra_vars: dict | None = None
) -> Path:
    """dbt's ``command`` on the warehouse, in the nightly's target folder (its saved parse
    serves both): the path of the manifest it wrote. ``failed`` ends the error's line."""
    target = settings.dbt_target_path(warehouse)
    completed = subprocess.run(
        [
            str(settings.DBT_EXECUTABLE),
            *command,
            *settings.dbt_vars(warehouse, **(extra_vars or {})),
            "--target-path",
            str(target),
            "--quiet",
        ],
        cwd=settings.DBT_PROJECT_DIR,
        env=settings.dbt_environment(),
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt build after the erasure failed{failed}")
    return target / "manifest.json"
