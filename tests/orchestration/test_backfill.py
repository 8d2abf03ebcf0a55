"""Orchestration for data engineers: real runs.

The real `chatwh run` (Dagster + dbt + DuckDB) in subprocesses on a small simulated landing
zone: a backfill of several days is one Dagster run, loading day by day (with a re-run and a
late file) ends with the same marts as one run over everything, and a failing blocking check
fails the run with one line.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import Deployment, make_deployment
from tests.support.late_world import (
    COMPARED_MARTS,
    LateDelivery,
    LateWorld,
    _build_late_world,
    marts_differences,
    stderr_problems,
)
from tests.support.support import arrival_days, build_once, query, unbuilt_rows

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def late_world(tmp_path_factory: pytest.TempPathFactory) -> LateWorld:
    folder = build_once(tmp_path_factory, "late_world", _build_late_world)
    late = json.loads((folder / "late.json").read_text())
    late = LateDelivery(**{**late, "day": date.fromisoformat(late["day"])})
    reference = make_deployment(folder / "reference")
    return LateWorld(
        incremental=make_deployment(folder / "incremental"),
        reference=reference,
        late=late,
        days=arrival_days(reference.landing),
        reference_run_output=(folder / "reference-run.txt").read_text(),
    )


# --------------------------------------------------------------------------- real runs


@pytest.mark.xdist_group("orchestration")
def test_backfill_of_several_days_is_one_run(late_world: LateWorld):
    reference, days = late_world.reference, late_world.days
    assert len(days) >= 3
    assert f"run {days[0]} to {days[-1]}: {len(days)} days" in late_world.reference_run_output
    home = Path(reference.env["DAGSTER_HOME"])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1, [run.tags for run in runs]
        run = runs[0]
        assert run.job_name == "nightly"
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags[RANGE_START_TAG] == days[0].isoformat()
        assert run.tags[RANGE_END_TAG] == days[-1].isoformat()
        expected = {day.isoformat() for day in days}
        for name in ("web_events", "whatsapp_messages"):
            records = instance.fetch_materializations(
                dg.AssetKey(["raw", name]), limit=1000
            ).records
            assert {record.partition_key for record in records} == expected, name
            assert {record.run_id for record in records} == {run.run_id}
        marts = instance.fetch_materializations(dg.AssetKey(["marts", "customers"]), limit=10)
        assert [record.run_id for record in marts.records] == [run.run_id]
        # the partitions the UI shows are the landing zone's arrival days, no other
        assert instance.get_dynamic_partitions("arrival_days") == sorted(expected)
    loaded_days = query(reference.warehouse, "select distinct arrival_date from raw.load_audit")
    assert {row[0] for row in loaded_days} == set(days)


@pytest.mark.xdist_group("orchestration")
def test_logs_from_2004_load_with_no_setting_and_the_partitions_are_their_days(tmp_path: Path):
    deployment = make_deployment(tmp_path)  # no setting names a first day
    deployment.chatwh(
        "simulate", "--out", str(deployment.landing), "--start", "2004-11-15", "--days", "3",
        "--users", "30",
    )  # fmt: skip
    completed = deployment.run()
    days = arrival_days(deployment.landing)
    assert days[0] == date(2004, 11, 15)
    assert f"run {days[0]} to {days[-1]}: {len(days)} days" in completed.stdout

    # older logs copied in after the newer ones: their day goes first, and loads alone
    older = deployment.landing / "web" / "dt=2004-11-01"
    older.mkdir()
    source = sorted((deployment.landing / "web" / f"dt={days[0]}").glob("*.jsonl*"))[0]
    shutil.copyfile(source, older / source.name)
    deployment.run("--date", "2004-11-01")

    home = Path(deployment.env["DAGSTER_HOME"])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        keys = instance.get_dynamic_partitions("arrival_days")
        assert keys == [day.isoformat() for day in arrival_days(deployment.landing)]
        assert keys[0] == "2004-11-01"
        runs = instance.get_runs()  # newest first
        assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
        assert runs[0].tags.get("dagster/partition") == "2004-11-01"
        assert runs[1].tags[RANGE_START_TAG] == days[0].isoformat()
        assert runs[1].tags[RANGE_END_TAG] == days[-1].isoformat()
    loaded_days = query(deployment.warehouse, "select distinct arrival_date from raw.load_audit")
    assert {row[0] for row in loaded_days} == {date(2004, 11, 1), *days}


@pytest.mark.xdist_group("orchestration")
def test_day_by_day_with_a_rerun_and_a_late_file_equals_one_full_run(late_world: LateWorld):
    incremental, late, days = late_world.incremental, late_world.late, late_world.days
    rerun_day = days[1]
    for index, day in enumerate(days):
        incremental.run("--date", day.isoformat())
        if index == len(days) - 2:  # an older day again, after later days are loaded
            incremental.run("--date", rerun_day.isoformat())

    def merged_sessions(warehouse: Path) -> int:
        return query(
            warehouse,
            "select lifetime_sessions from marts.customers "
            "where assistant_id = ? and channel = 'web' and user_id = ?",
            [late.merged_assistant, late.merged_user],
        )[0][0]

    customers_before = query(incremental.warehouse, "select count(*) from marts.customers")[0][0]
    sessions_before = merged_sessions(incremental.warehouse)
    assert marts_differences(incremental.warehouse, late_world.reference.warehouse), (
        "the late files should change the marts (otherwise this test proves little)"
    )

    late.write(incremental.landing)
    assert late.day < days[-1]
    completed = incremental.run("--date", late.day.isoformat())
    assert "duplicates" in completed.stdout

    assert marts_differences(incremental.warehouse, late_world.reference.warehouse) == {}
    with duckdb.connect(str(incremental.warehouse), read_only=True) as con:
        assert unbuilt_rows(con) == 0
    # the late file did what it was built to do: one session fewer, one user more
    assert merged_sessions(incremental.warehouse) == sessions_before - 1
    customers_after = query(incremental.warehouse, "select count(*) from marts.customers")[0][0]
    assert customers_after == customers_before + 1
    assert (
        query(
            incremental.warehouse,
            "select count(*) from marts.customers where channel = 'web' and user_id = ?",
            [late.new_user],
        )[0][0]
        == 1
    )


@pytest.mark.xdist_group("orchestration")
def test_a_failing_blocking_check_fails_the_run_with_one_line(
    late_world: LateWorld, tmp_path: Path
):
    deployment = make_deployment(tmp_path)
    shutil.copyfile(late_world.reference.warehouse, deployment.warehouse)
    day = late_world.days[-1]
    with duckdb.connect(str(deployment.warehouse)) as con:
        target = con.execute(
            "select source_file from raw.load_audit where arrival_date <> ? and loaded > 0 "
            "order by arrival_date, channel, source_file limit 1",
            [day],
        ).fetchall()
        assert target
        con.execute(
            "update raw.load_audit set loaded = loaded + 1, records = records + 1 "
            "where source_file = ?",
            target[0],
        )
    customers = query(deployment.warehouse, "select * from marts.customers order by all")

    completed = run_day = deployment.chatwh(
        "run",
        "--landing",
        str(late_world.reference.landing),
        "--warehouse",
        str(deployment.warehouse),
        "--date",
        day.isoformat(),
        check=False,
    )
    assert run_day.returncode != 0
    problems = stderr_problems(completed.stderr)
    assert len(problems) == 1, completed.stderr
    assert problems[0].startswith("chatwh run: error:")
    assert "raw_reconciles_with_audit" in problems[0]
    assert "Traceback" not in completed.stderr and "Stack Trace" not in completed.stderr
    summary = completed.stdout[completed.stdout.index("checks:") :]
    assert "error: raw_reconciles_with_audit" in summary

    # blocking: nothing downstream of the failed check was built
    home = Path(deployment.env["DAGSTER_HOME"])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert [run.status for run in runs] == [dg.DagsterRunStatus.FAILURE]
        marts = instance.fetch_materializations(dg.AssetKey(["marts", "customers"]), limit=10)
        assert marts.records == []
    assert query(deployment.warehouse, "select * from marts.customers order by all") == customers


def _copy_deployment(source: Deployment, root: Path) -> Deployment:
    """A new deployment (own Dagster home) with a copy of the landing zone and warehouse."""
    copy = make_deployment(root)
    shutil.copytree(source.landing, copy.landing)
    for suffix in ("", ".wal"):
        path = source.warehouse.with_name(source.warehouse.name + suffix)
        if path.exists():
            shutil.copyfile(path, copy.warehouse.with_name(copy.warehouse.name + suffix))
    return copy


def test_a_time_zone_change_rebuilds_the_assistants_users_like_a_full_run(
    late_world: LateWorld, tmp_path: Path
):
    """Local dates follow the assistant's time zone: when it changes, the nightly run
    rebuilds every user of that assistant, and the marts equal those of a fresh full run."""
    nightly = _copy_deployment(late_world.reference, tmp_path / "nightly")
    assistants = nightly.landing / "assistants.csv"
    text = assistants.read_text(encoding="utf-8")
    assert ",Europe/Madrid," in text
    assistants.write_text(text.replace(",Europe/Madrid,", ",Pacific/Kiritimati,"), "utf-8")
    nightly.run("--date", late_world.days[-1].isoformat())

    fresh = make_deployment(tmp_path / "fresh")
    shutil.copytree(nightly.landing, fresh.landing)
    fresh.run("--from", late_world.days[0].isoformat(), "--to", late_world.days[-1].isoformat())

    marts = {**COMPARED_MARTS, "marts.fct_sessions": "* exclude (built_at)"}
    assert marts_differences(nightly.warehouse, fresh.warehouse, marts) == {}
    # the change mattered: at UTC+14 instead of UTC+1 some sessions fall on another day
    assert "marts.fct_sessions" in marts_differences(
        nightly.warehouse, late_world.reference.warehouse, marts
    )
