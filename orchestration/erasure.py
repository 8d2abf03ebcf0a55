"""Erase one person on request (GDPR art. 17), for good.

The person's interactions are deleted from raw, and the erasure is recorded in raw.erasures
as a keyed pseudonym (never the raw id) with the earliest deleted interaction. dbt's change
set (``int_changed_users``) reads it like new rows: the build that follows rewrites every
month from there on without the person, so no table and no derived number keeps them.
Ingest skips that person's interactions in every later load, including re-loads of old files.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .pseudonym import pseudonymize
from .warehouse import connect, ensure_raw_schema, writer_lock


@dataclass(frozen=True)
class ErasureResult:
    pseudonym: str
    interactions: int


def _user_id(channel: str, identifier: str, key: bytes) -> str:
    """The person's id in the raw tables: WhatsApp ids are stored pseudonymized."""
    return pseudonymize(key, identifier) if channel == "whatsapp" else identifier


def forget(
    warehouse: Path, channel: str, identifier: str, wait_seconds: float = 60.0
) -> ErasureResult:
    """Erase the person ``identifier`` (a wa_id or a web anonymousId) from the warehouse."""
    identifier = identifier.strip()
    if not identifier:
        raise ValueError("the id to erase is empty")
    if not warehouse.exists():  # a mistyped path must not create a new, empty warehouse
        raise FileNotFoundError(f"no warehouse at {warehouse}: check --warehouse")
    key = settings.pseudonym_key()
    pseudonym = pseudonymize(key, identifier)
    user_id = _user_id(channel, identifier, key)
    table = "raw.web_events" if channel == "web" else "raw.whatsapp_messages"
    column = "anonymous_id" if channel == "web" else "user_id"
    with writer_lock(warehouse, wait_seconds):
        with connect(warehouse) as con:
            ensure_raw_schema(con)
            con.execute("begin transaction")
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
        if built and erased_from is not None:
            rebuild_marts(warehouse)
    return ErasureResult(pseudonym=pseudonym, interactions=interactions)


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
        [str(settings.DBT_EXECUTABLE), *REBUILD_FROM_CHANGES, "--quiet"],
        cwd=settings.DBT_PROJECT_DIR,
        env={
            **os.environ,
            "CHATWH_WAREHOUSE": str(warehouse),
            "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR),
        },
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError("dbt build after the erasure failed: run `chatwh run` to rebuild")
