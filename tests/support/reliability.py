"""Builders of the reliability tests (crashes, concurrent runs and queries, erasure): the
reference (a small simulated landing zone and the warehouse of one uninterrupted `chatwh
run`, built once per session), runs watched and killed, and where a value is found."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from tests.conftest import CHATWH, Deployment, make_deployment
from tests.support.support import compare_tables

START = date(2026, 1, 1)
DAYS = 4
USERS = 80
# Tables compared with the reference; columns that record *when* a row was written differ.
COMPARED = {
    "marts.customers": "* exclude (built_at)",
    "marts.dashboard_monthly_users": "*",
    "marts.session_chains_daily": "* exclude (built_at)",
    "marts.fct_user_days": "* exclude (built_at)",
    "marts.fct_sessions": "* exclude (built_at)",
    "intermediate.int_sessions": "* exclude (built_at)",
    "raw.web_events": "* exclude (loaded_at)",
    "raw.whatsapp_messages": "* exclude (loaded_at)",
    "raw.load_audit": "* exclude (loaded_at)",
    "raw.quarantine": "* exclude (quarantined_at)",
}


# --------------------------------------------------------------------------- helpers


def differences(left: Path, right: Path, tables: dict[str, str] = COMPARED) -> dict[str, tuple]:
    """Tables with rows on one side only (EXCEPT ALL both ways), with the row counts."""
    return {
        table: (only_left[:3], only_right[:3], counts)
        for table, (only_left, only_right, counts) in compare_tables(left, right, tables).items()
        if only_left or only_right
    }


def open_when_free(warehouse: Path, seconds: float = 60) -> duckdb.DuckDBPyConnection:
    """Open the warehouse once the processes of a killed run are gone (the kernel drops the
    file lock of a killed process as it tears it down, a moment after the kill)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return duckdb.connect(str(warehouse))
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def copy_warehouse(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


def one_error_line(stderr: str) -> list[str]:
    """stderr without the progress lines of `chatwh run` (indented by two spaces)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("  ")]


@dataclass
class Watched:
    """A `chatwh` process in its own session, its stderr lines read as they come."""

    process: subprocess.Popen
    lines: list[tuple[float, str]] = field(default_factory=list)
    stdout: str = ""
    ended_at: float | None = None
    seen: threading.Condition = field(default_factory=threading.Condition)
    readers: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def start(cls, *args: str, env: dict[str, str]) -> Watched:
        process = subprocess.Popen(
            [CHATWH, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        watched = cls(process)
        for target in (watched._read_stderr, watched._read_stdout):
            watched.readers.append(threading.Thread(target=target, daemon=True))
            watched.readers[-1].start()
        return watched

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            with self.seen:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.seen.notify_all()
        self.process.wait()
        with self.seen:
            self.ended_at = time.monotonic()
            self.seen.notify_all()

    def _read_stdout(self) -> None:
        self.stdout = self.process.stdout.read()

    def wait_for(self, text: str, timeout: float = 600) -> float | None:
        """When a stderr line containing ``text`` came, or None if the process ended first."""
        deadline = time.monotonic() + timeout
        with self.seen:
            while True:
                for moment, line in self.lines:
                    if text in line:
                        return moment
                if self.ended_at is not None or time.monotonic() > deadline:
                    return None
                self.seen.wait(timeout=1)

    def kill_group(self) -> None:
        """SIGKILL the whole run, dbt included: what a lost machine does."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while _live_group_members(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _live_group_members(self.process.pid), "a process of the killed run lives on"

    def finish(self, timeout: float = 900) -> int:
        code = self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=30)
        return code

    @property
    def stderr(self) -> str:
        return "\n".join(line for _, line in self.lines)


def _live_group_members(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def text_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every table and view of the warehouse with its text-like columns (text, JSON, nested)."""
    rows = con.execute(
        """
        select table_schema, table_name, column_name, data_type
        from information_schema.columns
        where table_catalog = current_database()
            and table_schema not in ('information_schema', 'pg_catalog')
        order by all
        """
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for schema, table, column, data_type in rows:
        name = f'"{schema}"."{table}"'
        columns.setdefault(name, [])
        if re.match(r"(VARCHAR|JSON|STRUCT|MAP|UNION)", data_type) or data_type.endswith("]"):
            columns[name].append(column)
    return columns


def where_found(warehouse: Path, needle: str) -> set[str]:
    """``schema.table.column`` of every text column that contains ``needle``."""
    found = set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = text_columns(con)
        assert len(tables) > 10, "the warehouse should hold raw, staging, intermediate and marts"
        for table, columns in tables.items():
            for column in columns:
                hits = con.execute(
                    f'select count(*) from {table} where contains("{column}"::varchar, ?)',
                    [needle],
                ).fetchall()[0][0]
                if hits:
                    found.add(f"{table.replace(chr(34), '')}.{column}")
    return found


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Reference:
    deployment: Deployment
    days: list[date]


def _build_reference(folder: Path) -> None:
    deployment = make_deployment(folder)
    deployment.chatwh(
        "simulate",
        "--out",
        str(deployment.landing),
        "--start",
        START.isoformat(),
        "--days",
        str(DAYS),
        "--users",
        str(USERS),
        "--seed",
        "11",
    )
    deployment.run()


def fresh(reference: Reference, root: Path, with_warehouse: bool) -> Deployment:
    """A deployment on the reference's landing zone, with its own warehouse and Dagster home."""
    deployment = make_deployment(root)
    if with_warehouse:
        copy_warehouse(reference.deployment.warehouse, deployment.warehouse)
    env = {**deployment.env, "CHATWH_LANDING": str(reference.deployment.landing)}
    return Deployment(root, reference.deployment.landing, deployment.warehouse, env)


def run_command(deployment: Deployment) -> tuple[str, ...]:
    """`chatwh run` on the deployment's landing zone and warehouse (the days are added)."""
    return ("run", "--landing", str(deployment.landing), "--warehouse", str(deployment.warehouse))
