"""The quarantine: bad input kept with its file, line, a reason and a redacted record.

What a quarantined record keeps is decided where it is classified (``web_records.sql``,
``whatsapp_bodies.sql``, ``whatsapp_records.sql``, through the ``redacted`` macro): the
fields' texts cut short and the types of the rest, the line's SHA-256 and length, never a
phone number, a profile name or a message text.
"""

from __future__ import annotations

import duckdb

from .statements import sql


def write_quarantine(con: duckdb.DuckDBPyConnection, channel: str) -> None:
    """Append the channel's quarantined ``records`` to ``raw.quarantine``."""
    con.execute(sql("insert_quarantine"), {"channel": channel})
