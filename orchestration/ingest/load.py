"""The load: arrival days in chunks of about ``chunk_bytes`` of raw files, one transaction
per chunk, each channel read, classified, de-duplicated and written in turn."""

from __future__ import annotations

import logging
from datetime import date

import duckdb

from .. import landing_fs
from ..pseudonym import hmac_pads
from ..warehouse import ensure_raw_schema, guard_pseudonym_key
from . import web, whatsapp
from .audit import ChannelCounts, LoadSummary, audit
from .landing import CHANNELS, arrival_date_of, files_of_days
from .lines import drop_lines, read_lines
from .raw import write
from .statements import create_macros, run, sql
from .streamed import StreamedReadFailed, number_streamed_lines, stream_lines

PROGRESS_STEPS = 20  # at most this many progress lines per load
# Raw bytes loaded per transaction by default (settings.ingest_chunk_bytes() in a run).
DEFAULT_CHUNK_BYTES = 1024 * 1024 * 1024

CLASSIFY = {"web": web.CLASSIFY, "whatsapp": whatsapp.CLASSIFY}
ERASED = {"web": web.ERASED, "whatsapp": whatsapp.ERASED}

progress = logging.getLogger("chatwh.progress")


def _chunks(
    con: duckdb.DuckDBPyConnection, days: list[date], files: list[str], budget: int
) -> list[list[date]]:
    """Split consecutive arrival days into chunks of about ``budget`` bytes of raw files."""
    sizes = dict.fromkeys(days, 0)
    if files:
        for path, size in con.execute(
            "select filename, size from read_blob(?)", [files]
        ).fetchall():
            sizes[arrival_date_of(path)] += size
    chunks: list[list[date]] = [[]]
    used = 0
    for day in days:
        if chunks[-1] and used + sizes[day] > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(day)
        used += sizes[day]
    return chunks


def _load_channel(
    con: duckdb.DuckDBPyConnection,
    channel: str,
    days: list[date],
    files: list[str],
    pad_params: dict[str, str],
    streamed: bool,
) -> ChannelCounts:
    """Classify, de-duplicate, write and audit one channel's files (lines already read when
    not ``streamed``)."""
    if streamed:
        stream_lines(con, files, channel)
    con.execute(sql("lines", channel=channel))
    reads_lines, *later = CLASSIFY[channel]
    con.execute(reads_lines)
    con.execute("drop view lines")
    if streamed and files:
        number_streamed_lines(con, channel)
    drop_lines(con, channel)  # no later statement reads them: free their memory
    for statement in later:
        run(con, statement, pad_params)
    run(con, ERASED[channel], pad_params)
    write(con, channel, days)
    return audit(con, channel, files)


def _load_chunk(
    con: duckdb.DuckDBPyConnection,
    days: list[date],
    files_of: dict[str, list[str]],
    pad_params: dict[str, str],
    streamed: bool = True,
) -> dict[str, ChannelCounts]:
    """Load some arrival days of both channels in one transaction.

    The files are read as they are classified. When a file cannot be read (truncated gzip)
    or has a line the reader rejects (not UTF-8, too long), that transaction is rolled back
    and the chunk loaded again with its lines read first (``streamed=False``, see
    ``lines.read_lines``): a file that cannot be read then fails only its own statement,
    before the transaction.
    """
    if not streamed:
        for channel in CHANNELS:
            read_lines(con, files_of[channel], channel)
    con.execute("begin transaction")
    try:
        counts = {
            channel: _load_channel(con, channel, days, files_of[channel], pad_params, streamed)
            for channel in CHANNELS
        }
        for table in ("records", "whatsapp_bodies", "whatsapp_changes"):
            con.execute(f"drop table if exists {table}")
        con.execute("commit")
        return counts
    except (duckdb.Error, StreamedReadFailed):
        con.execute("rollback")
        if not streamed:
            raise
    except BaseException:
        con.execute("rollback")
        raise
    return _load_chunk(con, days, files_of, pad_params, streamed=False)


def ingest(
    con: duckdb.DuckDBPyConnection,
    landing: str,
    days: list[date],
    key: bytes,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> LoadSummary:
    """Load (or reload) the given arrival days of both channels into ``raw``.

    Long ranges are loaded in chunks of consecutive days (about ``chunk_bytes`` of raw
    files each, one transaction per chunk), so that memory does not grow with the range.
    The assistants are read from ``raw.assistants`` as ``load_assistants`` left it.
    """
    ensure_raw_schema(con)
    landing_fs.attach_landing(con, landing)
    guard_pseudonym_key(con, key)  # another key would count returning people as new
    create_macros(con)
    pad_params = hmac_pads(key).params()
    wanted = sorted(set(days))
    files_of = files_of_days(con, landing, set(wanted))
    chunks = _chunks(con, wanted, files_of["web"] + files_of["whatsapp"], chunk_bytes)
    step = max(1, -(-len(chunks) // PROGRESS_STEPS))
    totals = dict.fromkeys(CHANNELS, ChannelCounts())
    for number, chunk in enumerate(chunks, start=1):
        if len(chunks) > 1 and (number % step == 0 or number == len(chunks)):
            progress.info(
                "ingest: dt=%s to dt=%s (chunk %d of %d)", chunk[0], chunk[-1], number, len(chunks)
            )
        in_chunk = set(chunk)
        chunk_files = {
            channel: [path for path in files if arrival_date_of(path) in in_chunk]
            for channel, files in files_of.items()
        }
        counts = _load_chunk(con, chunk, chunk_files, pad_params)
        totals = {channel: totals[channel] + counts[channel] for channel in CHANNELS}
    return LoadSummary(wanted, totals)
