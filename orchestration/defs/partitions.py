"""Arrival days: one partition per ``dt`` folder of the landing zone (UTC dates)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import dagster as dg

FIRST_ARRIVAL_DAY = os.environ.get("CHATWH_FIRST_ARRIVAL_DAY", "2020-01-01")

# end_offset=1 makes today's (still arriving) day a valid partition, so a data engineer can
# load the files that have come in so far.
arrival_days = dg.DailyPartitionsDefinition(
    start_date=FIRST_ARRIVAL_DAY, timezone="UTC", end_offset=1, fmt="%Y-%m-%d"
)


def day_before(moment: datetime) -> str:
    """The partition key of the UTC day before ``moment``: what a nightly tick loads."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (moment.date() - timedelta(days=1)).isoformat()


def first_partition_day() -> date:
    return date.fromisoformat(FIRST_ARRIVAL_DAY)
