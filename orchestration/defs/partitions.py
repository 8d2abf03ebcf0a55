"""Arrival days: one partition per ``dt`` folder of the landing zone (UTC dates).

The partitions are dynamic: the instance holds exactly the arrival days found in the
landing zone, whatever their dates (logs from 2004 load with no setting), and the UI shows
those days rather than every calendar day since a fixed start. ``chatwh run``, the nightly
schedule and the late-arrivals sensor register the days they find before they request a
run (docs/design.md). The instance keeps them in date order: Dagster orders dynamic
partitions as they were added, and a range (a single-run backfill) is the keys between
its two ends in that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import dagster as dg

ARRIVAL_DAYS = "arrival_days"
arrival_days = dg.DynamicPartitionsDefinition(name=ARRIVAL_DAYS)

PartitionsRequest = dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest


def day_before(moment: datetime) -> str:
    """The partition key of the UTC day before ``moment``: what a nightly tick loads."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (moment.date() - timedelta(days=1)).isoformat()


def registration_requests(
    registered: Sequence[str], found: Iterable[str]
) -> list[PartitionsRequest]:
    """The requests that add the ``found`` days to the ``registered`` ones, in date order.

    New days later than every registered one are added; a new day earlier than some (old
    logs copied in after newer ones) takes the registered days after it out and adds them
    back behind it. Taking a partition out forgets no materialization: the event log keeps
    them, and the UI shows them again once the day is back.
    """
    new = sorted(set(found) - set(registered))
    if not new:
        return []
    later = [key for key in registered if key > new[0]]
    requests: list[PartitionsRequest] = []
    if later:
        requests.append(arrival_days.build_delete_request(later))
    requests.append(arrival_days.build_add_request(sorted({*new, *later})))
    return requests


def apply_requests(instance: dg.DagsterInstance, requests: Iterable[PartitionsRequest]) -> None:
    """Carry out partition requests in order, as the sensor daemon does with a sensor's."""
    for request in requests:
        if isinstance(request, dg.DeleteDynamicPartitionsRequest):
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
        else:
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)


def register_arrival_days(instance: dg.DagsterInstance, days: Iterable[str]) -> list[str]:
    """Add the arrival days to the instance's partitions (in date order); all of them after."""
    apply_requests(
        instance, registration_requests(instance.get_dynamic_partitions(ARRIVAL_DAYS), days)
    )
    return list(instance.get_dynamic_partitions(ARRIVAL_DAYS))
