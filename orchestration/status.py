"""``chatwh status``: the last runs of a warehouse and what the warehouse holds now.

Two sources, each read only: the warehouse's Dagster instance (``run_history``: when each
run ran, its days, its counts and checks, how it ended) and the warehouse itself (the
reasons of the records a run quarantined, the newest arrival day, the sessions' date
range). While a run writes the warehouse, the command says "warehouse busy" like the query
commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from . import settings
from .sql import load as load_sql
from .warehouse import open_for_queries

TOP_REASONS = 3


def dagster_runs(home: Path, warehouse: Path, limit: int) -> list[dict[str, Any]]:
    """The warehouse's last runs from its Dagster instance (none before the first run).

    Read in a child process: Dagster finds an instance through DAGSTER_HOME alone, and this
    process leaves its own environment as it is.
    """
    if not (home / "dagster.yaml").exists():
        return []
    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.run_history", str(limit), str(warehouse)],
        env=settings.dagster_environment(home),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"cannot read the runs in the Dagster home {home}: {last}")
    return json.loads(completed.stdout)


def _utc(moment: str | None) -> datetime:
    """An ISO moment as the naive UTC timestamp the warehouse stores (now when None)."""
    parsed = datetime.fromisoformat(moment) if moment else datetime.now(UTC)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def top_reasons(con: duckdb.DuckDBPyConnection, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The commonest reasons among the records the run quarantined and the warehouse keeps."""
    if not (run["records"] and run["records"]["quarantined"] and run["first_day"]):
        return []
    rows = con.execute(
        load_sql("status_quarantine_reasons"),
        [
            date.fromisoformat(run["first_day"]),
            date.fromisoformat(run["last_day"]),
            _utc(run["started_at"]),
            _utc(run["ended_at"]),
            TOP_REASONS,
        ],
    ).fetchall()
    return [{"reason": reason, "records": records} for reason, records in rows]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def warehouse_state(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """The newest arrival day loaded and the local dates of the first and last session."""
    try:
        newest, first, last = con.execute(load_sql("status_warehouse")).fetchall()[0]
    except duckdb.CatalogException:  # a first run that failed before dbt built the marts
        newest = first = last = None
    return {
        "newest_arrival_day": _iso(newest),
        "first_session_date": _iso(first),
        "last_session_date": _iso(last),
    }


def status(warehouse: Path, limit: int) -> dict[str, Any]:
    """The ``chatwh status --json`` document (fields in docs/operations.md)."""
    home = settings.dagster_home(warehouse)
    # "no warehouse at PATH" (or what the file is) before Dagster's instance is read
    with open_for_queries(warehouse, need_marts=False) as con:
        runs = dagster_runs(home, warehouse, limit)
        state = warehouse_state(con)
        for run in runs:
            run["top_quarantine_reasons"] = top_reasons(con, run)
    for run in runs:
        failed = [check for check in run["checks"] if not check["passed"]]
        run["checks_passed"] = len(run["checks"]) - len(failed)
        run["checks_failed"] = [check["name"] for check in failed]
        run["success"] = run["status"] == "success"
    return {"warehouse": str(warehouse), "dagster_home": str(home), **state, "runs": runs}


# --------------------------------------------------------------------------- text


def _count(value: int) -> str:
    return f"{value:,}"


def _when(moment: str | None) -> str:
    return moment.replace("T", " ").replace("+00:00", " UTC") if moment else "—"


def _days_text(run: dict[str, Any]) -> str:
    first, last = run["first_day"], run["last_day"]
    if not first:
        return "days unknown"
    if first == last:
        return f"day {first}"
    count = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    return f"days {first} to {last} ({count})"


def _run_lines(run: dict[str, Any]) -> list[str]:
    duration = "running" if run["ended_at"] is None else f"{run['duration_seconds']:.1f}s"
    outcome = "ok" if run["success"] else run["status"].upper()
    lines = [
        f"  {_when(run['started_at'])}  {outcome}  {duration}  {_days_text(run)}  "
        f"{run['launched_by']}{' --full-refresh' if run['full_refresh'] else ''}",
        f"    run {run['run_id']}, ended {_when(run['ended_at'])}",
    ]
    counts = run["records"]
    if counts:
        lines.append(
            f"    {_count(counts['files'])} files, {_count(counts['records'])} records: "
            f"{_count(counts['loaded'])} loaded, {_count(counts['skipped'])} skipped, "
            f"{_count(counts['duplicates'])} duplicates, "
            f"{_count(counts['quarantined'])} quarantined"
        )
    else:
        lines.append("    nothing loaded")
    if run["top_quarantine_reasons"]:
        lines.append(
            "    top quarantine reasons: "
            + "; ".join(
                f"{item['reason']} ({_count(item['records'])})"
                for item in run["top_quarantine_reasons"]
            )
        )
    failed = [check for check in run["checks"] if not check["passed"]]
    lines.append(
        f"    checks: {run['checks_passed']} passed, {len(failed)} failed"
        + "".join(f"; {check['severity'].lower()}: {check['name']}" for check in failed)
    )
    if run["error"]:
        lines.append(f"    error: {run['error']}")
    return lines


def render_status(view: dict[str, Any]) -> str:
    first, last = view["first_session_date"], view["last_session_date"]
    lines = [
        f"Warehouse {view['warehouse']}",
        f"  newest arrival day {view['newest_arrival_day'] or '—'} · "
        + (f"sessions from {first} to {last}" if first else "no sessions yet"),
        f"  Dagster home {view['dagster_home']}",
    ]
    if not view["runs"]:
        lines.append("No runs recorded in this Dagster home.")
        return "\n".join(lines)
    lines.append(f"Last {len(view['runs'])} runs, newest first:")
    for run in view["runs"]:
        lines.extend(_run_lines(run))
    return "\n".join(lines)
