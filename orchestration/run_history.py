"""The last runs of one warehouse, as its Dagster instance recorded them (``chatwh status``).

Dagster's run storage is the record of every run, however it started (``chatwh run``, the
schedule, the sensor, the UI) and however it ended (a run killed hard is marked failed by
the next ``chatwh run``). Dagster finds its instance through ``DAGSTER_HOME`` only, so this
module runs as a child process that ``orchestration.status`` starts with that variable set
(``python -m orchestration.run_history LIMIT WAREHOUSE``); it prints one JSON document.
It only reads the instance.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from .gc_pause import imports_without_gc

JOB = "nightly"
WAREHOUSE_TAG = "chatwh/warehouse"
RAW_ASSETS = (("raw", "web_events"), ("raw", "whatsapp_messages"))
COUNTS = ("files", "records", "loaded", "skipped", "duplicates", "quarantined")


def _moment(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _days(tags: dict[str, str]) -> tuple[str | None, str | None]:
    """The arrival days of a run: one partition, or a range (a single-run backfill)."""
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    first = tags.get("dagster/asset_partition_range_start")
    return first, tags.get("dagster/asset_partition_range_end", first)


def _launched_by(tags: dict[str, str]) -> str:
    if "chatwh/launched_by" in tags:
        return tags["chatwh/launched_by"]
    if "dagster/schedule_name" in tags:
        return f"schedule {tags['dagster/schedule_name']}"
    if "dagster/sensor_name" in tags:
        return f"sensor {tags['dagster/sensor_name']}"
    if "dagster/backfill" in tags:
        return f"backfill {tags['dagster/backfill']}"
    return "Dagster UI"


def _counts(instance, run_id: str, started: float, ended: float | None) -> dict[str, int] | None:
    """What the run's ingest step loaded: its raw assets' materialization metadata (both
    channels added up); None when the run loaded nothing (it failed before)."""
    from dagster import AssetKey, AssetRecordsFilter

    totals = dict.fromkeys(COUNTS, 0)
    found = False
    for key in RAW_ASSETS:
        # one writer at a time: a materialization inside the run's time span is the run's
        records = instance.fetch_materializations(
            AssetRecordsFilter(
                asset_key=AssetKey(list(key)), after_timestamp=started, before_timestamp=ended
            ),
            limit=1,
        ).records
        if records and records[0].run_id == run_id:
            found = True
            metadata = records[0].asset_materialization.metadata
            for name in COUNTS:
                totals[name] += int(metadata[name].value) if name in metadata else 0
    return totals if found else None


def _checks_and_error(instance, run_id: str) -> tuple[list[dict[str, Any]], str | None]:
    """The run's asset check results, and its first failure as one line."""
    from dagster import DagsterEventType

    from .pipeline import failure_line

    kinds = {
        DagsterEventType.ASSET_CHECK_EVALUATION,
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.RUN_FAILURE,
    }
    checks, error = [], None
    for record in instance.get_records_for_run(run_id, of_type=kinds).records:
        event = record.event_log_entry.dagster_event
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            checks.append(
                {
                    "name": evaluation.check_name,
                    "passed": evaluation.passed,
                    "severity": evaluation.severity.value,
                }
            )
        elif event.event_type == DagsterEventType.STEP_FAILURE and error is None:
            error = failure_line(event.event_specific_data.error)
        elif event.event_type == DagsterEventType.RUN_FAILURE and error is None:
            error = " ".join((record.event_log_entry.message or "the run failed").split())
    return checks, error


def last_runs(limit: int, warehouse: str) -> list[dict[str, Any]]:
    """The newest ``limit`` runs of the nightly job on ``warehouse``, newest first."""
    with imports_without_gc():
        from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.get() as instance:
        records = [
            record
            for record in instance.get_run_records(RunsFilter(job_name=JOB), limit=4 * limit)
            # a shared DAGSTER_HOME: only the runs that name this warehouse (or none)
            if record.dagster_run.tags.get(WAREHOUSE_TAG, warehouse) == warehouse
        ][:limit]
        runs = []
        for record in records:
            run, tags = record.dagster_run, dict(record.dagster_run.tags)
            first, last = _days(tags)
            checks, error = _checks_and_error(instance, run.run_id)
            started = record.start_time or record.create_timestamp.timestamp()
            runs.append(
                {
                    "run_id": run.run_id,
                    "status": run.status.value.lower(),
                    "started_at": _moment(started),
                    "ended_at": _moment(record.end_time),
                    "duration_seconds": (
                        round(record.end_time - started, 1) if record.end_time else None
                    ),
                    "first_day": first,
                    "last_day": last,
                    "launched_by": _launched_by(tags),
                    "full_refresh": tags.get("chatwh/full_refresh") == "true",
                    "records": _counts(instance, run.run_id, started, record.end_time),
                    "checks": checks,
                    "error": error,
                }
            )
    return runs


if __name__ == "__main__":
    print(json.dumps(last_runs(int(sys.argv[1]), sys.argv[2])))
