"""Asset checks: what a data engineer wants to know every morning."""

import dagster as dg

from .. import settings
from ..sql import load as load_sql
from .ingest import RAW_KEYS
from .resources import Warehouse

MARTS = {
    "dashboard": dg.AssetKey(["marts", "dashboard_monthly_users"]),
    "chains": dg.AssetKey(["marts", "session_chains_daily"]),
    "customers": dg.AssetKey(["marts", "customers"]),
}


@dg.asset_check(asset=RAW_KEYS["web"], name="quarantine_share", blocking=False)
def quarantine_share(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Warn when more than CHATWH_QUARANTINE_WARN_SHARE of the latest day's records are bad."""
    with warehouse.connect() as con:
        rows = con.execute(load_sql("check_quarantine_share")).fetchall()
    if not rows:
        return dg.AssetCheckResult(passed=True, metadata={"records": 0})
    day, quarantined, records = rows[0]
    share = quarantined / records if records else 0.0
    return dg.AssetCheckResult(
        passed=share <= settings.quarantine_warn_share(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "arrival_date": str(day),
            "quarantined": int(quarantined),
            "records": int(records),
            "share": round(share, 4),
        },
    )


@dg.asset_check(asset=RAW_KEYS["whatsapp"], name="raw_reconciles_with_audit", blocking=True)
def raw_reconciles_with_audit(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Per arrival day and channel, rows in raw = loaded in the audit; every file adds up."""
    with warehouse.connect() as con:
        mismatched_days = con.execute(load_sql("check_raw_matches_audit")).fetchall()[0][0]
        unbalanced_files = con.execute(load_sql("check_unbalanced_files")).fetchall()[0][0]
    return dg.AssetCheckResult(
        passed=mismatched_days == 0 and unbalanced_files == 0,
        metadata={
            "mismatched_days": int(mismatched_days),
            "unbalanced_files": int(unbalanced_files),
        },
    )


@dg.asset_check(asset=MARTS["chains"], name="unique_plus_recurring_is_total", blocking=True)
def unique_plus_recurring_is_total(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Over all history, per assistant: the window counts agree with the per-user mart."""
    with warehouse.connect() as con:
        rows = con.execute(load_sql("check_window_counts_match_users")).fetchall()
    bad = int(rows[0][0])
    return dg.AssetCheckResult(passed=bad == 0, metadata={"assistants_disagreeing": bad})


@dg.asset_check(asset=MARTS["dashboard"], name="no_month_missing", blocking=True)
def no_month_missing(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every assistant has every month between the first and the last, exactly once."""
    with warehouse.connect() as con:
        rows = con.execute(load_sql("check_dashboard_month_gaps")).fetchall()
    bad = int(rows[0][0])
    return dg.AssetCheckResult(passed=bad == 0, metadata={"assistants_with_gaps": bad})


@dg.asset_check(asset=RAW_KEYS["web"], name="latest_arrival_is_fresh", blocking=False)
def latest_arrival_is_fresh(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Warn when the newest loaded arrival day is more than CHATWH_FRESHNESS_DAYS old."""
    with warehouse.connect() as con:
        latest = con.execute(load_sql("check_latest_arrival")).fetchall()[0][0]
        lag = (
            con.execute(load_sql("check_days_behind"), [latest]).fetchall()[0][0]
            if latest
            else None
        )
    return dg.AssetCheckResult(
        passed=lag is not None and lag <= settings.freshness_days(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"latest_arrival_date": str(latest), "days_behind": lag},
    )


ALL_CHECKS = [
    quarantine_share,
    raw_reconciles_with_audit,
    unique_plus_recurring_is_total,
    no_month_missing,
    latest_arrival_is_fresh,
]
