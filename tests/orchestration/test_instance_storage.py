"""The instance storage of dagster.yaml: a range's per-day events in one write, same records.

A small partitioned asset is run over a range of days (one run, as ``chatwh run --from``
does) on two real instances configured by the project's dagster.yaml: one with Dagster's
event batching on (what ``chatwh`` sets), one with it off (every event stored on its own).
Both must hold the same run log and the same per-day materializations.
"""

import shutil
from pathlib import Path

import dagster as dg

from orchestration.instance_storage import BatchingSqliteEventLogStorage
from orchestration.settings import PROJECT_DIR

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-11")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


def run_range(home: Path, monkeypatch) -> tuple[dg.DagsterInstance, str]:
    """A new instance in ``home``, configured by the project's dagster.yaml, and the id of
    one run over seven of its days, read by a new instance."""
    home.mkdir()
    shutil.copyfile(PROJECT_DIR / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # dagster.yaml's storage reads it
    # entered for the run, so that the definitions' load sees this instance's state storage
    # (not one that another test's instance left in the context)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize(
            [daily],
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2026-01-02",
                "dagster/asset_partition_range_end": "2026-01-08",
            },
        )
    assert result.success
    # a new instance on the same home reads what the run stored
    return dg.DagsterInstance.from_config(str(home)), result.run_id


def stored(instance: dg.DagsterInstance, run_id: str) -> tuple:
    records = instance.fetch_materializations(daily.key, limit=100).records
    return (
        sorted(instance.get_materialized_partitions(daily.key)),
        sorted((record.partition_key, record.run_id == run_id) for record in records),
        sorted(
            (entry.dagster_event_type.value, entry.dagster_event.partition)
            for entry in instance.all_logs(run_id)
            if entry.is_dagster_event
        ),
        instance.get_latest_materialization_event(daily.key).dagster_event.partition,
    )


def test_a_batch_of_daily_events_is_stored_as_one_by_one(tmp_path, monkeypatch):
    batches = []  # sizes of the batches written (Dagster falls back to one by one on error)
    write_batch = BatchingSqliteEventLogStorage.store_event_batch

    def recorded(storage, events):
        write_batch(storage, events)
        batches.append(len(events))

    monkeypatch.setattr(BatchingSqliteEventLogStorage, "store_event_batch", recorded)
    monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")  # as chatwh
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    batched, batched_run = run_range(tmp_path / "batched", monkeypatch)
    assert batches == [7]  # the seven days' materializations, in one write
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "0")
    single, single_run = run_range(tmp_path / "single", monkeypatch)
    assert batches == [7]
    with batched, single:
        assert isinstance(batched.event_log_storage, BatchingSqliteEventLogStorage)
        expected_days = [f"2026-01-0{day}" for day in range(2, 9)]
        result = stored(batched, batched_run)
        assert result[0] == expected_days
        assert result[1] == [(day, True) for day in expected_days]  # this run's, no other
        assert result == stored(single, single_run)


def test_events_of_several_runs_are_stored_one_by_one(tmp_path, monkeypatch):
    instance, first_run = run_range(tmp_path / "home", monkeypatch)
    with instance:
        events = [
            entry
            for entry in instance.all_logs(first_run)
            if entry.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        ]
        assert len(events) == 7
        other = events[0]._replace(run_id="another-run")
        before = len(instance.fetch_materializations(daily.key, limit=100).records)
        instance.event_log_storage.store_event_batch([events[1], other])
        after = instance.fetch_materializations(daily.key, limit=100).records
        assert len(after) == before + 2
        assert any(record.run_id == "another-run" for record in after)
