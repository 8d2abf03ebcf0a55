"""Run the nightly Dagster job in this process, for one arrival day or a range of them.

``chatwh run`` and the schedule use the same job, partitions and checks: the only
difference is who starts the run. A range of days is one run (single-run backfill): one
ingest pass and one ``dbt build``, however many days.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from . import settings
from .gc_pause import imports_without_gc
from .ingest import LandingError, check_landing, discover_arrival_dates
from .warehouse import WarehouseBusy, check_before_run, connect, writer_lock

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    severity: str


@dataclass
class RunOutcome:
    success: bool
    first_day: date
    last_day: date
    audit: dict[str, int] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    failure: str | None = None


def prepare_dagster_home(home: Path | None = None) -> Path:
    """Point DAGSTER_HOME at the project's instance folder holding our dagster.yaml
    (``home``: another one, as the demo's own)."""
    home = home or settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    source = settings.PROJECT_DIR / "dagster.yaml"
    if not config.exists() or config.read_bytes() != source.read_bytes():
        shutil.copyfile(source, config)
    os.environ["DAGSTER_HOME"] = str(home)
    # One "materialization planned" event per asset and run, not one per asset and day: a
    # year's backfill otherwise writes thousands of events to the instance's SQLite storage.
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    # A range's per-day materializations handed to the storage as one batch per asset (a
    # year: 365 each), written in one go by dagster.yaml's storage (instance_storage.py).
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "1000")
    return home


def _audit_totals(warehouse: Path, first: date, last: date) -> dict[str, int]:
    with connect(warehouse) as con:
        row = con.execute(
            """
            select count(distinct arrival_date), count(*), coalesce(sum(records), 0),
                coalesce(sum(loaded), 0), coalesce(sum(skipped), 0),
                coalesce(sum(duplicates), 0), coalesce(sum(quarantined), 0)
            from raw.load_audit where arrival_date between ? and ?
            """,
            [first, last],
        ).fetchall()[0]
    names = ("days", "files", "records", "loaded", "skipped", "duplicates", "quarantined")
    return dict(zip(names, map(int, row), strict=True))


def resolve_days(landing: str, first: date | None, last: date | None) -> tuple[date, date]:
    """The range to run: the one asked for, else every arrival day found in the landing zone."""
    if first is not None and last is not None:
        return first, last
    with duckdb.connect() as con:
        days = discover_arrival_dates(con, landing)
    if not days:
        raise LandingError(f"no dt=YYYY-MM-DD folders with .jsonl files under {landing}")
    return days[0], days[-1]


def check_warehouse_path(warehouse: Path) -> None:
    """Fail with one clear line, before any work, when the path cannot hold a DuckDB file."""
    if warehouse.is_dir():
        raise settings.ConfigError(f"warehouse {warehouse} is a folder: pass a file path")
    existing = next(parent for parent in warehouse.parents if parent.exists())
    if not existing.is_dir():
        raise settings.ConfigError(f"warehouse {warehouse} cannot be created: {existing} is a file")


def run_pipeline(
    landing: str,
    warehouse: Path,
    first: date | None = None,
    last: date | None = None,
    full_refresh: bool = False,
    wait_seconds: float = 0.0,
    on_progress: Callable[[str], None] | None = None,
    dagster_home: Path | None = None,
) -> RunOutcome:
    """Load the arrival days [first, last] (default: all found) and build everything after."""
    check_landing(landing)
    check_warehouse_path(warehouse)
    key = settings.pseudonym_key()
    with contextlib.suppress(WarehouseBusy):  # a run is writing it: checked under the lock
        check_before_run(warehouse, key)  # before anything is made (lock file, Dagster home)
    first, last = resolve_days(landing, first, last)
    if first < date.fromisoformat(os.environ.get("CHATWH_FIRST_ARRIVAL_DAY", "2020-01-01")):
        raise LandingError(
            f"arrival day {first} is before CHATWH_FIRST_ARRIVAL_DAY (default 2020-01-01): "
            "set it earlier"
        )
    os.environ["CHATWH_LANDING"] = landing
    os.environ["CHATWH_WAREHOUSE"] = str(warehouse)
    prepare_dagster_home(dagster_home)

    handler = _ProgressHandler(on_progress) if on_progress else None
    progress = logging.getLogger("chatwh.progress")
    if handler:
        progress.addHandler(handler)
        progress.setLevel(logging.INFO)
    try:
        with writer_lock(warehouse, wait_seconds):
            # a foreign file, or a warehouse of another pseudonym key: stop before any work
            check_before_run(warehouse, key)
            result = _execute(first, last, full_refresh)
            # this run's counts, read before the next writer (a run that `--wait`s) starts
            audit = _audit_totals(warehouse, first, last) if warehouse.exists() else {}
    finally:
        if handler:
            progress.removeHandler(handler)

    outcome = RunOutcome(success=result.success, first_day=first, last_day=last)
    outcome.checks = [
        CheckOutcome(
            name=evaluation.check_name,
            passed=evaluation.passed,
            severity=evaluation.severity.value,
        )
        for evaluation in result.get_asset_check_evaluations()
    ]
    if not result.success:
        failures = [event for event in result.all_events if event.is_step_failure]
        outcome.failure = (
            _one_line(failures[0].event_specific_data.error) if failures else "the run failed"
        )
    outcome.audit = audit
    return outcome


def _execute(first: date, last: date, full_refresh: bool):
    with imports_without_gc():  # Dagster's imports: see gc_pause.py
        from dagster import DagsterInstance

        from .definitions import defs
        from .defs.resources import warehouse_from_environment

    job = defs.resolve_job_def("nightly")
    # which warehouse this process writes (under its writer lock): see _release_abandoned_runs
    ours = {"chatwh/launched_by": "chatwh run", "chatwh/warehouse": os.environ["CHATWH_WAREHOUSE"]}
    tags = {"chatwh/full_refresh": "true" if full_refresh else "false", **ours}
    if first == last:
        partition = {"partition_key": first.isoformat()}
    else:
        partition = {}
        tags.update({RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()})
    # dagster-dbt echoes dbt's own log lines on stdout; our progress lines say the same in
    # one line per step, and dbt keeps its full log in the run's target folder.
    echo = sys.stderr if os.environ.get("CHATWH_VERBOSE") else io.StringIO()
    level = "ERROR" if os.environ.get("CHATWH_VERBOSE") else "CRITICAL"
    with DagsterInstance.get() as instance, contextlib.redirect_stdout(echo):
        _release_abandoned_runs(instance, ours)
        return job.execute_in_process(
            instance=instance,
            tags=tags,
            raise_on_error=False,
            # A failed step's error (with its stack trace) reaches the person as one line
            # (RunOutcome.failure); CHATWH_VERBOSE shows Dagster's own error log as well.
            run_config={"loggers": {"console": {"config": {"log_level": level}}}},
            # The definitions' resource was resolved at import; this run's warehouse and
            # landing (set in the environment by run_pipeline) may differ in a long process.
            resources={"warehouse": warehouse_from_environment()},
            **partition,
        )


def _release_abandoned_runs(instance, ours: dict[str, str]) -> None:
    """Fail the runs of earlier ``chatwh run`` processes that died, and free their pool slots.

    Every ``chatwh run`` holds the warehouse writer lock while its Dagster run executes, and
    this process holds it now: a run on this warehouse still marked in progress belongs to a
    process that was killed (SIGKILL, machine lost). Its slot in the "warehouse" pool would make
    every later run wait for it forever.
    """
    from dagster import DagsterRunStatus, RunsFilter

    in_progress = [
        DagsterRunStatus.NOT_STARTED,
        DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED,
    ]
    for run in instance.get_runs(RunsFilter(statuses=in_progress, tags=ours)):
        instance.report_run_failed(run, "its `chatwh run` process ended before the run did")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def _one_line(error, limit: int = 500) -> str:
    """A failed step's error on one line: ``pkg.SomeError: a\nb`` -> ``SomeError: a b``.

    Python tracebacks quoted in the message (dbt's log of an unexpected error) are left out:
    their last line, the exception itself, stays.
    """
    text = re.sub(r"Traceback \(most recent call last\):\n(?:[ \t]+.*(?:\n|$))*", "", error.message)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    head, _, rest = text.partition(": ")
    if rest and error.cls_name and head.endswith(error.cls_name):
        own = error.cls_name == "DagsterAssetCheckFailedError"  # says which checks, plainly
        text = rest if own else f"{error.cls_name}: {rest}"
    return text


class _ProgressHandler(logging.Handler):
    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink(record.getMessage())
