"""Orchestration for data engineers: the Dagster definitions, schedule, sensor and real runs.

The cheap tests load the code location in this process. The expensive ones run the real
`chatwh run` (Dagster + dbt + DuckDB) in subprocesses on a small simulated landing zone:
a backfill of several days is one Dagster run, loading day by day (with a re-run and a late
file) ends with the same marts as one run over everything, and a failing blocking check
fails the run with one line.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import Deployment, make_deployment
from tests.support.support import (
    arrival_days,
    build_once,
    compare_tables,
    query,
    read_lines,
    unbuilt_rows,
)

START = date(2026, 1, 1)
DAYS = 4  # small: the day-by-day test runs the pipeline DAYS + 2 times
USERS = 80
SESSION_GAP = timedelta(minutes=30)
# Table -> the columns compared: `built_at` says when a row was built, which differs.
COMPARED_MARTS = {
    "marts.customers": "* exclude (built_at)",
    "marts.dashboard_monthly_users": "*",
    "marts.session_chains_daily": "* exclude (built_at)",
    "marts.fct_user_days": "* exclude (built_at)",
}
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


# --------------------------------------------------------------------------- helpers


def write_days(landing: Path, days: dict[str, list[str]]) -> Path:
    """A landing zone with one small file per channel and arrival day."""
    for channel, keys in days.items():
        for day in keys:
            folder = landing / channel / f"dt={day}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "part-0.jsonl").write_text("{}\n")
    return landing


def local_warehouse(tmp_path: Path, landing: Path):
    """The warehouse resource of a schedule or sensor test (the file is never opened)."""
    from orchestration.defs.resources import Warehouse

    return Warehouse(path=str(tmp_path / "w.duckdb"), landing=str(landing), pseudonym_key="k")


def marts_differences(left: Path, right: Path, tables=COMPARED_MARTS) -> dict[str, tuple]:
    """Tables that differ, or have different or no rows: EXCEPT ALL both ways."""
    compared = compare_tables(left, right, tables)
    return {
        table: (only_left, only_right, counts)
        for table, (only_left, only_right, counts) in compared.items()
        if only_left or only_right or counts[0] != counts[1] or counts[0] == 0
    }


def stderr_problems(stderr: str) -> list[str]:
    """The stderr lines that are not `chatwh run` progress lines (those start with two spaces)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("  ")]


# --------------------------------------------------------------------------- late files


@dataclass(frozen=True)
class LateDelivery:
    """Files that land late under an older dt folder, and what they should change."""

    day: date
    files: dict[str, str]  # path relative to the landing zone -> content
    merged_assistant: str
    merged_user: str  # a web user two of whose sessions the late events join into one
    new_user: str  # a web user seen for the first time in the late file

    def write(self, landing: Path) -> None:
        for relative, content in self.files.items():
            target = landing / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _web_interactions(landing: Path, assistants: set[str]) -> Iterator[tuple[dict, str]]:
    """Every well-formed `Chat Message Sent` of the web files, with its raw line."""
    for path in sorted((landing / "web").glob("dt=*/*.jsonl*")):
        for line in read_lines(path):
            try:
                event = json.loads(line)
                moment = datetime.fromisoformat(event["timestamp"])
            except (ValueError, TypeError, KeyError):
                continue
            if (
                isinstance(event, dict)
                and event.get("type") == "track"
                and event.get("event") == "Chat Message Sent"
                and event.get("messageId")
                and event.get("anonymousId")
                and moment.tzinfo is not None
                and (event.get("properties") or {}).get("assistant_id") in assistants
            ):
                event["_at"], event["_dt"] = moment, date.fromisoformat(path.parent.name[3:])
                yield event, line


def plan_late_delivery(landing: Path) -> LateDelivery:
    """Late files for the second-to-last dt, built from the simulated data itself.

    - web: events that fill the shortest gap (> 30 min) between two sessions of one user, so
      the two sessions become one; a redelivery of an interaction first delivered on the
      first day; and the first interaction of a new user;
    - whatsapp: a redelivery of a body (with user messages) first delivered on the first day.
    """
    days = arrival_days(landing)
    late_day, first_day = days[-2], days[0]
    latest_allowed = datetime.combine(late_day, datetime.min.time(), UTC) + timedelta(days=2)
    with open(landing / "assistants.csv", encoding="utf-8") as handle:
        assistants = {line.split(",")[0] for line in handle.read().splitlines()[1:] if line}

    events = list(_web_interactions(landing, assistants))
    assert events, "the simulated landing zone has no web interactions"
    times: dict[tuple[str, str], set[datetime]] = defaultdict(set)
    for event, _ in events:
        times[(event["properties"]["assistant_id"], event["anonymousId"])].add(event["_at"])
    gaps = []
    for (assistant, user), moments in times.items():
        ordered = sorted(moments)
        for before, after in itertools.pairwise(ordered):
            if after - before > SESSION_GAP and after < latest_allowed:
                gaps.append((after - before, assistant, user, before, after))
    assert gaps, "no web user has two sessions to join"
    _, assistant, user, before, after = min(gaps)

    web_lines = []
    moment = before + timedelta(minutes=20)
    while moment < after:
        web_lines.append(
            {
                "type": "track",
                "event": "Chat Message Sent",
                "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"late/{user}/{moment}")),
                "anonymousId": user,
                "timestamp": _iso(moment),
                "properties": {"assistant_id": assistant},
            }
        )
        moment += timedelta(minutes=20)
    new_user = str(uuid.uuid5(uuid.NAMESPACE_URL, f"late-new-user/{landing}"))
    web_lines.append(
        {
            "type": "track",
            "event": "Chat Message Sent",
            "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"late/{new_user}")),
            "anonymousId": new_user,
            "timestamp": _iso(before + timedelta(minutes=5)),
            "properties": {"assistant_id": assistant},
        }
    )
    redelivered_web = [line for event, line in events if event["_dt"] == first_day]
    assert redelivered_web, "no web interaction delivered on the first day"
    whatsapp_bodies = [
        line
        for path in sorted((landing / "whatsapp" / f"dt={first_day}").glob("*.jsonl*"))
        for line in read_lines(path)
        if '"messages":[{' in line.replace(" ", "")
    ]
    assert whatsapp_bodies, "no WhatsApp body with user messages on the first day"
    web_content = "\n".join([*map(json.dumps, web_lines), redelivered_web[0]]) + "\n"
    return LateDelivery(
        day=late_day,
        files={
            f"web/dt={late_day}/late-arrival.jsonl": web_content,
            f"whatsapp/dt={late_day}/late-arrival.jsonl": whatsapp_bodies[0] + "\n",
        },
        merged_assistant=assistant,
        merged_user=user,
        new_user=new_user,
    )


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class LateWorld:
    """One simulated landing zone twice: without the late files (loaded day by day) and with
    them (the reference, loaded by one backfill run on a fresh warehouse and Dagster home)."""

    incremental: Deployment
    reference: Deployment
    late: LateDelivery
    days: list[date]
    reference_run_output: str


def _build_late_world(folder: Path) -> None:
    incremental = make_deployment(folder / "incremental")
    incremental.chatwh(
        "simulate",
        "--out",
        str(incremental.landing),
        "--start",
        START.isoformat(),
        "--days",
        str(DAYS),
        "--users",
        str(USERS),
    )
    late = plan_late_delivery(incremental.landing)
    (folder / "late.json").write_text(json.dumps({**asdict(late), "day": late.day.isoformat()}))
    reference = make_deployment(folder / "reference")
    shutil.copytree(incremental.landing, reference.landing)
    late.write(reference.landing)
    days = arrival_days(incremental.landing)
    completed = reference.run("--from", days[0].isoformat(), "--to", days[-1].isoformat())
    (folder / "reference-run.txt").write_text(completed.stdout)


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


@pytest.fixture(scope="module")
def definitions():
    """The code location, imported here with a warehouse path that is not the project's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHATWH_WAREHOUSE", "/nonexistent/chatwh-test/warehouse.duckdb")
        from orchestration.definitions import defs

        yield defs


# --------------------------------------------------------------------------- definitions


def test_definitions_load_with_every_asset_check_job_schedule_and_sensor(definitions):
    from orchestration.defs.dbt import dbt_project

    defs = definitions
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    manifest = json.loads(dbt_project().manifest_path.read_text())
    models = {
        dg.AssetKey([node["fqn"][1], node["name"]]): node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    raw = {dg.AssetKey(["raw", name]) for name in ("assistants", "web_events", "whatsapp_messages")}
    assert models, "the dbt manifest has no models"
    assert raw | set(models) <= set(specs), sorted(
        key.to_user_string() for key in (raw | set(models)) - set(specs)
    )
    layers = {key.path[0] for key in models}
    assert {"staging", "intermediate", "marts"} <= layers

    for key, node in models.items():
        description = (specs[key].description or "").strip()
        assert node["description"].strip(), f"dbt model {node['name']} has no description"
        # dagster-dbt shows the dbt description, followed by the model's SQL
        assert description.startswith(node["description"].strip()), key.to_user_string()
        assert specs[key].group_name == key.path[0]

    check_names = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {
        "quarantine_share",
        "raw_reconciles_with_audit",
        "unique_plus_recurring_is_total",
        "no_month_missing",
        "latest_arrival_is_fresh",
    } <= check_names
    job = defs.resolve_job_def("nightly")
    assert job.partitions_def is not None
    assert defs.resolve_schedule_def("nightly_schedule").job_name == "nightly"
    assert defs.resolve_sensor_def("late_arrivals_sensor").job_name == "nightly"


def test_the_dbt_resource_prepares_nothing_in_this_process():
    """Our dbt resource overrides two hooks of dagster-dbt's (private, so an upgrade may rename
    them): the version comes from the package metadata, and no adapter is built here."""
    import importlib.metadata

    from dagster_dbt import DbtCliResource

    from orchestration.defs.resources import LocalDbtCliResource, dbt_resource

    for hook in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert hasattr(DbtCliResource, hook), f"dagster-dbt no longer has {hook}"
        assert hook in vars(LocalDbtCliResource)
    resource = dbt_resource()
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    # the executable is dbt's command line behind our entry point (orchestration/dbt_cli.py)
    answer = subprocess.run(
        [resource.dbt_executable, "--version"], capture_output=True, text=True, check=True
    )
    assert str(resource._cli_version) in answer.stdout


def test_lineage_is_connected_from_raw_through_staging_and_intermediate_to_marts(definitions):
    specs = {spec.key: spec for spec in definitions.resolve_all_asset_specs()}
    parents = {key: {dep.asset_key for dep in spec.deps} for key, spec in specs.items()}
    for key, keys in parents.items():
        assert keys <= set(specs), f"{key.to_user_string()} depends on undefined assets"

    def ancestors(key: dg.AssetKey) -> set[dg.AssetKey]:
        seen: set[dg.AssetKey] = set()
        todo = [key]
        while todo:
            for parent in parents[todo.pop()]:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    web, whatsapp = dg.AssetKey(["raw", "web_events"]), dg.AssetKey(["raw", "whatsapp_messages"])
    for mart in ("customers", "dashboard_monthly_users", "session_chains_daily", "fct_user_days"):
        upstream = ancestors(dg.AssetKey(["marts", mart]))
        assert {web, whatsapp} <= upstream, mart
        layers = {key.path[0] for key in upstream}
        assert {"raw", "staging", "intermediate"} <= layers, (mart, layers)
    # the staging views read the ingest assets directly: the dbt sources are those assets
    staging_parents = set().union(
        *(keys for key, keys in parents.items() if key.path[0] == "staging")
    )
    assert {web, whatsapp, dg.AssetKey(["raw", "assistants"])} <= staging_parents


# --------------------------------------------------------------------------- schedule


@pytest.mark.parametrize(
    ("tick", "expected"),
    [
        (datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "2026-03-09"),
        (datetime(2026, 1, 1, 2, 0, tzinfo=UTC), "2025-12-31"),
        (datetime(2024, 3, 1, 2, 0, tzinfo=UTC), "2024-02-29"),
        # 01:30 at UTC+2 is 23:30 UTC of the day before: the day before *that* is loaded
        (datetime(2026, 3, 10, 1, 30, tzinfo=timezone(timedelta(hours=2))), "2026-03-08"),
    ],
)
def test_schedule_tick_requests_the_previous_utc_day(definitions, tmp_path, tick, expected):
    from orchestration.defs.partitions import arrival_days as partitions
    from orchestration.defs.schedules import nightly_schedule

    if "CHATWH_NIGHTLY_CRON" not in os.environ:
        assert nightly_schedule.cron_schedule == "0 2 * * *"
    if "CHATWH_NIGHTLY_TIMEZONE" not in os.environ:
        assert nightly_schedule.execution_timezone == "UTC"
    landing = write_days(tmp_path / "landing", {"web": ["2003-02-01", expected]})
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            resources={"warehouse": local_warehouse(tmp_path, landing)},
        )
        request = nightly_schedule(context)
        assert isinstance(request, dg.RunRequest)
        assert request.partition_key == expected
        assert request.run_key and expected in request.run_key
        # the tick registered the landing zone's arrival days, in date order
        assert partitions.get_partition_keys(dynamic_partitions_store=instance) == [
            "2003-02-01",
            expected,
        ]


def test_a_schedule_tick_without_files_for_its_day_skips_and_says_why(definitions, tmp_path):
    from orchestration.defs.schedules import nightly_schedule

    landing = write_days(tmp_path / "landing", {"web": ["2026-03-08"]})
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
            resources={"warehouse": local_warehouse(tmp_path, landing)},
        )
        skipped = nightly_schedule(context)
        assert isinstance(skipped, dg.SkipReason)
        assert "dt=2026-03-09" in skipped.skip_message
        assert instance.get_dynamic_partitions("arrival_days") == []


def test_new_arrival_days_are_registered_in_date_order():
    from orchestration.defs.partitions import registration_requests

    def apply(registered: list[str], found: list[str]) -> list[str]:
        keys = list(registered)
        for request in registration_requests(registered, found):
            if isinstance(request, dg.DeleteDynamicPartitionsRequest):
                keys = [key for key in keys if key not in request.partition_keys]
            else:
                keys += [key for key in request.partition_keys if key not in keys]
        return keys

    assert registration_requests(["2026-01-01"], ["2026-01-01"]) == []
    assert apply([], ["2026-01-02", "2004-11-15"]) == ["2004-11-15", "2026-01-02"]
    assert apply(["2004-11-15"], ["2026-01-02"]) == ["2004-11-15", "2026-01-02"]
    # an older day that appears later goes before the newer ones
    older = apply(["2004-11-15", "2026-01-02", "2026-01-03"], ["2026-01-02", "2010-06-01"])
    assert older == ["2004-11-15", "2010-06-01", "2026-01-02", "2026-01-03"]
    (delete, add) = registration_requests(["2004-11-15", "2026-01-02"], ["2010-06-01"])
    assert list(delete.partition_keys) == ["2026-01-02"]
    assert list(add.partition_keys) == ["2010-06-01", "2026-01-02"]


# --------------------------------------------------------------------------- sensor


def test_late_files_names_the_days_of_files_changed_since_the_cursor():
    from orchestration.defs.schedules import late_files

    files = {
        "/l/web/dt=2026-01-02/a.jsonl": 100.0,
        "/l/web/dt=2026-01-02/b.jsonl.gz": 250.0,
        "/l/whatsapp/dt=2026-01-01/a.jsonl": 300.0,
        "/l/whatsapp/dt=2026-01-05/a.jsonl": 200.0,  # exactly at the cursor: already seen
        "/l/web/dt=2026-01-09/a.jsonl": 50.0,
        "/l/web/dt=not-a-date/a.jsonl": 900.0,
        "/l/web/misplaced/a.jsonl": 900.0,
    }
    assert late_files(files, since=200.0) == ["2026-01-01", "2026-01-02"]
    assert late_files(files, since=0.0) == ["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-09"]
    assert late_files(files, since=1000.0) == []
    assert late_files({}, since=0.0) == []


def test_sensor_requests_a_run_for_an_older_day_that_got_a_new_file(definitions, tmp_path):
    from orchestration.defs.partitions import apply_requests
    from orchestration.defs.schedules import late_arrivals_sensor

    landing = write_days(
        tmp_path / "landing", {"web": ["2026-01-01", "2026-01-03"], "whatsapp": ["2026-01-02"]}
    )
    old = 1_700_000_000
    for path in landing.rglob("*.jsonl"):
        os.utime(path, (old, old))
    resources = {"warehouse": local_warehouse(tmp_path, landing)}

    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:

        def look(cursor: str | None = None):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
            result = late_arrivals_sensor(context)
            assert isinstance(result, dg.SensorResult)
            apply_requests(instance, result.dynamic_partitions_requests or [])  # as the daemon
            return context, result

        first, result = look()
        assert not result.run_requests and result.skip_reason
        cursor = first.cursor
        assert cursor is not None and float(cursor) == old
        # the first look registers the days it finds as partitions
        days = ["2026-01-01", "2026-01-02", "2026-01-03"]
        assert instance.get_dynamic_partitions("arrival_days") == days

        late = landing / "web" / "dt=2026-01-01" / "late.jsonl"
        late.write_text("{}\n")
        os.utime(late, (old + 60, old + 60))
        second, result = look(cursor)
        assert [request.partition_key for request in result.run_requests] == ["2026-01-01"]
        assert float(second.cursor) == old + 60

        third, result = look(second.cursor)
        assert list(result.run_requests or []) == []

        # a file under a new dt folder: the day is registered and run in one result
        new = write_days(landing, {"whatsapp": ["2026-01-04"]}) / "whatsapp" / "dt=2026-01-04"
        os.utime(new / "part-0.jsonl", (old + 120, old + 120))
        _, result = look(third.cursor)
        assert [request.partition_key for request in result.run_requests] == ["2026-01-04"]
        assert instance.get_dynamic_partitions("arrival_days") == [*days, "2026-01-04"]


# --------------------------------------------------------------------------- real runs


@pytest.mark.xdist_group("orchestration")
def test_backfill_of_several_days_is_one_run(late_world: LateWorld, monkeypatch):
    reference, days = late_world.reference, late_world.days
    assert len(days) >= 3
    assert f"run {days[0]} to {days[-1]}: {len(days)} days" in late_world.reference_run_output
    home = Path(reference.env["DAGSTER_HOME"])
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # dagster.yaml's storage reads it
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
def test_logs_from_2004_load_with_no_setting_and_the_partitions_are_their_days(
    tmp_path: Path, monkeypatch
):
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
    monkeypatch.setenv("DAGSTER_HOME", str(home))
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
    late_world: LateWorld, tmp_path: Path, monkeypatch
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
    monkeypatch.setenv("DAGSTER_HOME", str(home))
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
