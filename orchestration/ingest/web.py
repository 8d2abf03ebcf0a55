"""Classifying the web channel: one record per line, from one parse of each document."""

from __future__ import annotations

from ..pseudonym import hmac_sql
from ..warehouse import message_key_sql
from .statements import sql

# Reads the view `lines` into the table `records` (see sql/web_records.sql).
CLASSIFY = (sql("web_records", message_key=message_key_sql("message_id")),)

# Marks the records of erased people (binds the HMAC pads).
ERASED = sql(
    "web_erased",
    pseudonym_of_user_id=hmac_sql("user_id"),
    pseudonym_of_record=hmac_sql("record ->> 'anonymousId'"),
)
