"""De-duplication: an interaction delivered again (under any arrival day, or earlier in the
same batch) is a duplicate, counted and not loaded."""

from __future__ import annotations

import duckdb

from .statements import sql

# What makes an interaction the same one (SPEC: WhatsApp's id alone is not enough).
DEDUP_KEY = {
    "web": ("message_id",),
    "whatsapp": ("message_id", "user_id", "occurred_at"),
}


def mark_duplicates(con: duckdb.DuckDBPyConnection, channel: str) -> None:
    """Mark the channel's repeats in ``records``: earlier in this batch, or in raw already."""
    con.execute(sql("duplicates_in_batch", key=", ".join(DEDUP_KEY[channel])))
    con.execute(sql(f"duplicates_seen_{channel}"))
