"""Reliability: a second run while one writes, and queries meanwhile, answer or say busy.

Everything runs the real `chatwh` command in subprocesses against real DuckDB files, on a
small simulated landing zone loaded once per session as the reference (an uninterrupted run).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Deployment, run_chatwh
from tests.support.reliability import Reference, Watched, differences, fresh, run_command
from tests.support.support import query

pytestmark = pytest.mark.xdist_group("reliability")


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
            # a query four times a second: with a pause of 0.05 s, on a loaded machine, the
            # file was held so much of the time that dbt's five tries to open it (over 15 s,
            # profiles.yml) all met a reader, and the run failed in two suites of three
            time.sleep(0.25)


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
