"""Load the landing zone's raw chat logs into the warehouse's ``raw`` schema.

One call of ``ingest`` loads one or more arrival days (``dt`` folders) of both channels,
set-at-a-time in DuckDB: files are read as lines, every line is parsed and classified in
SQL, and the outcome of every record is one of

- ``loaded``: an interaction seen for the first time, written to ``raw.web_events`` or
  ``raw.whatsapp_messages``;
- ``skipped``: not an interaction (widget openings, bot answers, statuses, other webhook
  fields) or a person who asked to be erased;
- ``duplicate``: an interaction already loaded (under any arrival day, or earlier in the
  same batch);
- ``quarantined``: bad input, kept in ``raw.quarantine`` with a reason.

Per file, loaded + skipped + duplicates + quarantined = records, kept in ``raw.load_audit``.
Loading days that were loaded before replaces them (idempotent); each such reload is logged
in ``raw.reloads`` with the earliest interaction it deleted, which dbt's change set reads
with the rows' ``loaded_at`` (``models/intermediate/int_changed_users.sql``). The
assistants are loaded once per run, before, by ``load_assistants`` (the ``raw/assistants``
asset).

The modules, one per concern: ``landing`` (the files and their arrival days),
``assistants``, ``lines`` (the careful read) and ``streamed`` (the common read), ``web``
and ``whatsapp`` (classifying), ``dedup``, ``raw`` (writing), ``quarantine``, ``audit``,
``load`` (the chunked transactions and ``ingest``); their SQL is in ``sql/``, read by
``statements``, with the repeated checks as macros (``sql/macros.sql``).

The relations one chunk makes, per channel, in the order they are made (temp tables unless
named views):

1. ``batch_files``: the channel's files of the chunk, with their arrival days.
2. ``lines_<channel>`` (view): every line, with its file and arrival day. Streamed: a
   ``read_csv`` of the files, not yet numbered. Read first (after a failed streamed read):
   ``file_lines`` (every line read), renamed ``file_lines_<channel>``, numbered through
   ``file_starts_<channel>`` (each file's first row id), or, when the reader rejected
   lines (``file_rejects``, ``file_reject_scans``), ``numbered_lines_<channel>``.
3. ``lines`` (view): ``lines_<channel>`` with whether each line is JSON, under the name
   the classification reads.
4. Web: ``records``, one row per line. WhatsApp: ``whatsapp_bodies`` (one row per line),
   ``whatsapp_changes`` (one per change of a good body), then ``records`` (one per record:
   a bad line, a change without user messages, or a user message). A streamed read numbers
   the first of these by row id (through ``streamed_file_starts``).
5. ``batch_days``: the chunk's arrival days, whose rows in raw are replaced.
6. ``audited_files``: the files whose audit rows are written.

``records`` holds each record's outcome (updated for erasures and duplicates), and is what
raw, the quarantine and the audit are written from.
"""

from .assistants import load_assistants
from .audit import ChannelCounts, LoadSummary
from .landing import (
    CHANNELS,
    LandingError,
    arrival_date_of,
    check_landing,
    discover_arrival_dates,
    find_arrival_days,
    landing_files,
    landing_patterns,
)
from .lines import MAX_LINE_BYTES, read_csv_sql
from .load import ingest

__all__ = [
    "CHANNELS",
    "MAX_LINE_BYTES",
    "ChannelCounts",
    "LandingError",
    "LoadSummary",
    "arrival_date_of",
    "check_landing",
    "discover_arrival_dates",
    "find_arrival_days",
    "ingest",
    "landing_files",
    "landing_patterns",
    "load_assistants",
    "read_csv_sql",
]
