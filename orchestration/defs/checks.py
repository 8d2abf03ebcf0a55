"""Asset checks: what a data engineer wants to know every morning.

Five checks in two steps: those on raw, after the ingest (one blocks dbt), and those on the
marts, after dbt (they block the serving snapshot). Each step is one ``multi_asset_check``:
a step of its own per check cost a nightly about 0.1 s of Dagster's step events each
(docs/benchmarks.md, "The checks in two steps"). So a check run from the UI runs with the
others of its step: a few queries on small tables, and the raw audit.
"""

from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import duckdb

from .. import settings
from ..sql import load as load_sql
from .ingest import RAW_KEYS
from .resources import Warehouse

MARTS = {
    "dashboard": dg.AssetKey(["marts", "dashboard_monthly_users"]),
    "chains": dg.AssetKey(["marts", "session_chains_daily"]),
    "customers": dg.AssetKey(["marts", "customers"]),
}
# A check reads the warehouse and says whether it passed, with what it found.
Found = tuple[bool, dict[str, Any]]
Check = Callable[[duckdb.DuckDBPyConnection], Found]


def quarantine_share(con: duckdb.DuckDBPyConnection) -> Found:
    """Warn when more than CHATWH_QUARANTINE_WARN_SHARE of the latest day's records are bad."""
    rows = con.execute(load_sql("check_quarantine_share")).fetchall()
    if not rows:
        return True, {"records": 0}
    day, quarantined, records = rows[0]
    share = quarantined / records if records else 0.0
    return share <= settings.quarantine_warn_share(), {
        "arrival_date": str(day),
        "quarantined": int(quarantined),
        "records": int(records),
        "share": round(share, 4),
    }


def raw_reconciles_with_audit(con: duckdb.DuckDBPyConnection) -> Found:
    """Per arrival day and channel, rows in raw = loaded in the audit; every file adds up."""
    mismatched_days = con.execute(load_sql("check_raw_matches_audit")).fetchall()[0][0]
    unbalanced_files = con.execute(load_sql("check_unbalanced_files")).fetchall()[0][0]
    return mismatched_days == 0 and unbalanced_files == 0, {
        "mismatched_days": int(mismatched_days),
        "unbalanced_files": int(unbalanced_files),
    }


def latest_arrival_is_fresh(con: duckdb.DuckDBPyConnection) -> Found:
    """Warn when the newest loaded arrival day is more than CHATWH_FRESHNESS_DAYS old."""
    latest = con.execute(load_sql("check_latest_arrival")).fetchall()[0][0]
    lag = con.execute(load_sql("check_days_behind"), [latest]).fetchall()[0][0] if latest else None
    passed = lag is not None and lag <= settings.freshness_days()
    return passed, {"latest_arrival_date": str(latest), "days_behind": lag}


def unique_plus_recurring_is_total(con: duckdb.DuckDBPyConnection) -> Found:
    """Over all history, per assistant: the window counts agree with the per-user mart."""
    bad = int(con.execute(load_sql("check_window_counts_match_users")).fetchall()[0][0])
    return bad == 0, {"assistants_disagreeing": bad}


def no_month_missing(con: duckdb.DuckDBPyConnection) -> Found:
    """Every assistant has every month between the first and the last, exactly once."""
    bad = int(con.execute(load_sql("check_dashboard_month_gaps")).fetchall()[0][0])
    return bad == 0, {"assistants_with_gaps": bad}


def spec(check: Check, asset: dg.AssetKey, *, blocking: bool) -> tuple[dg.AssetCheckSpec, Check]:
    """A check's spec, named and described by its function: blocking ones are errors, the
    others warnings."""
    described = dg.AssetCheckSpec(
        check.__name__,
        asset=asset,
        description=(check.__doc__ or "").strip(),
        blocking=blocking,
    )
    return described, check


ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def evaluate(
    warehouse: Warehouse, checks: list[tuple[dg.AssetCheckSpec, Check]]
) -> Iterator[dg.AssetCheckResult]:
    """The checks of one step, on one connection, each with its spec's severity."""
    with warehouse.connect() as con:
        for described, check in checks:
            passed, found = check(con)
            yield dg.AssetCheckResult(
                asset_key=described.asset_key,
                check_name=described.name,
                passed=passed,
                severity=ERROR if described.blocking else WARN,
                metadata=found,
            )


RAW_CHECKS = [
    spec(quarantine_share, RAW_KEYS["web"], blocking=False),
    spec(raw_reconciles_with_audit, RAW_KEYS["whatsapp"], blocking=True),
    spec(latest_arrival_is_fresh, RAW_KEYS["web"], blocking=False),
]
MART_CHECKS = [
    spec(unique_plus_recurring_is_total, MARTS["chains"], blocking=True),
    spec(no_month_missing, MARTS["dashboard"], blocking=True),
]


@dg.multi_asset_check(specs=[described for described, _check in RAW_CHECKS])
def raw_checks(warehouse: Warehouse):
    """The raw tables against the load audit, the quarantine share and the freshness."""
    yield from evaluate(warehouse, RAW_CHECKS)


@dg.multi_asset_check(specs=[described for described, _check in MART_CHECKS])
def mart_checks(warehouse: Warehouse):
    """The marts' counts against each other, and the Dashboard's months."""
    yield from evaluate(warehouse, MART_CHECKS)


ALL_CHECKS = [raw_checks, mart_checks]
