"""Orchestration for data engineers: the Dagster definitions, schedule and sensor.

These cheap tests load the code location in this process.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

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
