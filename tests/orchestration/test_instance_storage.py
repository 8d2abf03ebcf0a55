"""The instance of dagster.yaml, opened by its folder's path, as ``chatwh run`` opens it.

``chatwh run`` never sets DAGSTER_HOME: it copies the project's dagster.yaml into the
warehouse's instance folder and opens that folder (``DagsterInstance.from_config``). A small
partitioned asset is run over a range of days (one run, as ``chatwh run --from`` does) with
no DAGSTER_HOME in the environment: Dagster's SQLite storage must keep the run and its
per-day materializations in that folder (what ``dagster dev``, started there with
DAGSTER_HOME, reads), with one planned event per asset when the planned-events setting is
on, as chatwh's runs have it.
"""

import shutil
from pathlib import Path

import dagster as dg

from orchestration.pipeline import prepare_dagster_home
from orchestration.settings import PLANNED_EVENTS_VARIABLE, PROJECT_DIR

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-11")
RANGE = {
    "dagster/asset_partition_range_start": "2026-01-02",
    "dagster/asset_partition_range_end": "2026-01-08",
}
EXPECTED_DAYS = [f"2026-01-0{day}" for day in range(2, 9)]


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


def run_range(home: Path) -> str:
    """One run over seven days on the instance in ``home``; its run id."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([daily], instance=instance, tags=RANGE)
    assert result.success
    return result.run_id


def planned(instance: dg.DagsterInstance, run_id: str) -> int:
    return sum(
        entry.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        for entry in instance.all_logs(run_id)
        if entry.is_dagster_event
    )


def test_a_range_run_is_stored_in_the_folder_opened_by_path(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv(PLANNED_EVENTS_VARIABLE, "true")  # as `chatwh run` has it
    home = prepare_dagster_home(home=tmp_path / "home")
    assert (home / "dagster.yaml").read_bytes() == (PROJECT_DIR / "dagster.yaml").read_bytes()
    run_id = run_range(home)
    assert {"runs.db", "index.db", f"{run_id}.db"} <= {path.name for path in home.rglob("*.db")}
    with dg.DagsterInstance.from_config(str(home)) as instance:  # a new instance reads it
        [run] = instance.get_runs()
        assert run.run_id == run_id and run.status == dg.DagsterRunStatus.SUCCESS
        assert sorted(instance.get_materialized_partitions(daily.key)) == EXPECTED_DAYS
        records = instance.fetch_materializations(daily.key, limit=100).records
        assert sorted(record.partition_key for record in records) == EXPECTED_DAYS
        assert planned(instance, run_id) == 1  # one for the asset, not one per day


def test_without_the_setting_every_day_is_planned_on_its_own(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv(PLANNED_EVENTS_VARIABLE, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(PROJECT_DIR / "dagster.yaml", home / "dagster.yaml")
    run_id = run_range(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert planned(instance, run_id) == len(EXPECTED_DAYS)
        assert sorted(instance.get_materialized_partitions(daily.key)) == EXPECTED_DAYS
