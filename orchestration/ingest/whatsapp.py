"""Classifying the WhatsApp channel: bodies, their changes, then every record, each a temp
table, so that no body is parsed twice."""

from __future__ import annotations

from ..pseudonym import hmac_sql
from .statements import sql

# The first reads the view `lines`; the last makes the table `records`.
CLASSIFY = (
    sql("whatsapp_bodies"),
    sql("whatsapp_changes"),
    sql(
        "whatsapp_records",
        pseudonym_of_user=hmac_sql("coalesce(from_value ->> '$', user_id_value ->> '$')"),
    ),
)

ERASED = sql("whatsapp_erased")
