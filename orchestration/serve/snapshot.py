"""The serving snapshot: what the views read of the marts, published after every good build.

DuckDB lets one process write a file, and refuses to open it read-only while that process
holds it: an API that read the warehouse would fail (or wait) for the whole of every
nightly run. So every successful run (the Dagster asset ``serving/snapshot``, downstream of
the marts and of their blocking checks) and every erasure publishes a *snapshot*: a small
DuckDB file with what the views read of the marts (no user id) and the view macros,
written under a temporary name,
checkpointed, renamed into ``<warehouse>.serving/`` under a name of its own, and then
made current by replacing the symlink ``current.duckdb`` (one atomic rename). Older
snapshots are deleted at once: a server still reading one keeps its open file (POSIX), and
an erased person leaves no copy behind.

The server holds the current snapshot open read-only and, on every request, compares the
file the link names with the one it holds (one ``stat``): the first request after a publish
opens the new file and every later one reads it, so an answer is always that of one whole
build, the previous or the new one, and no restart is needed.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .. import views
from ..warehouse import connect
from .answers import Answers
from .sql import identifier, literal, sql

# The marts a snapshot is made from: what the views read (orchestration/views.py, through
# the macros of dbt_project/macros/view_macros.sql).
SERVING_SOURCES = (
    "dim_assistants",
    "session_chains_daily",
    "fct_user_day_links",
    "customers",
    "dashboard_monthly_users",
)
# Those copied row for row (none holds a user id).
SERVING_TABLES = ("dim_assistants", "session_chains_daily", "dashboard_monthly_users")
# What a snapshot makes of the others, without the users: the Customers series' table from
# fct_user_day_links, the first sessions per day from customers, the Dashboard's month-to-date
# users per day from session_chains_daily; then the macros that read them in place of the
# warehouse's (sql/snapshot_views.sql; docs/design.md "Serving the views over HTTP").
SERVING_ONLY = ("snapshot_day_links", "snapshot_new_users", "snapshot_dashboard_days")
CURRENT = "current.duckdb"
PREFIX = "snapshot-"


class NoSnapshot(Exception):
    """No build has been published for serving yet."""


@dataclass(frozen=True)
class Published:
    path: Path
    published_at: str
    seconds: float
    bytes: int


def current_link(serving: Path) -> Path:
    return serving / CURRENT


def publish(con: duckdb.DuckDBPyConnection, serving: Path) -> Published:
    """Copy the serving marts and the view macros of the warehouse open (read-write) in
    ``con`` into a new snapshot in ``serving``, make it the current one, delete the others.

    Only a writer of the warehouse calls this (a run, an erasure), under its writer lock, so
    two publishes never overlap.
    """
    began = datetime.now(UTC)
    missing = [row[0] for row in _rows(con, sql("missing_tables"), SERVING_SOURCES)]
    if missing:
        raise NoSnapshot(f"the warehouse has no marts.{missing[0]} yet: run `chatwh run` first")
    serving.mkdir(parents=True, exist_ok=True)
    name = f"{PREFIX}{began.strftime('%Y%m%dT%H%M%S%fZ')}.duckdb"
    scratch = serving / f".{name}.tmp"
    warehouse = con.execute("select current_database()").fetchall()[0][0]
    try:
        con.execute(
            sql("snapshot_copy_catalog").format(
                snapshot=literal(str(scratch)), warehouse=identifier(warehouse)
            )
        )
        for kind, *names in _rows(con, sql("snapshot_unserved"), SERVING_TABLES):
            target = ".".join(identifier(name) for name in ("serving_snapshot", *names) if name)
            con.execute(f"drop {kind} {target}" + (" cascade" if kind == "schema" else ""))
        for table in SERVING_TABLES:
            con.execute(sql("snapshot_fill").format(table=identifier(table)))
        for statement in SERVING_ONLY:
            con.execute(sql(statement))
        con.execute("use serving_snapshot")  # its macros read its own tables
        try:
            con.execute(sql("snapshot_views"))
        finally:
            con.execute(f"use {identifier(warehouse)}")
        con.execute(sql("snapshot_info"), {"published_at": began.replace(tzinfo=None)})
        con.execute("detach serving_snapshot")  # checkpoints: the file is whole, no WAL
    except BaseException:
        con.execute("detach database if exists serving_snapshot")
        for leftover in serving.glob(f"{scratch.name}*"):  # the file and its WAL
            leftover.unlink(missing_ok=True)
        raise
    _fsync(scratch)
    final = serving / name
    os.replace(scratch, final)
    _point_current_at(serving, name)
    _delete_all_but(serving, name)
    return Published(
        path=final,
        published_at=began.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        seconds=(datetime.now(UTC) - began).total_seconds(),
        bytes=final.stat().st_size,
    )


def _rows(con: duckdb.DuckDBPyConnection, query: str, tables: tuple[str, ...]) -> list[tuple]:
    return con.execute(query, {"serving_tables": list(tables)}).fetchall()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _point_current_at(serving: Path, name: str) -> None:
    """Replace ``current.duckdb`` by a link to ``name`` in one rename (never missing)."""
    staged = serving / f".{CURRENT}.{os.getpid()}.tmp"
    staged.unlink(missing_ok=True)
    staged.symlink_to(name)
    os.replace(staged, current_link(serving))
    _fsync(serving)


def _delete_all_but(serving: Path, name: str) -> None:
    """Every other snapshot goes, and what a publish that died left behind."""
    for path in serving.iterdir():
        stale = path.name.startswith(PREFIX) and path.name != name
        scratch = path.name.startswith(f".{PREFIX}")  # a scratch file, or its WAL
        if (stale or scratch) and path.is_file():
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the reader


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot, open read-only."""

    identity: tuple[int, int]  # (st_dev, st_ino) of the snapshot file
    connection: duckdb.DuckDBPyConnection
    published_at: str
    assistant_ids: frozenset[str]  # read once: a snapshot never changes
    answers: Answers = field(default_factory=Answers, compare=False)  # nor do its answers

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own (one per request and thread) on this snapshot."""
        return self.connection.cursor()


class SnapshotReader:
    """The current snapshot of a serving folder, open read-only, followed from build to build.

    ``current()`` is called once per request, and the request reads that snapshot only
    (through its own ``cursor()``). A snapshot that is no longer current is not closed: the
    cursors still reading it keep it open, and it closes when the last of them does.
    """

    def __init__(self, serving: Path) -> None:
        self.link = current_link(serving)
        self._open: Snapshot | None = None
        self._switch = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.current().cursor()

    def current(self) -> Snapshot:
        """The newest snapshot, opened first if it changed since the last request."""
        held = self._open
        if held is None or self._identity() != held.identity:
            with self._switch:
                held = self._open
                if held is None or self._identity() != held.identity:
                    held = self._open = self._open_newest()
        return held

    def published_at(self) -> str:
        return self.current().published_at

    def _identity(self) -> tuple[int, int]:
        try:
            status = os.stat(self.link)
        except FileNotFoundError:
            raise NoSnapshot(
                f"no serving snapshot in {self.link.parent}: every `chatwh run` publishes one"
            ) from None
        return status.st_dev, status.st_ino

    def _open_newest(self) -> Snapshot:
        for _attempt in range(5):  # a publish may delete the file between resolve and open
            target = self.link.resolve()
            try:
                status = target.stat()
                connection = connect(target, read_only=True)
                connection.execute(sql("snapshot_reader_settings"))
            except (FileNotFoundError, duckdb.IOException):
                self._identity()  # no link at all: NoSnapshot
                continue
            [[published_at]] = connection.execute(sql("snapshot_published_at")).fetchall()
            return Snapshot(
                identity=(status.st_dev, status.st_ino),
                connection=connection,
                published_at=published_at,
                assistant_ids=frozenset(views.assistant_ids(connection)),
            )
        raise NoSnapshot(f"the serving snapshot {self.link} keeps changing: retry")
