"""The nightly job, its schedule, and a sensor for files that land late under an older dt."""

import os
from datetime import datetime

import dagster as dg

from .. import settings
from ..ingest import arrival_date_of
from ..run_history import WAREHOUSE_TAG
from .partitions import arrival_days, day_before
from .resources import Warehouse

NIGHTLY_CRON = os.environ.get("CHATWH_NIGHTLY_CRON", "0 2 * * *")
NIGHTLY_TIMEZONE = os.environ.get("CHATWH_NIGHTLY_TIMEZONE", "UTC")

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
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=NIGHTLY_TIMEZONE,
    # off until an operator switches it on (the UI's Automation page, or `dagster schedule
    # start nightly_schedule`): `make dev` on a laptop must not start loading at 02:00
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every night (CHATWH_NIGHTLY_CRON, default 02:00 UTC) load yesterday's arrivals,
    once switched on."""
    return nightly_run_request(context.scheduled_execution_time)


def late_files(files: dict[str, float], since: float) -> list[str]:
    """Partition keys of the files modified after ``since`` (a file mtime cursor)."""
    days = {arrival_date_of(path) for path, modified in files.items() if modified > since}
    return sorted(str(day) for day in days if day is not None)


@dg.sensor(job=nightly_job, minimum_interval_seconds=600)
def late_arrivals_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """Re-run the arrival days whose folders got new or changed files since the last look."""
    from pathlib import Path

    root = Path(warehouse.landing)
    if not root.is_dir():
        return dg.SkipReason(f"{root} is not a local folder")
    files = {
        str(path): path.stat().st_mtime
        for channel in ("web", "whatsapp")
        for path in root.glob(f"{channel}/dt=*/*.jsonl*")
    }
    since = float(context.cursor or 0)
    if not files:
        return dg.SkipReason("no files")
    newest = max(files.values())
    if since == 0:
        context.update_cursor(str(newest))
        return dg.SkipReason("first look: remembered the newest file")
    days = late_files(files, since)
    context.update_cursor(str(newest))
    return [dg.RunRequest(run_key=f"late-{day}-{newest}", partition_key=day) for day in days]
