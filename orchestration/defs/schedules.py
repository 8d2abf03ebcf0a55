"""The nightly job, its schedule, and a sensor for files that land late under an older dt."""

from datetime import datetime

import dagster as dg

from .. import landing_fs, settings
from ..ingest import arrival_date_of, find_arrival_days, landing_patterns
from ..run_history import WAREHOUSE_TAG
from .partitions import (
    ARRIVAL_DAYS,
    arrival_days,
    day_before,
    register_arrival_days,
    registration_requests,
)
from .resources import Warehouse

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.all(),
    partitions_def=arrival_days,
    description="Load arrival days into raw, then dbt build everything downstream.",
    # every run names the warehouse it writes, however it was started (schedule, sensor, UI):
    # `chatwh status` reads a shared Dagster home's runs of one warehouse only
    tags={WAREHOUSE_TAG: str(settings.warehouse_path())},
)


def nightly_run_request(scheduled_at: datetime) -> dg.RunRequest:
    """The run a tick starts: the UTC arrival day before the tick."""
    day = day_before(scheduled_at)
    return dg.RunRequest(run_key=f"nightly-{day}", partition_key=day)


@dg.schedule(
    job=nightly_job,
    cron_schedule=settings.nightly_cron(),
    execution_timezone=settings.nightly_timezone(),
    # off until an operator switches it on (the UI's Automation page, or `dagster schedule
    # start nightly_schedule`): `make dev` on a laptop must not start loading at 02:00
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def nightly_schedule(
    context: dg.ScheduleEvaluationContext, warehouse: Warehouse
) -> dg.RunRequest | dg.SkipReason:
    """Every night (CHATWH_NIGHTLY_CRON, default 02:00 UTC) load yesterday's arrivals,
    once switched on.

    The tick registers the landing zone's arrival days as partitions first (a schedule
    cannot hand Dagster partition requests as a sensor does). A night without files skips,
    saying so: the day is no partition, and the late-arrivals sensor (or ``chatwh run
    --date``) loads it when its files come.
    """
    request = nightly_run_request(context.scheduled_execution_time)
    days = [day.isoformat() for day in find_arrival_days(warehouse.landing)]
    if request.partition_key not in days:
        return dg.SkipReason(f"no files under dt={request.partition_key} in {warehouse.landing}")
    register_arrival_days(context.instance, days)
    return request


def late_files(files: dict[str, float], since: float) -> list[str]:
    """Partition keys of the files modified after ``since`` (a file mtime cursor)."""
    days = {arrival_date_of(path) for path, modified in files.items() if modified > since}
    return sorted(str(day) for day in days if day is not None)


@dg.sensor(job=nightly_job, minimum_interval_seconds=600)
def late_arrivals_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """Re-run the arrival days whose folders got new or changed files since the last look.

    The landing zone is listed through its filesystem (a local folder or S3); new days are
    registered as partitions with the run requests, in one sensor result.
    """
    files = landing_fs.modified_times(warehouse.landing, landing_patterns(warehouse.landing))
    since = float(context.cursor or 0)
    if not files:
        return dg.SkipReason("no files")
    newest = max(files.values())
    context.update_cursor(str(newest))
    partitions = registration_requests(
        context.instance.get_dynamic_partitions(ARRIVAL_DAYS), late_files(files, 0.0)
    )
    if since == 0:
        skip = "first look: remembered the newest file"
        return dg.SensorResult(skip_reason=skip, dynamic_partitions_requests=partitions)
    runs = [
        dg.RunRequest(run_key=f"late-{day}-{newest}", partition_key=day)
        for day in late_files(files, since)
    ]
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=partitions)
