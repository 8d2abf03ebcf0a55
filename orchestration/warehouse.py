"""The DuckDB warehouse file: connections, the one-writer lock, and the raw schema.

DuckDB lets one process write a database file at a time. Every writer (a pipeline run,
an erasure) first takes an exclusive lock on ``<warehouse>.lock``, so a second writer
waits for the first or stops with one clear line; readers open the file read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import settings
from .pseudonym import key_fingerprint
from .sql import load as load_sql


class WarehouseBusy(Exception):
    """Another process is writing to the warehouse."""


NO_EXTENSION_DOWNLOADS = """
set autoinstall_known_extensions = false;
set autoload_known_extensions = false;
"""


def forbid_extension_downloads(con: duckdb.DuckDBPyConnection) -> None:
    """No extension is ever installed or loaded behind the user's back (a download at run
    time; offline, a wait and an obscure error): the ones this project uses are built into
    DuckDB's Python package, and the landing zone is read through fsspec (landing_fs.py)."""
    con.execute(NO_EXTENSION_DOWNLOADS)


class NotAWarehouse(Exception):
    """The path holds no chat warehouse: nothing there, or a file of something else."""


class KeyMismatch(Exception):
    """CHATWH_PSEUDONYM_KEY is not the key the warehouse's WhatsApp users were made with."""


def _tune(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    forbid_extension_downloads(con)
    con.execute(f"set memory_limit = '{settings.memory_limit()}'")
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
    message_key ubigint not null  -- message_key_sql(message_id): ingest/sql/duplicates_seen_web.sql
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

-- the fingerprint of the pseudonym key (never the key), written by the first load
create table if not exists raw.pseudonym_key (
    fingerprint varchar not null,
    recorded_at timestamp not null
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


# --------------------------------------------------------------------------- what a file is

# DuckDB's main header: an 8-byte checksum, then these 4 bytes.
DUCKDB_MAGIC = b"DUCK"


@dataclass(frozen=True)
class Contents:
    """What a DuckDB file holds (see sql/warehouse_tables.sql)."""

    tables: int
    has_raw: bool
    has_marts: bool
    has_key_fingerprint: bool


def is_duckdb_file(path: Path) -> bool:
    """True when the file starts with DuckDB's header (read without opening a database)."""
    with open(path, "rb") as handle:
        return handle.read(12)[8:12] == DUCKDB_MAGIC


def _contents(con: duckdb.DuckDBPyConnection) -> Contents:
    return Contents(*con.execute(load_sql("warehouse_tables")).fetchall()[0])


def require_duckdb_file(path: Path) -> None:
    """NotAWarehouse when nothing is at ``path`` or no DuckDB file (the file is not opened)."""
    if not path.exists():
        raise NotAWarehouse(f"no warehouse at {path}: run `chatwh run` first")
    if path.is_dir() or not is_duckdb_file(path):
        raise NotAWarehouse(
            f"{path} is not a DuckDB file: point --warehouse (or CHATWH_WAREHOUSE) at the warehouse"
        )


def _require_chat_tables(path: Path, contents: Contents) -> Contents:
    if not contents.tables:
        raise NotAWarehouse(
            f"no warehouse at {path} (an empty DuckDB file): run `chatwh run` first"
        )
    if not contents.has_raw:
        raise NotAWarehouse(
            f"{path} is a DuckDB database but not a chat warehouse: point --warehouse "
            "(or CHATWH_WAREHOUSE) at the warehouse"
        )
    return contents


def require_warehouse(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> Contents:
    """What the chat warehouse at ``path`` holds; NotAWarehouse, naming what is there
    instead, when it is missing, no DuckDB file, an empty database or a foreign one.

    ``con``: a connection to it already open; else the file is opened read-only for the
    check. Nothing is created or changed.
    """
    require_duckdb_file(path)
    if con is not None:
        return _require_chat_tables(path, _contents(con))
    with connect(path, read_only=True) as reader:
        return _require_chat_tables(path, _contents(reader))


def open_for_queries(path: Path, need_marts: bool = True) -> duckdb.DuckDBPyConnection:
    """The views' read-only connection, to a chat warehouse whose marts dbt has built
    (``need_marts=False``: any chat warehouse, as `chatwh status` reads a failed first run)."""
    require_duckdb_file(path)
    con = connect(path, read_only=True)
    try:
        contents = _require_chat_tables(path, _contents(con))
        if need_marts and not contents.has_marts:
            raise NotAWarehouse(f"the warehouse at {path} has no marts yet: run `chatwh run`")
    except BaseException:
        con.close()
        raise
    return con


def check_before_run(path: Path, key: bytes) -> None:
    """Before a run writes anything: ``path`` is new, an empty DuckDB file (an older
    `make docs` made them) or a chat warehouse made with this pseudonym key. Called under
    the writer lock."""
    if not path.exists():
        return
    require_duckdb_file(path)
    with connect(path, read_only=True) as con:
        contents = _contents(con)
        if not contents.tables:
            return
        _require_chat_tables(path, contents)
        check_pseudonym_key(con, key, path)


def recorded_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the key the warehouse was built with (None before its first load,
    and in a warehouse made before fingerprints were kept, until its next load)."""
    if not _contents(con).has_key_fingerprint:
        return None
    return con.execute("select max(fingerprint) from raw.pseudonym_key").fetchall()[0][0]


def check_pseudonym_key(
    con: duckdb.DuckDBPyConnection, key: bytes, path: Path | None = None
) -> bool:
    """KeyMismatch when the warehouse holds another key's fingerprint; False when it holds
    none yet (before its first load)."""
    recorded = recorded_fingerprint(con)
    if recorded is not None and recorded != key_fingerprint(key):
        warehouse = f"the warehouse {path}" if path else "this warehouse"
        raise KeyMismatch(
            f"CHATWH_PSEUDONYM_KEY is not the key {warehouse} was built with, so "
            "returning WhatsApp users would count as new; nothing was changed: export its key, "
            "or change keys with `chatwh rekey` (docs/operations.md)"
        )
    return recorded is not None


def guard_pseudonym_key(
    con: duckdb.DuckDBPyConnection, key: bytes, path: Path | None = None
) -> None:
    """In every load, before it writes: the key must be the warehouse's; the first load
    records its fingerprint."""
    if not check_pseudonym_key(con, key, path):
        con.execute(
            "insert into raw.pseudonym_key values (?, now()::timestamp)", [key_fingerprint(key)]
        )
