"""The Dagster instance's SQLite storage, writing a run's per-day asset events in one go.

A run over a range of arrival days materializes every day of the two raw assets: a year's
backfill yields 730 materialization events, and Dagster's SQLite event log stores each on
its own (two SQLite files opened, written and committed per event: about 6 ms each, 4 to
5 s per backfill). Dagster can hand the events of one partitioned output to the storage as
one batch (``DAGSTER_EVENT_BATCH_SIZE`` > 0, which ``chatwh`` and ``make dev`` set), but
its SQLite storage then still stores them one by one. This storage writes such a batch in
one transaction per SQLite file; everything else is Dagster's SQLite storage unchanged
(same files, same tables: an instance written by one reads with the other).
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, with a batch of one run's asset events in one write."""

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        if len({event.run_id for event in events}) != 1 or not all(
            event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS for event in events
        ):
            super().store_event_batch(events)  # one by one
            return
        # what store_event does per event: the run's own log, then the cross-run index
        # with the asset's tags and latest-event columns
        inserts = [self.prepare_insert_event(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            for insert in inserts:
                conn.execute(insert)
        with self.index_transaction() as conn:
            event_ids = [conn.execute(insert).inserted_primary_key[0] for insert in inserts]
            self._store_asset_event_tags(conn, list(events), event_ids)
            for event, event_id in zip(events, event_ids, strict=True):
                self._store_asset_event(conn, event, event_id)


class BatchingSqliteStorage(DagsterSqliteStorage):
    """``storage: sqlite`` of dagster.yaml (runs, event logs, schedules under ``base_dir``),
    with the batching event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = BatchingSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: dict
    ) -> BatchingSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
