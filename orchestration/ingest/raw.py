"""Writing raw: the days' interactions replace what earlier loads of those days left, and
each reload is logged in ``raw.reloads`` for dbt's change set."""

from __future__ import annotations

from datetime import date

import duckdb

from .dedup import mark_duplicates
from .quarantine import write_quarantine
from .statements import sql

RAW_TABLE = {"web": "raw.web_events", "whatsapp": "raw.whatsapp_messages"}


def write(con: duckdb.DuckDBPyConnection, channel: str, days: list[date]) -> None:
    """Replace the days' rows of the channel in raw, quarantine and audit (in the caller's
    transaction), then write its new interactions and quarantined records."""
    table = RAW_TABLE[channel]
    con.execute(sql("batch_days"), {"days": days})
    con.execute(sql("reloads", raw_table=table), {"channel": channel})
    con.execute(sql("delete_raw_days", raw_table=table))
    for target in ("raw.quarantine", "raw.load_audit"):
        con.execute(sql("delete_channel_days", table=target), {"channel": channel})
    mark_duplicates(con, channel)
    con.execute(sql(f"insert_{table.removeprefix('raw.')}"))
    write_quarantine(con, channel)
