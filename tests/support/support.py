"""Helpers shared by the end-to-end test modules."""

from __future__ import annotations

import fcntl
import gzip
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import duckdb
import pytest


def arrival_days(landing: Path) -> list[date]:
    """Every dt folder of the landing zone, either channel."""
    return sorted(
        {
            date.fromisoformat(folder.name[3:])
            for folder in landing.glob("*/dt=*")
            if folder.is_dir()
        }
    )


def read_lines(path: Path) -> list[str]:
    """The lines of a landing file, gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        return handle.read().splitlines()


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with one line on stderr that names what was wrong."""
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert line.startswith("chatwh") and "error" in line, line
    for word in words:
        assert word in line, (word, line)
    return line


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a warehouse opened read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def build_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """A folder built once per test session, even across pytest-xdist workers: the first
    worker that needs it builds it, the others wait for it, then all use it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, shared by the workers
    folder = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


# The marts a nightly rewrites in part: after any nightlies they equal a full build's.
INCREMENTAL_MARTS = (
    "fct_sessions",
    "customers",
    "fct_user_days",
    "fct_user_day_links",
    "fct_user_months",
    "session_chains_daily",
)


def mart_rows(con: duckdb.DuckDBPyConnection, marts: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row of each mart, all columns but when it was built, in one order."""
    return {
        mart: con.execute(f"select * exclude (built_at) from marts.{mart} order by all").fetchall()
        for mart in marts
    }


def compare_tables(
    left: Path, right: Path, tables: Mapping[str, str]
) -> dict[str, tuple[list, list, tuple[int, int]]]:
    """Per table (name -> select list), the rows only in left and only in right (EXCEPT ALL
    both ways, first 5 each) and the two row counts."""
    compared = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        for table, columns in tables.items():
            only_left = con.execute(
                f"select {columns} from l.{table} except all select {columns} from r.{table}"
            ).fetchall()
            only_right = con.execute(
                f"select {columns} from r.{table} except all select {columns} from l.{table}"
            ).fetchall()
            counts = tuple(
                con.execute(f"select count(*) from {side}.{table}").fetchall()[0][0]
                for side in ("l", "r")
            )
            compared[table] = (only_left[:5], only_right[:5], counts)
    return compared


def unbuilt_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Raw interactions loaded after the newest complete build (all of them before the
    first): what the next build's change set (int_changed_users) starts from."""
    logged = con.execute(
        "select count(*) from information_schema.tables where table_name = 'build_log'"
    ).fetchall()[0][0]
    built = "(select max(built_at) from intermediate.build_log)" if logged else "null"
    return con.execute(
        f"""
        select count(*) from (
            select loaded_at from raw.web_events
            union all
            select loaded_at from raw.whatsapp_messages
        )
        where loaded_at > coalesce({built}, timestamp '1900-01-01')
        """
    ).fetchall()[0][0]
