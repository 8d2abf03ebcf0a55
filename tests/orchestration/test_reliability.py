"""Reliability and privacy: crashes, concurrent runs and queries, erasure for good.

Everything runs the real `chatwh` command in subprocesses against real DuckDB files, on a
small simulated landing zone loaded once per worker as the reference (an uninterrupted run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.pseudonym import pseudonymize
from tests.conftest import CHATWH, TEST_KEY, Deployment, make_deployment, run_chatwh
from tests.support.support import (
    arrival_days,
    build_once,
    compare_tables,
    query,
    read_lines,
    unbuilt_rows,
)

pytestmark = pytest.mark.xdist_group("reliability")

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
KILL_POINTS = ("ingest:", "dbt: built int_sessions", "dbt: built customers")


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


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The simulated landing zone and the warehouse of one uninterrupted `chatwh run`."""
    deployment = make_deployment(build_once(tmp_path_factory, "reliability", _build_reference))
    return Reference(deployment, arrival_days(deployment.landing))


def fresh(reference: Reference, root: Path, with_warehouse: bool) -> Deployment:
    """A deployment on the reference's landing zone, with its own warehouse and Dagster home."""
    deployment = make_deployment(root)
    if with_warehouse:
        copy_warehouse(reference.deployment.warehouse, deployment.warehouse)
    env = {**deployment.env, "CHATWH_LANDING": str(reference.deployment.landing)}
    return Deployment(root, reference.deployment.landing, deployment.warehouse, env)


# --------------------------------------------------------------------------- crash safety


def run_command(deployment: Deployment) -> tuple[str, ...]:
    """`chatwh run` on the deployment's landing zone and warehouse (the days are added)."""
    return ("run", "--landing", str(deployment.landing), "--warehouse", str(deployment.warehouse))


def test_killed_runs_then_a_rerun_equal_an_uninterrupted_run(reference: Reference, tmp_path):
    deployment = fresh(reference, tmp_path, with_warehouse=False)
    run_args = run_command(deployment)
    for point in KILL_POINTS:
        run = Watched.start(*run_args, env=deployment.env)
        reached = run.wait_for(point)
        if reached is None:
            run.finish()
            pytest.fail(f"the run ended before {point!r}:\n{run.stderr}")
        run.kill_group()
        assert run.process.returncode == -signal.SIGKILL
        if point.startswith("dbt"):
            # ingest committed; its rows stay newer than the last complete build until a
            # dbt build succeeds (the change set reads them again)
            with open_when_free(deployment.warehouse) as con:
                assert unbuilt_rows(con) > 0, f"killed at {point!r}: the changes were lost"

    final = deployment.run()
    assert "checks:" in final.stdout
    # the killed runs do not hold the "warehouse" pool for ever: they show as failed
    home = Path(deployment.env["DAGSTER_HOME"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        with dg.DagsterInstance.from_config(str(home)) as instance:
            statuses = [run.status for run in reversed(instance.get_runs())]
    assert statuses == [dg.DagsterRunStatus.FAILURE] * len(KILL_POINTS) + [
        dg.DagsterRunStatus.SUCCESS
    ]
    assert differences(deployment.warehouse, reference.deployment.warehouse) == {}
    with duckdb.connect(str(deployment.warehouse), read_only=True) as con:
        assert unbuilt_rows(con) == 0
    # every interaction once: as many raw rows as distinct interactions in the reference
    for table, key in (
        ("raw.web_events", "message_id"),
        ("raw.whatsapp_messages", "message_id, user_id, occurred_at"),
    ):
        total, distinct = query(
            deployment.warehouse, f"select count(*), count(distinct ({key})) from {table}"
        )[0]
        assert total == distinct > 0, table


def test_nightlies_killed_inside_dbt_then_a_nightly_equal_an_uninterrupted_run(
    reference: Reference, tmp_path
):
    """Nightly builds stopped after int_sessions and after fct_sessions: the next one still
    brings every model to what one full run gives (a stopped build writes no row of
    build_log, so the next change set holds its changes again, and the earliest restart
    wins: no model is left behind by one that went further)."""
    deployment = fresh(reference, tmp_path, with_warehouse=False)
    days = reference.days
    deployment.run("--from", days[0].isoformat(), "--to", days[-3].isoformat())
    run_args = run_command(deployment)
    for day, point in (
        (days[-2], "dbt: built int_sessions"),
        (days[-1], "dbt: built fct_sessions"),
    ):
        run = Watched.start(*run_args, "--date", day.isoformat(), env=deployment.env)
        if run.wait_for(point) is None:
            run.finish()
            pytest.fail(f"the nightly of {day} ended before {point!r}:\n{run.stderr}")
        run.kill_group()
        with open_when_free(deployment.warehouse) as con:
            assert unbuilt_rows(con) > 0, f"killed at {point!r}: the changes were lost"

    final = deployment.run("--date", days[-1].isoformat())
    assert "checks:" in final.stdout
    assert differences(deployment.warehouse, reference.deployment.warehouse) == {}
    with duckdb.connect(str(deployment.warehouse), read_only=True) as con:
        assert unbuilt_rows(con) == 0


def test_a_warehouse_without_its_build_log_is_rewritten_whole_by_a_nightly(
    reference: Reference, tmp_path
):
    """With no build log (a build that never completed), every raw row is a change: the
    next nightly rewrites every month and gives the same warehouse as a full run."""
    deployment = fresh(reference, tmp_path, with_warehouse=True)
    with duckdb.connect(str(deployment.warehouse)) as con:
        con.execute("drop table intermediate.build_log")
    final = deployment.run("--date", reference.days[-1].isoformat())
    assert "checks:" in final.stdout
    assert differences(deployment.warehouse, reference.deployment.warehouse) == {}


# --------------------------------------------------------------------------- concurrency


def _query_outcome(deployment: Deployment, assistant: str, days: list[date]) -> str:
    completed = run_chatwh(
        "sessions",
        "--assistant",
        assistant,
        "--from",
        days[0].isoformat(),
        "--to",
        days[-1].isoformat(),
        "--json",
        "--warehouse",
        str(deployment.warehouse),
        env=deployment.env,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    if completed.returncode == 0:
        view = json.loads(completed.stdout)
        assert view["assistant_id"] == assistant
        assert view["total_users"] == view["unique_users"] + view["recurring_users"]
        return "answer"
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "warehouse busy" in lines[0], completed.stderr
    return "busy"


class Analyst(threading.Thread):
    """Someone querying the warehouse read-only, over and over, as analysts do."""

    def __init__(self, warehouse: Path) -> None:
        super().__init__(daemon=True)
        self.warehouse, self.stop = warehouse, threading.Event()
        self.outcomes: Counter[str] = Counter()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with duckdb.connect(str(self.warehouse), read_only=True) as con:
                    con.execute("select count(*) from marts.customers").fetchall()
                    time.sleep(0.03)  # reading takes a moment
                self.outcomes["answer"] += 1
            except duckdb.Error as error:
                self.outcomes["busy" if "lock" in str(error).lower() else repr(error)] += 1
            time.sleep(0.05)


def test_second_run_stops_queries_answer_or_say_busy_and_wait_waits(reference: Reference, tmp_path):
    deployment = fresh(reference, tmp_path, with_warehouse=True)
    days = reference.days
    assistant = query(deployment.warehouse, "select min(assistant_id) from marts.customers")[0][0]
    run_args = run_command(deployment)

    first = Watched.start(*run_args, env=deployment.env)
    assert first.wait_for("assistants:") is not None, first.stderr  # it holds the writer lock
    waiting = Watched.start(
        *run_args, "--date", days[-1].isoformat(), "--wait", "900", env=deployment.env
    )
    second = run_chatwh(*run_args, env=deployment.env, check=False)
    assert first.process.poll() is None, "the first run ended before the second one tried"
    assert second.returncode != 0
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert "another run is writing" in lines[0]
    assert "Traceback" not in second.stderr and second.stdout == ""

    analyst = Analyst(deployment.warehouse)
    analyst.start()
    outcomes: Counter[str] = Counter()
    while first.process.poll() is None:
        outcome = _query_outcome(deployment, assistant, days)
        if first.process.poll() is None:
            outcomes[outcome] += 1
        time.sleep(0.2)
    analyst.stop.set()
    analyst.join()
    assert sum(outcomes.values()) >= 1, "no query ran while the first run was writing"
    # a reader holding the file for a moment must not fail the run (it waits, then writes)
    assert set(analyst.outcomes) <= {"answer", "busy"}, analyst.outcomes
    assert analyst.outcomes["answer"] > 0

    assert first.finish() == 0, f"the first run failed:\n{first.stderr}\n{first.stdout}"
    assert "checks:" in first.stdout
    assert waiting.finish() == 0, f"the waiting run failed:\n{waiting.stderr}"
    started = waiting.wait_for("assistants:")
    first_built = [moment for moment, line in first.lines if "dbt: built" in line]
    assert started is not None and first_built, waiting.stderr
    assert started > max(first_built), "--wait did not wait for the first run"
    assert "Traceback" not in first.stderr + waiting.stderr
    # re-loading the same days changes nothing: the first run's result is intact
    assert differences(deployment.warehouse, reference.deployment.warehouse) == {}
    assert _query_outcome(deployment, assistant, days) == "answer"


# --------------------------------------------------------------------------- erasure


def _whatsapp_senders(landing: Path) -> Counter[str]:
    """wa_id -> user messages, read from the landing files as WhatsApp delivered them."""
    senders: Counter[str] = Counter()
    for path in sorted((landing / "whatsapp").glob("dt=*/*.jsonl*")):
        for line in read_lines(path):
            try:
                body = json.loads(line)
                changes = [c for e in body["entry"] for c in e["changes"]]
            except (ValueError, TypeError, KeyError):
                continue
            for change in changes:
                if not isinstance(change, dict) or change.get("field") != "messages":
                    continue
                for message in (change.get("value") or {}).get("messages") or []:
                    if isinstance(message, dict) and isinstance(message.get("from"), str):
                        senders[message["from"]] += 1
    return senders


def _web_senders(landing: Path) -> Counter[str]:
    senders: Counter[str] = Counter()
    for path in sorted((landing / "web").glob("dt=*/*.jsonl*")):
        for line in read_lines(path):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(event, dict)
                and event.get("event") == "Chat Message Sent"
                and isinstance(event.get("anonymousId"), str)
            ):
                senders[event["anonymousId"]] += 1
    return senders


def _pick(warehouse: Path, channel: str, candidates: Counter[str], key: bytes) -> str:
    """A person of the landing files who is a customer in the warehouse: preferably one with
    a quarantined record that names them (a place erasure must reach too), then the most
    active."""
    customers = {
        row[0]
        for row in query(
            warehouse, "select user_id from marts.customers where channel = ?", [channel]
        )
    }
    quarantined = " ".join(
        row[0]
        for row in query(
            warehouse,
            "select record::varchar from raw.quarantine where record is not null and channel = ?",
            [channel],
        )
    )

    def preference(item: tuple[str, int]) -> tuple:
        return (item[0] not in quarantined, -item[1], item[0])

    for person, _ in sorted(candidates.items(), key=preference):
        user_id = pseudonymize(key, person) if channel == "whatsapp" else person
        if user_id in customers:
            return person
    raise AssertionError(f"no {channel} person of the landing files is in marts.customers")


def _window(warehouse: Path) -> tuple[date, date]:
    return query(
        warehouse, "select min(first_session_date), max(last_session_date) from marts.customers"
    )[0]


def _sessions_totals(warehouse: Path, assistants: set[str]) -> dict[str, tuple[int, int, int]]:
    first, last = _window(warehouse)
    totals = {}
    for assistant in sorted(assistants):
        totals[assistant] = query(
            warehouse,
            "select total_users, unique_users, recurring_users from marts.sessions_view(?, ?, ?)",
            [assistant, first, last],
        )[0]
    return totals


def test_forget_erases_a_person_everywhere_and_for_good(reference: Reference, tmp_path):
    deployment = fresh(reference, tmp_path, with_warehouse=True)
    warehouse, key = deployment.warehouse, TEST_KEY.encode()
    wa_id = _pick(warehouse, "whatsapp", _whatsapp_senders(deployment.landing), key)
    anonymous_id = _pick(warehouse, "web", _web_senders(deployment.landing), key)
    people = {
        "whatsapp": (wa_id, pseudonymize(key, wa_id), pseudonymize(key, wa_id)),
        "web": (anonymous_id, pseudonymize(key, anonymous_id), anonymous_id),
    }  # channel -> (raw id, pseudonym, id in the tables)
    assert where_found(warehouse, wa_id) == set(), "raw phone numbers must never be stored"
    assert where_found(warehouse, anonymous_id), "the web person should be in the warehouse"

    rows_of = {
        channel: query(
            warehouse,
            "select assistant_id, lifetime_sessions from marts.customers "
            "where channel = ? and user_id = ?",
            [channel, user_id],
        )
        for channel, (_, _, user_id) in people.items()
    }
    interactions = {
        "whatsapp": query(
            warehouse,
            "select count(*) from raw.whatsapp_messages where user_id = ?",
            [people["whatsapp"][2]],
        )[0][0],
        "web": query(
            warehouse, "select count(*) from raw.web_events where anonymous_id = ?", [anonymous_id]
        )[0][0],
    }
    customers_before = query(warehouse, "select count(*) from marts.customers")[0][0]
    assistants = {row[0] for rows in rows_of.values() for row in rows}
    totals_before = _sessions_totals(warehouse, assistants)

    for channel, option in (("whatsapp", "--wa-id"), ("web", "--anonymous-id")):
        raw_id, pseudonym, _ = people[channel]
        completed = deployment.chatwh("forget", option, raw_id, "--warehouse", str(warehouse))
        output = completed.stdout + completed.stderr
        assert raw_id not in output
        assert f"{interactions[channel]} interactions" in output, output
        assert pseudonym[:12] in output

    def assert_forgotten(where: Path) -> None:
        for channel, (raw_id, pseudonym, _) in people.items():
            assert where_found(where, raw_id) == set(), (channel, where_found(where, raw_id))
            assert where_found(where, pseudonym) == {"raw.erasures.user_id"}, channel
        assert sorted(query(where, "select channel, user_id from raw.erasures")) == sorted(
            (channel, pseudonym) for channel, (_, pseudonym, _) in people.items()
        )

    assert_forgotten(warehouse)
    erased_rows = [row for rows in rows_of.values() for row in rows]
    assert query(warehouse, "select count(*) from marts.customers")[0][0] == (
        customers_before - len(erased_rows)
    )
    expected = {}
    for assistant, (total, unique, recurring) in totals_before.items():
        gone = [sessions for owner, sessions in erased_rows if owner == assistant]
        gone_recurring = sum(1 for sessions in gone if sessions > 1)
        expected[assistant] = (
            total - len(gone),
            unique - (len(gone) - gone_recurring),
            recurring - gone_recurring,
        )
    assert _sessions_totals(warehouse, assistants) == expected

    snapshot = tmp_path / "after-erasure.duckdb"
    copy_warehouse(warehouse, snapshot)
    deployment.run()  # re-load every raw file, the person's included
    assert_forgotten(warehouse)
    assert (
        differences(
            warehouse,
            snapshot,
            {
                table: columns
                for table, columns in COMPARED.items()
                if not table.startswith("raw.load")
            },
        )
        == {}
    )
    erased = dict(
        query(warehouse, "select channel, sum(erased) from raw.load_audit group by channel")
    )
    assert erased["whatsapp"] >= interactions["whatsapp"] > 0
    assert erased["web"] >= interactions["web"] > 0
