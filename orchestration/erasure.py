"""Erase one person on request (GDPR art. 17), for good.

The person's interactions are deleted from raw, and the erasure is recorded in raw.erasures
as a keyed pseudonym (never the raw id) with the earliest deleted interaction. dbt's change
set (``int_changed_users``) reads it like new rows: the build that follows rewrites every
month from there on without the person, so no table and no derived number keeps them.
A new serving snapshot for ``chatwh serve`` is published (the one that still held
them is deleted). Ingest skips that person's interactions in every later load, including
re-loads of old files.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .pseudonym import normalize_wa_id, pseudonymize
from .serve.snapshot import publish
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
    table = "raw.web_events" if channel == "web" else "raw.whatsapp_messages"
    column = "anonymous_id" if channel == "web" else "user_id"
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
            con.execute("begin transaction")
            already_erased = con.execute(
                "select count(*) > 0 from raw.erasures where channel = ? and user_id = ?",
                [channel, pseudonym],
            ).fetchall()[0][0]
            interactions, erased_from = con.execute(
                f"select count(*), min(occurred_at) from {table} where {column} = ?", [user_id]
            ).fetchall()[0]
            con.execute(
                "insert into raw.erasures select ?, ?, now()::timestamp, ? "
                "where ? is not null or not exists "
                "(select 1 from raw.erasures where channel = ? and user_id = ?)",
                [channel, pseudonym, erased_from, erased_from, channel, pseudonym],
            )
            con.execute(f"delete from {table} where {column} = ?", [user_id])
            if channel == "web":
                con.execute(
                    "delete from raw.quarantine where channel = 'web' "
                    "and record ->> 'anonymousId' = ?",
                    [identifier],
                )
            built = con.execute(
                "select count(*) from information_schema.tables where table_name = 'build_log'"
            ).fetchall()[0][0]
            con.execute("commit")
        if built and erased_from is not None:  # nobody matched: nothing to rebuild
            rebuild_marts(warehouse)
    return ErasureResult(pseudonym, interactions, already_erased)


# The dbt command that rebuilds everything downstream of the change set (which now holds
# the erasure), testing what it rebuilt, as the nightly does.
REBUILD_FROM_CHANGES = (
    "build",
    "--select",
    "int_changed_users+",
    "--exclude-resource-type",
    "unit_test",
)


def rebuild_marts(warehouse: Path) -> None:
    """Rebuild the sessions and every model downstream of the change set."""
    completed = subprocess.run(
        [
            str(settings.DBT_EXECUTABLE),
            *REBUILD_FROM_CHANGES,
            *settings.dbt_vars(warehouse),
            "--quiet",
        ],
        cwd=settings.DBT_PROJECT_DIR,
        env=settings.dbt_environment(),
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError("dbt build after the erasure failed: run `chatwh run` to rebuild")
    with connect(warehouse) as con:
        # the API's copy of the marts forgets the person too (the older copy is deleted)
        publish(con, settings.serving_dir(warehouse))
