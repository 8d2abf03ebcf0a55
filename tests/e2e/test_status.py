"""What an operator asks first: `chatwh status`, `chatwh --version`, the run id that
`chatwh run` prints, one Dagster home per warehouse, and what `make dev` starts with.

Every command is the real `chatwh` in a subprocess, on real runs (Dagster, dbt, DuckDB).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Deployment, make_deployment, run_chatwh
from tests.support.support import query

RUN_LINE = re.compile(
    r"^dagster run ([0-9a-f-]{36}) in (\S+) \(compute logs: (\S+)\); dbt log: (\S+)$"
)
STATUS_FIELDS = {"warehouse", "dagster_home", "newest_arrival_day", "first_session_date",
                 "last_session_date", "runs"}  # fmt: skip
RUN_FIELDS = {
    "run_id", "status", "success", "started_at", "ended_at", "duration_seconds", "first_day",
    "last_day", "launched_by", "full_refresh", "records", "top_quarantine_reasons", "checks",
    "checks_passed", "checks_failed", "error",
}  # fmt: skip
COUNT_FIELDS = {"files", "records", "loaded", "skipped", "duplicates", "quarantined"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def status(deployment: Deployment, *args: str) -> dict:
    return json.loads(deployment.chatwh("status", "--json", *args).stdout)


def printed_run(stdout: str) -> re.Match:
    """The line of `chatwh run` that names its Dagster run and its logs."""
    matches = [RUN_LINE.match(line) for line in stdout.splitlines()]
    found = [match for match in matches if match]
    assert len(found) == 1, stdout
    return found[0]


def audit_sums(warehouse: Path, first: str, last: str) -> dict[str, int]:
    files, records, loaded, skipped, duplicates, quarantined = query(
        warehouse,
        "select count(*), sum(records), sum(loaded), sum(skipped), sum(duplicates), "
        "sum(quarantined) from raw.load_audit where arrival_date between ? and ?",
        [date.fromisoformat(first), date.fromisoformat(last)],
    )[0]
    return {"files": files, "records": records, "loaded": loaded, "skipped": skipped,
            "duplicates": duplicates, "quarantined": quarantined}  # fmt: skip


# --------------------------------------------------------------------------- after one run


@pytest.mark.xdist_group("simulated")
def test_status_reports_the_run_and_what_the_warehouse_holds(simulated: Deployment) -> None:
    view = status(simulated)
    assert set(view) == STATUS_FIELDS
    assert view["warehouse"] == str(simulated.warehouse)
    assert view["dagster_home"] == simulated.env["DAGSTER_HOME"]  # set explicitly: it wins
    (newest, first, last), = simulated.query(
        "select (select max(arrival_date) from raw.load_audit), min(session_date), "
        "max(session_date) from marts.fct_sessions"
    )  # fmt: skip
    assert (view["newest_arrival_day"], view["first_session_date"], view["last_session_date"]) == (
        newest.isoformat(), first.isoformat(), last.isoformat()
    )  # fmt: skip

    (run,) = view["runs"]
    assert set(run) == RUN_FIELDS
    assert run["status"] == "success" and run["success"] is True and run["error"] is None
    assert run["launched_by"] == "chatwh run" and run["full_refresh"] is False
    days = simulated.query("select min(arrival_date), max(arrival_date) from raw.load_audit")[0]
    assert (run["first_day"], run["last_day"]) == tuple(day.isoformat() for day in days)
    assert run["started_at"] < run["ended_at"] and run["duration_seconds"] > 0
    assert set(run["records"]) == COUNT_FIELDS
    assert run["records"] == audit_sums(simulated.warehouse, run["first_day"], run["last_day"])
    assert run["records"]["quarantined"] > 0  # the simulator writes bad lines

    reasons = simulated.query(
        "select reason, count(*) from raw.quarantine group by reason "
        "order by count(*) desc, reason limit 3"
    )
    assert [(item["reason"], item["records"]) for item in run["top_quarantine_reasons"]] == reasons
    assert {check["name"] for check in run["checks"]} == {
        "quarantine_share", "raw_reconciles_with_audit", "unique_plus_recurring_is_total",
        "no_month_missing", "latest_arrival_is_fresh",
    }  # fmt: skip
    failed = sorted(check["name"] for check in run["checks"] if not check["passed"])
    assert sorted(run["checks_failed"]) == failed
    assert run["checks_passed"] == len(run["checks"]) - len(failed)

    text = simulated.chatwh("status").stdout
    assert f"run {run['run_id']}" in text
    assert f"newest arrival day {newest}" in text and f"sessions from {first} to {last}" in text
    counts = run["records"]
    assert (
        f"{counts['files']:,} files, {counts['records']:,} records: {counts['loaded']:,} loaded, "
        f"{counts['skipped']:,} skipped, {counts['duplicates']:,} duplicates, "
        f"{counts['quarantined']:,} quarantined"
    ) in text
    assert f"{reasons[0][0]} ({reasons[0][1]:,})" in text
    assert f"checks: {run['checks_passed']} passed, {len(failed)} failed" in text


def test_every_status_field_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    section = docs[docs.index("## `chatwh status`") :]
    for field in sorted(STATUS_FIELDS | RUN_FIELDS | COUNT_FIELDS):
        assert f"`{field}`" in section, field


@pytest.mark.xdist_group("simulated")
def test_status_says_warehouse_busy_while_a_run_writes(simulated: Deployment, tmp_path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(simulated.warehouse, copy)
    with duckdb.connect(str(copy)):  # a writer holds the file, as a run does
        result = simulated.chatwh("status", "--warehouse", str(copy), check=False)
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chatwh status: error: warehouse busy"), lines


def test_version(tmp_path) -> None:
    result = run_chatwh("--version", env=make_deployment(tmp_path).env)
    assert result.stdout.strip() == f"chatwh {importlib.metadata.version('chat-warehouse')}"


# --------------------------------------------------------------------------- two warehouses


def _own_home(root: Path, landing: Path) -> Deployment:
    """A deployment whose Dagster home is chosen by the rule (no DAGSTER_HOME set)."""
    deployment = make_deployment(root)
    env = {key: value for key, value in deployment.env.items() if key != "DAGSTER_HOME"}
    env["CHATWH_LANDING"] = str(landing)
    return Deployment(root, landing, deployment.warehouse, env)


def test_two_warehouses_have_two_dagster_homes_and_status_shows_a_failed_run(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    run_chatwh(
        "simulate", "--out", str(landing), "--start", "2026-01-01", "--days", "3",
        "--users", "60", "--seed", "3", env=make_deployment(tmp_path / "sim").env,
    )  # fmt: skip
    first, second = _own_home(tmp_path / "a", landing), _own_home(tmp_path / "b", landing)

    homes, run_ids = [], []
    for deployment in (first, second):
        match = printed_run(deployment.chatwh("run").stdout)
        run_id, home = match.group(1), Path(match.group(2))
        assert home == deployment.warehouse.with_name("warehouse.duckdb.dagster")
        assert (home / "history" / "runs" / f"{run_id}.db").is_file()
        assert Path(match.group(3)) == home / "storage" / run_id / "compute_logs"
        assert Path(match.group(3)).is_dir() and Path(match.group(4)).is_file()
        homes.append(home)
        run_ids.append(run_id)
    assert not (homes[1] / "history" / "runs" / f"{run_ids[0]}.db").exists()

    # a failing blocking check: the audit no longer matches raw for one file
    with duckdb.connect(str(first.warehouse)) as con:
        con.execute(
            "update raw.load_audit set loaded = loaded + 1, records = records + 1 "
            "where source_file = (select min(source_file) from raw.load_audit where loaded > 0)"
        )
    failed_run = first.chatwh("run", "--date", "2026-01-03", check=False)
    assert failed_run.returncode != 0
    failed_id = printed_run(failed_run.stdout).group(1)

    view = status(first)
    assert view["dagster_home"] == str(homes[0])
    assert [run["run_id"] for run in view["runs"]] == [failed_id, run_ids[0]]
    latest, earlier = view["runs"]
    assert latest["status"] == "failure" and latest["success"] is False
    assert (latest["first_day"], latest["last_day"]) == ("2026-01-03", "2026-01-03")
    assert "raw_reconciles_with_audit" in latest["checks_failed"]
    assert "raw_reconciles_with_audit" in latest["error"]
    assert earlier["success"] is True and earlier["first_day"] == "2026-01-01"
    text = first.chatwh("status").stdout
    assert "FAILURE" in text and "error: " in text and "raw_reconciles_with_audit" in text

    assert [run["run_id"] for run in status(second)["runs"]] == [run_ids[1]]
    assert [run["run_id"] for run in status(first, "--limit", "1")["runs"]] == [failed_id]


# --------------------------------------------------------------------------- make dev


def test_dagster_home_rule_and_the_dev_notice(tmp_path: Path, monkeypatch) -> None:
    from orchestration import dev, settings
    from orchestration.defs.schedules import nightly_schedule

    warehouse = tmp_path / "w.duckdb"
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("CHATWH_WAREHOUSE", str(warehouse))
    assert settings.dagster_home() == tmp_path / "w.duckdb.dagster"
    assert settings.dagster_home(tmp_path / "x.duckdb") == tmp_path / "x.duckdb.dagster"

    secret = "a-real-secret-never-printed"
    notices = {}
    for kind, key in (("unset", ""), ("demo", settings.DEMO_PSEUDONYM_KEY), ("set", secret)):
        monkeypatch.setenv("CHATWH_PSEUDONYM_KEY", key)
        notices[kind] = "\n".join(dev.notice(settings.dagster_home()))
    assert all(f"Dagster home {tmp_path / 'w.duckdb.dagster'}" in text for text in notices.values())
    assert "CHATWH_PSEUDONYM_KEY is not set" in notices["unset"]
    assert settings.DEMO_PSEUDONYM_KEY in notices["demo"] and "demo" in notices["demo"]
    assert "CHATWH_PSEUDONYM_KEY is set" in notices["set"] and secret not in notices["set"]
    assert all("schedule is off" in text for text in notices.values())

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "explicit"))
    assert settings.dagster_home(warehouse) == tmp_path / "explicit"
    assert nightly_schedule.default_status.value == "STOPPED"
