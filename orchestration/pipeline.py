"""Run the nightly Dagster job in this process, for one arrival day or a range of them.

``chatwh run`` and the schedule use the same job, partitions and checks: the only
difference is who starts the run. A range of days is one run (single-run backfill): one
ingest pass and one ``dbt build``, however many days.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from . import settings
from .errors import ErrorInfo, first_line, one_line, root_cause
from .gc_pause import imports_without_gc
from .ingest import LandingError, check_landing, find_arrival_days
from .sql import load as load_sql
from .warehouse import WarehouseBusy, check_before_run, connect, writer_lock

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# errors whose message is written for a person: shown without their kind
OWN_ERRORS = {"LandingError", "ConfigError", "KeyMismatch", "NotAWarehouse"}


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
    run_id: str | None = None
    dagster_home: Path | None = None  # the instance that holds the run and its event log
    dbt_log: Path | None = None  # dbt's own log of the run's `dbt build`
    # the failed step's whole error (its stack and every cause), for CHATWH_DEBUG
    failure_traceback: str | None = None


def install_instance_config(home: Path) -> None:
    """Copy the project's dagster.yaml into the instance folder (when it differs)."""
    home.mkdir(parents=True, exist_ok=True)
    config, source = home / "dagster.yaml", settings.PROJECT_DIR / "dagster.yaml"
    if not config.exists() or config.read_bytes() != source.read_bytes():
        shutil.copyfile(source, config)


def prepare_dagster_home(warehouse: Path | None = None, home: Path | None = None) -> Path:
    """The warehouse's instance folder, holding our dagster.yaml (``home``: another one, as
    the demo's own). The run opens it by its path: DAGSTER_HOME is never set here."""
    home = home or settings.dagster_home(warehouse)
    install_instance_config(home)
    return home


def _audit_totals(warehouse: Path, first: date, last: date) -> dict[str, int]:
    with connect(warehouse) as con:
        row = con.execute(load_sql("audit_totals"), [first, last]).fetchall()[0]
    names = ("days", "files", "records", "loaded", "skipped", "duplicates", "quarantined")
    return dict(zip(names, map(int, row), strict=True))


def resolve_days(
    found: list[date], landing: str, first: date | None, last: date | None
) -> tuple[date, date]:
    """The range to run: the one asked for, else every arrival day found in the landing zone."""
    if first is not None and last is not None:
        return first, last
    if not found:
        raise LandingError(f"no dt=YYYY-MM-DD folders with .jsonl files under {landing}")
    return found[0], found[-1]


def list_arrival_days(landing: str) -> list[date]:
    """The landing zone's arrival days; a landing zone that cannot be listed (an S3 endpoint
    that does not answer, wrong credentials) fails here, before any work, with its cause."""
    try:
        return find_arrival_days(landing)
    except duckdb.Error as error:
        raise LandingError(
            f"cannot list the landing zone {landing}: {first_line(error)}"
        ) from error


def days_to_run(registered: list[str], first: date, last: date, landing: str) -> list[str]:
    """The partitions (arrival days) of the range: the registered ones between its ends."""
    keys = [key for key in registered if first.isoformat() <= key <= last.isoformat()]
    if not keys:
        where = f"under dt={first}" if first == last else f"under dt={first} to dt={last}"
        raise LandingError(f"no files {where} in {landing}")
    return keys


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
    engine: str = "duckdb",
) -> RunOutcome:
    """Load the arrival days [first, last] (default: all found) and build everything after."""
    check_landing(landing)
    check_warehouse_path(warehouse)
    key = settings.pseudonym_key()
    with contextlib.suppress(WarehouseBusy):  # a run is writing it: checked under the lock
        check_before_run(warehouse, key)  # before anything is made (lock file, Dagster home)
    found = list_arrival_days(landing)
    first, last = resolve_days(found, landing, first, last)
    home = prepare_dagster_home(warehouse, dagster_home)

    handler = _ProgressHandler(on_progress) if on_progress else None
    progress = logging.getLogger("chatwh.progress")
    if handler:
        progress.addHandler(handler)
        progress.setLevel(logging.INFO)
    try:
        with writer_lock(warehouse, wait_seconds):
            # a foreign file, or a warehouse of another pseudonym key: stop before any work
            check_before_run(warehouse, key)
            result = _execute(found, first, last, landing, warehouse, home, full_refresh, engine)
            # this run's counts, read before the next writer (a run that `--wait`s) starts
            audit = _audit_totals(warehouse, first, last) if warehouse.exists() else {}
    finally:
        if handler:
            progress.removeHandler(handler)

    outcome = RunOutcome(
        success=result.success,
        first_day=first,
        last_day=last,
        run_id=result.run_id,
        dagster_home=home,
        dbt_log=settings.dbt_target_path(warehouse) / "dbt.log",
    )
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
        error = failures[0].event_specific_data.error if failures else None
        outcome.failure = failure_line(error) if error else "the run failed"
        outcome.failure_traceback = error.to_string() if error else None
    outcome.audit = audit
    return outcome


def _execute(
    found: list[date],
    first: date,
    last: date,
    landing: str,
    warehouse: Path,
    home: Path,
    full_refresh: bool,
    engine: str,
):
    with imports_without_gc():  # Dagster's imports: see gc_pause.py
        from dagster import DagsterInstance

        from .definitions import defs
        from .defs.partitions import register_arrival_days
        from .defs.resources import warehouse_run_config

    job = defs.resolve_job_def("nightly")
    # which warehouse this process writes (under its writer lock): see _release_abandoned_runs
    ours = {"chatwh/launched_by": "chatwh run", "chatwh/warehouse": str(warehouse)}
    tags = {"chatwh/full_refresh": "true" if full_refresh else "false", **ours}
    # dagster-dbt echoes dbt's own log lines on stdout; our progress lines say the same in
    # one line per step, and dbt keeps its full log in the run's target folder.
    verbose = settings.verbose()
    echo = sys.stderr if verbose else io.StringIO()
    level = "ERROR" if verbose else "CRITICAL"
    with DagsterInstance.from_config(str(home)) as instance, contextlib.redirect_stdout(echo):
        _release_abandoned_runs(instance, ours)
        # the partitions are the landing zone's arrival days (defs/partitions.py)
        registered = register_arrival_days(instance, [day.isoformat() for day in found])
        keys = days_to_run(registered, first, last, landing)
        if len(keys) == 1:
            partition = {"partition_key": keys[0]}
        else:  # one run over the range (a single-run backfill), as the UI's backfill does
            partition = {}
            tags.update({RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]})
        return job.execute_in_process(
            instance=instance,
            tags=tags,
            raise_on_error=False,
            run_config={
                # A failed step's error (with its stack trace) reaches the person as one line
                # (RunOutcome.failure); CHATWH_VERBOSE shows Dagster's own error log as well.
                "loggers": {"console": {"config": {"log_level": level}}},
                # this run's warehouse, landing zone and engine, whatever the definitions'
                # defaults
                **warehouse_run_config(warehouse, landing, engine),
            },
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


def failure_line(error: ErrorInfo) -> str:
    """A failed step's error as one line: its root cause (Dagster wraps the error raised in
    a step in ``DagsterExecutionStepExecutionError``, whose own message names only the op).
    Errors of this project's own kinds (a bad landing zone, a setting) are said as they are.
    """
    cause = root_cause(error)
    text = one_line(cause.message, cause.cls_name)
    head, _, rest = text.partition(": ")
    return rest if rest and head in OWN_ERRORS else text


class _ProgressHandler(logging.Handler):
    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink(record.getMessage())
