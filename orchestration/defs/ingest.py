"""Ingest assets: the landing zone's files of an arrival-day range, loaded into ``raw``."""

import logging
from dataclasses import asdict
from datetime import date

import dagster as dg

from ..ingest import ingest, load_assistants
from ..settings import ingest_chunk_bytes
from ..warehouse import ensure_raw_schema, guard_pseudonym_key
from .partitions import arrival_days
from .resources import Warehouse

progress = logging.getLogger("chatwh.progress")

RAW_KEYS = {
    "web": dg.AssetKey(["raw", "web_events"]),
    "whatsapp": dg.AssetKey(["raw", "whatsapp_messages"]),
}
RAW_ASSISTANTS = dg.AssetKey(["raw", "assistants"])


def days_of(context: dg.AssetExecutionContext) -> list[date]:
    """The run's arrival days: its partition, or the registered days of its range."""
    return sorted(date.fromisoformat(key) for key in context.partition_keys)


@dg.asset(key=RAW_ASSISTANTS, group_name="raw", kinds={"duckdb"}, pool="warehouse")
def raw_assistants(warehouse: Warehouse) -> dg.MaterializeResult:
    """The assistants in force: ``<landing>/assistants.csv`` when present, else the seed."""
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        guard_pseudonym_key(con, warehouse.key())  # before anything is loaded
        source = load_assistants(con, warehouse.landing)
        count = con.execute("select count(*) from raw.assistants").fetchall()[0][0]
    progress.info("assistants: %d from %s", count, source)
    return dg.MaterializeResult(metadata={"assistants": count, "source": str(source)})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            RAW_KEYS["web"],
            description="Web widget interactions (Chat Message Sent), one row per messageId.",
            group_name="raw",
            kinds={"duckdb"},
            deps=[RAW_ASSISTANTS],
        ),
        dg.AssetSpec(
            RAW_KEYS["whatsapp"],
            description="WhatsApp inbound user messages; users are HMAC-SHA256 pseudonyms.",
            group_name="raw",
            kinds={"duckdb"},
            deps=[RAW_ASSISTANTS],
        ),
    ],
    partitions_def=arrival_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
)
def raw_chat_logs(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """The arrival days' raw chat logs, parsed in DuckDB into the ``raw`` schema.

    The assistants are those that ``raw_assistants`` loaded earlier in the run (every
    chunk of the load reads ``raw.assistants`` as that asset left it).

    Besides the two interaction tables it writes raw.quarantine (bad input, with a reason),
    raw.load_audit (per-file counts) and raw.reloads (days loaded again).
    Re-running days replaces them.
    """
    days = days_of(context)
    progress.info("ingest: %s to %s (%d days)", days[0], days[-1], len(days))
    with warehouse.connect() as con:
        summary = ingest(
            con, warehouse.landing, days, warehouse.key(), chunk_bytes=ingest_chunk_bytes()
        )
    for channel, counts in summary.channels.items():
        progress.info(
            "ingest: %-8s %d files, %d records: %d loaded, %d skipped, %d duplicates, "
            "%d quarantined",
            channel,
            counts.files,
            counts.records,
            counts.loaded,
            counts.skipped,
            counts.duplicates,
            counts.quarantined,
        )
        yield dg.MaterializeResult(asset_key=RAW_KEYS[channel], metadata=asdict(counts))
