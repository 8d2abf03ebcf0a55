"""The DuckDB warehouse file: connections, the one-writer lock, and the raw schema.

DuckDB lets one process write a database file at a time. Every writer (a pipeline run,
an erasure) first takes an exclusive lock on ``<warehouse>.lock``, so a second writer
waits for the first or stops with one clear line; readers open the file read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb


class WarehouseBusy(Exception):
    """Another process is writing to the warehouse."""


def _tune(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    memory = os.environ.get("CHATWH_MEMORY_LIMIT", "3GB")
    con.execute(f"set memory_limit = '{memory}'")
    con.execute("set preserve_insertion_order = true")
    spill = path.parent / f".{path.name}.tmp"
    con.execute(f"set temp_directory = '{spill}'")
    con.execute("set TimeZone = 'UTC'")


def connect(
    path: Path, read_only: bool = False, wait_seconds: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds DuckDB's file lock.

    A writer waits up to 30 s by default (a dbt subprocess that just finished may still be
    closing the file); a reader 2 s, then fails with WarehouseBusy.
    """
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `chatwh run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (
        wait_seconds if wait_seconds is not None else 2.0 if read_only else 30.0
    )
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse busy: {path} is being written, retry shortly"
                ) from None
            time.sleep(0.2)
    _tune(con, path)
    return con


@contextlib.contextmanager
def writer_lock(path: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the exclusive writer lock of the warehouse, waiting up to ``wait_seconds``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_file = path.with_name(path.name + ".lock")
    with open(lock_file, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another run is writing to {path}; wait for it to finish (or pass --wait)"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


RAW_SCHEMA = """
create schema if not exists raw;

create table if not exists raw.assistants (
    assistant_id varchar primary key,
    name varchar not null,
    timezone varchar not null,
    whatsapp_phone_number_id varchar
);

create table if not exists raw.web_events (
    message_id varchar not null,
    assistant_id varchar not null,
    anonymous_id varchar not null,
    event_name varchar not null,
    occurred_at timestamp not null,
    arrival_date date not null,
    source_file varchar not null,
    line_number bigint not null,
    loaded_at timestamp not null,
    message_key ubigint not null  -- message_key_sql(message_id): see ingest.SEEN_BEFORE
);

create table if not exists raw.whatsapp_messages (
    message_id varchar not null,
    assistant_id varchar not null,
    user_id varchar not null,
    message_type varchar not null,
    occurred_at timestamp not null,
    arrival_date date not null,
    source_file varchar not null,
    line_number bigint not null,
    record_index integer not null,
    loaded_at timestamp not null
);

create table if not exists raw.quarantine (
    arrival_date date not null,
    channel varchar not null,
    source_file varchar not null,
    line_number bigint,
    record_index integer,
    reason varchar not null,
    record json,
    raw_sha256 varchar,
    raw_bytes bigint,
    quarantined_at timestamp not null
);

create table if not exists raw.load_audit (
    arrival_date date not null,
    channel varchar not null,
    source_file varchar not null,
    records bigint not null,
    loaded bigint not null,
    skipped bigint not null,
    duplicates bigint not null,
    quarantined bigint not null,
    erased bigint not null,
    loaded_at timestamp not null
);

create table if not exists raw.reloads (
    channel varchar not null,
    arrival_date date not null,
    replaced_from timestamp not null,  -- earliest interaction among the rows the load deleted
    reloaded_at timestamp not null
);

create table if not exists raw.erasures (
    channel varchar not null,
    user_id varchar not null,
    erased_at timestamp not null,
    erased_from timestamp  -- earliest interaction deleted from raw; null: none matched
);
-- a warehouse made before erased_from existed
alter table raw.erasures add column if not exists erased_from timestamp;
"""


def message_key_sql(message_id_sql: str) -> str:
    """A web event's ``message_key``: 64 bits of the md5 of its ``messageId`` (a function
    documented and stable across DuckDB versions, unlike ``hash``). Ingest finds a
    redelivered ``messageId`` among the keys (8 bytes a row) before it reads any id."""
    return f"md5_number_lower({message_id_sql})"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables that ingest writes (idempotent), and bring older ones up to date."""
    columns, keyed = con.execute(
        "select count(*), count(*) filter (where column_name = 'message_key') "
        "from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'raw' and table_name = 'web_events'"
    ).fetchall()[0]
    con.execute(RAW_SCHEMA)
    if columns and not keyed:  # a warehouse made before message_key existed
        con.execute("alter table raw.web_events add column message_key ubigint")
        con.execute(f"update raw.web_events set message_key = {message_key_sql('message_id')}")
        con.execute("alter table raw.web_events alter column message_key set not null")
