"""Asset checks: what a data engineer wants to know every morning."""

import dagster as dg

from .. import settings
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
        rows = con.execute(
            """
            select arrival_date, sum(quarantined), sum(records)
            from raw.load_audit
            where arrival_date = (select max(arrival_date) from raw.load_audit)
            group by arrival_date
            """
        ).fetchall()
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
        mismatched_days = con.execute(
            """
            with audit as (
                select arrival_date, channel, sum(loaded) as loaded
                from raw.load_audit group by all
            ),
            stored as (
                select arrival_date, 'web' as channel, count(*) as stored
                from raw.web_events group by all
                union all
                select arrival_date, 'whatsapp', count(*) from raw.whatsapp_messages group by all
            )
            select count(*) from audit full join stored using (arrival_date, channel)
            where coalesce(loaded, 0) <> coalesce(stored, 0)
            """
        ).fetchall()[0][0]
        unbalanced_files = con.execute(
            """
            select count(*) from raw.load_audit
            where loaded + skipped + duplicates + quarantined <> records
            """
        ).fetchall()[0][0]
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
        rows = con.execute(
            """
            with chains as (
                select assistant_id,
                    sum(chains) filter (where chain_length = 1)
                        - coalesce(sum(chains) filter (where chain_length = 2), 0) as total,
                    coalesce(sum(chains) filter (where chain_length = 2), 0)
                        - coalesce(sum(chains) filter (where chain_length = 3), 0) as recurring
                from marts.session_chains_daily group by assistant_id
            ),
            users as (
                select assistant_id, count(*) as total,
                    count(*) filter (where lifetime_sessions > 1) as recurring
                from marts.customers group by assistant_id
            )
            select count(*) from chains full join users using (assistant_id)
            where chains.total is distinct from users.total
                or chains.recurring is distinct from users.recurring
            """
        ).fetchall()
    bad = int(rows[0][0])
    return dg.AssetCheckResult(passed=bad == 0, metadata={"assistants_disagreeing": bad})


@dg.asset_check(asset=MARTS["dashboard"], name="no_month_missing", blocking=True)
def no_month_missing(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every assistant has every month between the first and the last, exactly once."""
    with warehouse.connect() as con:
        rows = con.execute(
            """
            select count(*) from (
                select assistant_id,
                    count(*) as months,
                    count(distinct month_start_date) as distinct_months,
                    date_diff('month', min(month_start_date), max(month_start_date)) + 1 as span
                from marts.dashboard_monthly_users group by assistant_id
            ) where months <> span or distinct_months <> months
            """
        ).fetchall()
    bad = int(rows[0][0])
    return dg.AssetCheckResult(passed=bad == 0, metadata={"assistants_with_gaps": bad})


@dg.asset_check(asset=RAW_KEYS["web"], name="latest_arrival_is_fresh", blocking=False)
def latest_arrival_is_fresh(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Warn when the newest loaded arrival day is more than CHATWH_FRESHNESS_DAYS old."""
    with warehouse.connect() as con:
        latest = con.execute("select max(arrival_date) from raw.load_audit").fetchall()[0][0]
        lag = (
            con.execute("select date_diff('day', ?::date, current_date)", [latest]).fetchall()[0][0]
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
