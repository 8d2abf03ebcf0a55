"""Reliability: runs killed at any point, then a re-run, equal an uninterrupted run.

Everything runs the real `chatwh` command in subprocesses against real DuckDB files, on a
small simulated landing zone loaded once per session as the reference (an uninterrupted run).
"""

from __future__ import annotations

import signal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.support.reliability import (
    Reference,
    Watched,
    differences,
    fresh,
    open_when_free,
    run_command,
)
from tests.support.support import query, unbuilt_rows

pytestmark = pytest.mark.xdist_group("reliability")

KILL_POINTS = ("ingest:", "dbt: built int_sessions", "dbt: built customers")


# --------------------------------------------------------------------------- crash safety


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
