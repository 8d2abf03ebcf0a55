"""Load the landing zone's raw chat logs into the warehouse's ``raw`` schema.

One call loads one or more arrival days (``dt`` folders) of both channels, set-at-a-time
in DuckDB: files are read as lines, every line is parsed and classified in SQL, and the
outcome of every record is one of

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
with the rows' ``loaded_at`` (``models/intermediate/int_changed_users.sql``).
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import astuple, dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from . import landing_fs
from .pseudonym import hmac_pads, hmac_sql
from .settings import SEED_ASSISTANTS
from .warehouse import ensure_raw_schema, guard_pseudonym_key, message_key_sql

CHANNELS = ("web", "whatsapp")
PROGRESS_STEPS = 20  # at most this many progress lines per load
# Raw bytes loaded per transaction; a longer range is loaded in chunks of days.
CHUNK_BYTES = int(os.environ.get("CHATWH_INGEST_CHUNK_MB", "1024")) * 1024 * 1024

progress = logging.getLogger("chatwh.progress")
MAX_LINE_BYTES = 32 * 1024 * 1024
ASSISTANT_COLUMNS = ("assistant_id", "name", "timezone", "whatsapp_phone_number_id")


@dataclass(frozen=True)
class ChannelCounts:
    files: int = 0
    records: int = 0
    loaded: int = 0
    skipped: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def __add__(self, other: ChannelCounts) -> ChannelCounts:
        return ChannelCounts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


@dataclass(frozen=True)
class LoadSummary:
    arrival_dates: list[date]
    channels: dict[str, ChannelCounts] = field(default_factory=dict)

    def total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.channels.values())


class LandingError(Exception):
    """The landing zone cannot be used (missing folder, bad assistants file)."""


# --------------------------------------------------------------------------- discovery


def _glob(con: duckdb.DuckDBPyConnection, pattern: str) -> list[str]:
    return [row[0] for row in con.execute("select file from glob(?)", [pattern]).fetchall()]


def channel_patterns(landing: str, channel: str) -> list[str]:
    """The glob patterns of one channel's raw files, any arrival day."""
    return [f"{landing}/{channel}/dt=*/*.jsonl", f"{landing}/{channel}/dt=*/*.jsonl.gz"]


def landing_files(con: duckdb.DuckDBPyConnection, landing: str, channel: str) -> list[str]:
    """Every raw file of one channel, any arrival day, sorted."""
    return sorted(
        path for pattern in channel_patterns(landing, channel) for path in _glob(con, pattern)
    )


def arrival_date_of(path: str) -> date | None:
    """The ``dt`` of a landing file, or None when its folder is not ``dt=YYYY-MM-DD``."""
    folder = path.replace("\\", "/").rsplit("/", 2)[-2]
    if not folder.startswith("dt="):
        return None
    try:
        return date.fromisoformat(folder[3:])
    except ValueError:
        return None


def discover_arrival_dates(con: duckdb.DuckDBPyConnection, landing: str) -> list[date]:
    """Every arrival day that has at least one file, in either channel."""
    days = {
        arrival_date_of(path)
        for channel in CHANNELS
        for path in landing_files(con, landing, channel)
    }
    return sorted(day for day in days if day is not None)


def check_landing(landing: str) -> None:
    """Fail with one clear line when a local landing zone does not exist."""
    if not landing_fs.protocol(landing) and not Path(landing).is_dir():
        raise LandingError(f"landing zone {landing} does not exist: pass --landing DIR")


def landing_patterns(landing: str) -> list[str]:
    """The glob patterns of every raw file of the landing zone, both channels."""
    return [pattern for channel in CHANNELS for pattern in channel_patterns(landing, channel)]


def find_arrival_days(landing: str) -> list[date]:
    """Every arrival day of the landing zone (local or remote), on a connection of its own."""
    with landing_fs.landing_connection(landing) as con:
        return discover_arrival_dates(con, landing)


# --------------------------------------------------------------------------- assistants


def assistants_source(landing: str) -> str:
    """``<landing>/assistants.csv`` when present (a local folder or S3), else the project's seed."""
    candidate = f"{landing}/assistants.csv"
    return candidate if landing_fs.exists(candidate) else str(SEED_ASSISTANTS)


def load_assistants(con: duckdb.DuckDBPyConnection, landing: str) -> str:
    """Replace ``raw.assistants`` with the current list of assistants."""
    source = assistants_source(landing)
    with landing_fs.open_text(source) as handle:
        reader = csv.DictReader(handle)
        missing = set(ASSISTANT_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise LandingError(f"{source} lacks the columns {', '.join(sorted(missing))}")
        rows = [
            tuple((row[name] or "").strip() or None for name in ASSISTANT_COLUMNS) for row in reader
        ]
    con.execute("create or replace temp table incoming_assistants as from raw.assistants limit 0")
    if rows:
        con.executemany("insert into incoming_assistants values (?, ?, ?, ?)", rows)
    con.execute("delete from raw.assistants")
    con.execute("insert into raw.assistants from incoming_assistants")
    return source


# --------------------------------------------------------------------------- reading lines


def _is_empty_file(con: duckdb.DuckDBPyConnection, path: str) -> bool:
    try:
        return con.execute("select size from read_blob(?)", [path]).fetchall()[0][0] == 0
    except duckdb.Error:
        return False


# The CSV reader needs a column delimiter; a line is cut at it. These four control
# characters in a row never occur in JSON lines (JSON forbids raw control characters), and
# a line holding fewer of them is read whole (and quarantined: it is no JSON). With the
# single character 0x1F, a line holding just that character read as blank and was dropped.
LINE_DELIMITER = "chr(31) || chr(30) || chr(29) || chr(28)"


# Every line of the given files, with its file; a line that is not UTF-8 or too long lands
# in the rejects tables instead. Insertion order is preserved, so within one file the rowid
# order is the line order. Buffers of twice the longest line: with the reader's default
# buffer for 32 MB lines, the year of 10M messages took 15.7 to 20.0 s to read, with
# these 13.1 to 13.9 s (docs/benchmarks.md).
def _read_csv(files_sql: str) -> str:
    """SQL: every line of the files (a list of paths), with its file."""
    return f"""read_csv(
    {files_sql}, columns = {{'line': 'VARCHAR'}}, delim = {LINE_DELIMITER}, quote = '',
    escape = '', header = false, auto_detect = false, strict_mode = false,
    max_line_size = {MAX_LINE_BYTES}, buffer_size = {2 * MAX_LINE_BYTES}, filename = true,
    store_rejects = true, rejects_table = 'file_rejects', rejects_scan = 'file_reject_scans'
)"""


READ_FILES = f"""
create or replace temp table file_lines as
select filename as source_file, line from {_read_csv("$files")}
"""

# Each file's first row id (and its arrival day): file_lines keeps the insertion order, so
# a file's rows are consecutive row ids in line order, and a kept line sits at its row id
# minus its file's first (0-based, rejected lines left out). A join on this small table
# streams, where a window over file_lines held every line in memory once more.
FILE_STARTS = """
create or replace temp table {starts} as
select lines.source_file, any_value(files.arrival_date) as arrival_date,
    min(lines.rowid) as first_row
from {file_lines} as lines
inner join batch_files as files using (source_file)
group by lines.source_file
"""

_POSITIONED = """
    select starts.arrival_date, lines.source_file,
        lines.rowid - starts.first_row as position, lines.line
    from {file_lines} as lines
    inner join {starts} as starts using (source_file)
"""
_BLANK = "regexp_full_match({line}, '[ \\t]*')"  # blank lines are no records (null: empty)
_NOT_BLANK = "not " + _BLANK.format(line="positioned.line")

# The common case, no rejected line: the line at position p is line p + 1.
KEPT_LINES = f"""
select positioned.arrival_date, positioned.source_file, positioned.position + 1 as line_number,
    positioned.line, null::varchar as read_error
from ({_POSITIONED}) as positioned
where {_NOT_BLANK}
"""

# With rejected lines (0.6 s more per million lines, so only then): the kept line at
# position p is line p + 1 + the number of rejected lines before it. Rejected lines come
# back with a reason.
NUMBER_LINES = f"""
insert into {{numbered}}
with positioned as ({_POSITIONED}),
rejects as (
    select distinct scans.file_path as source_file, rejects.line as rejected_line,
        rejects.error_type
    from file_rejects as rejects
    inner join file_reject_scans as scans using (scan_id, file_id)
),
ranked as (
    select source_file, rejected_line,
        row_number() over (partition by source_file order by rejected_line) as rejected_so_far
    from rejects
),
steps as (
    -- after kept_before kept lines, rejected_before lines have been rejected
    select source_file, rejected_line - rejected_so_far as kept_before,
        max(rejected_so_far) as rejected_before
    from ranked group by all
)
select positioned.arrival_date, positioned.source_file,
    positioned.position + 1 + coalesce(steps.rejected_before, 0), positioned.line, null
from positioned
asof left join steps
    on positioned.source_file = steps.source_file and steps.kept_before <= positioned.position
where {_NOT_BLANK}
union all
select files.arrival_date, rejects.source_file, rejected_line, null,
    case when error_type = 'INVALID ENCODING' then 'line is not valid UTF-8'
        else 'line cannot be read: ' || lower(error_type) end
from rejects
inner join batch_files as files using (source_file)
qualify row_number() over (partition by rejects.source_file, rejected_line) = 1
"""


def _read_files(con: duckdb.DuckDBPyConnection, files: list[str], starts: str) -> bool:
    """Read every line of ``files`` into ``file_lines`` (one read for all of them) and each
    file's first row into ``starts``; True when no line was rejected."""
    for table in ("file_lines", "file_rejects", "file_reject_scans"):
        con.execute(f"drop table if exists {table}")
    con.execute(READ_FILES, {"files": files})
    con.execute(FILE_STARTS.format(starts=starts, file_lines="file_lines"))
    return not con.execute("select count(*) from file_rejects").fetchall()[0][0]


def _number_into(con: duckdb.DuckDBPyConnection, numbered: str, starts: str, clean: bool) -> None:
    """Append the lines just read, numbered (rejected ones with a reason), to ``numbered``."""
    names = {"numbered": numbered, "starts": starts, "file_lines": "file_lines"}
    if clean:
        con.execute(f"insert into {numbered} " + KEPT_LINES.format(**names))
    else:
        con.execute(NUMBER_LINES.format(**names))


def _batch_files(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """The temp table ``batch_files``: the files being read, with their arrival days."""
    con.execute(
        """
        create or replace temp table batch_files as
        select unnest($files::varchar[]) as source_file, unnest($days::date[]) as arrival_date
        """,
        {"files": files, "days": [arrival_date_of(path) for path in files]},
    )


def _read_lines(con: duckdb.DuckDBPyConnection, files: list[str], channel: str) -> None:
    """Make the temp view ``lines_<channel>``: every line of ``files``, read and numbered.

    The careful read, for a chunk that cannot be streamed (see ``_stream_lines``): a line
    that is not UTF-8 or too long gets ``read_error``; a file that cannot be read at all
    (truncated gzip, not gzip) becomes one line with ``line_number`` null. All files are
    read in one call; only when that fails are they read one by one, to find the bad file.
    When the one read rejected no line, the view numbers the lines it read by row id
    without copying them again.
    """
    view, numbered, starts = (f"{part}_{channel}" for part in ("lines", "numbered", "starts"))
    _drop_lines(con, channel)
    con.execute(
        f"""
        create temp table {numbered} (
            arrival_date date, source_file varchar, line_number bigint,
            line varchar, read_error varchar
        )
        """
    )
    _batch_files(con, files)
    con.execute(f"create temp view {view} as from {numbered}")
    if not files:
        return
    try:
        if _read_files(con, files, starts):
            con.execute(f"alter table file_lines rename to file_lines_{channel}")
            names = {"starts": starts, "file_lines": f"file_lines_{channel}"}
            con.execute(f"create or replace temp view {view} as " + KEPT_LINES.format(**names))
        else:
            _number_into(con, numbered, starts, clean=False)
        return
    except duckdb.Error:
        con.execute(f"delete from {numbered}")
    for path in files:
        try:
            _number_into(con, numbered, starts, clean=_read_files(con, [path], starts))
        except duckdb.Error as error:
            if _is_empty_file(con, path):  # an empty .gz is empty, not broken
                continue
            reason = "file cannot be read: " + str(error).splitlines()[0][:200]
            con.execute(
                f"insert into {numbered} values (?, ?, null, null, ?)",
                [arrival_date_of(path), path, reason],
            )


# The common case, every file readable and no line rejected, reads each file once and
# copies no line: the first classification statement of the channel (CLASSIFIED_LINES)
# reads the files itself, and its table, one row per line in the order read (DuckDB keeps
# the insertion order through the scan, the projections and the lookup joins), is numbered
# afterwards by row id. A blank line comes through with this reason, and its row is dropped
# once the lines are numbered. Copying the lines first cost 0.4 s more per month of one
# channel at 10M (docs/benchmarks.md).
BLANK_LINE = "blank line"

STREAMED_LINES = """
create or replace temp view lines_{channel} as
select files.arrival_date, lines.filename as source_file, null::bigint as line_number,
    lines.line, case when lines.line is null or {blank} then '{reason}' end as read_error
from {read_csv} as lines
inner join batch_files as files on files.source_file = lines.filename
"""

# The table each channel's classification makes first, one row per line, and its reason.
CLASSIFIED_LINES = {"web": ("records", "reason"), "whatsapp": ("bodies", "line_reason")}


class StreamedReadFailed(Exception):
    """A streamed read rejected a line: the chunk is loaded again, its lines read first."""


def _stream_lines(con: duckdb.DuckDBPyConnection, files: list[str], channel: str) -> None:
    """Make the temp view ``lines_<channel>``: every line of ``files`` as the files are read,
    not yet numbered (see _number_streamed_lines)."""
    if not files:
        _read_lines(con, files, channel)  # the empty view
        return
    _drop_lines(con, channel)
    _batch_files(con, files)
    paths = ", ".join("'" + path.replace("'", "''") + "'" for path in files)
    con.execute(
        STREAMED_LINES.format(
            channel=channel,
            blank=_BLANK.format(line="lines.line"),
            reason=BLANK_LINE,
            read_csv=_read_csv(f"[{paths}]"),
        )
    )


def _number_streamed_lines(con: duckdb.DuckDBPyConnection, channel: str) -> None:
    """Number the lines of the channel's first classified table; drop its blank lines."""
    if con.execute("select count(*) from file_rejects").fetchall()[0][0]:
        raise StreamedReadFailed(channel)
    table, reason = CLASSIFIED_LINES[channel]
    con.execute(
        f"""
        create or replace temp table streamed_starts as
        select source_file, min(rowid) as first_row from {table} group by source_file
        """
    )
    con.execute(
        f"""
        update {table} set line_number = {table}.rowid - starts.first_row + 1
        from streamed_starts as starts where starts.source_file = {table}.source_file
        """
    )
    con.execute(f"delete from {table} where {reason} = '{BLANK_LINE}'")
    con.execute("drop table streamed_starts")


def _drop_lines(con: duckdb.DuckDBPyConnection, channel: str) -> None:
    """Drop what ``_read_lines`` or ``_stream_lines`` made for the channel (and the last
    read's tables)."""
    con.execute(f"drop view if exists lines_{channel}")
    for table in (
        f"numbered_{channel}",
        f"starts_{channel}",
        f"file_lines_{channel}",
        "file_lines",
        "file_rejects",
        "file_reject_scans",
    ):
        con.execute(f"drop table if exists {table}")


# --------------------------------------------------------------------------- parsing

# A JSON value for the quarantine: text kept (cut to 200 characters), anything else named.
_SAFE = (
    "case when {v} is null then null when json_type({v}) = 'VARCHAR' then left({v} ->> '$', 200)"
    " else '<' || json_type({v}) || '>' end"
)


def _text_ok(value_sql: str) -> str:
    """SQL: the JSON value is a non-empty text (false, never null, when it is missing).

    A value from ``json_extract`` is written without leading space, so it is a text exactly
    when it starts with a double quote, and ``""`` is the empty text: two string tests where
    ``json_type`` would parse the value again (a tenth of the web classification's time).
    """
    text = f"{value_sql}::varchar"
    return f"""coalesce(starts_with({text}, '"') and strlen({text}) > 2, false)"""


def _time_checks(occurred: str) -> str:
    return f"""
        when {occurred} < timestamp '2000-01-01' then 'timestamp before 2000'
        when {occurred} > arrival_date + interval 2 day
            then 'timestamp more than one day after the end of the arrival day'
    """


# Both channels start the same way: every line, and whether it is JSON at all.
PARSED_LINES = """parsed as (
    select *, line is not null and json_valid(line) as is_json
    from lines
)"""


# A web record that is an interaction (a `track` of a message the user sent), once valid.
WEB_INTERACTION = "event_type = 'track' and event_name = 'Chat Message Sent'"

WEB_RECORDS = f"""
create or replace temp table records as
with {PARSED_LINES},
fields as (
    select
        *,
        -- one parse per line; paths of a document that is no object come back null
        case when is_json then json_extract(line, [
            '$.type', '$.event', '$.messageId', '$.anonymousId', '$.timestamp',
            '$.properties.assistant_id'
        ]) end as f
    from parsed
),
named as (
    select
        arrival_date, source_file, line_number, line, read_error, is_json,
        f[1] as type_value, f[2] as event_value, f[3] as message_value,
        f[4] as anonymous_value, f[5] as timestamp_value, f[6] as assistant_value
    from fields
),
typed as (
    select
        *,
        type_value ->> '$' as event_type,
        event_value ->> '$' as event_name,
        message_value ->> '$' as message_id,
        anonymous_value ->> '$' as anonymous_id,
        timestamp_value ->> '$' as timestamp_text,
        assistant_value ->> '$' as assistant_id,
        case
            -- a date, a time and an offset: "2026-01-05" alone is no timestamp (its "-05"
            -- would pass for an offset)
            when regexp_full_match(timestamp_value ->> '$', '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}'
                || '[Tt ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}([.][0-9]+)?)?'
                || '(Z|z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)')
                then try_cast(timestamp_value ->> '$' as timestamptz) at time zone 'UTC'
        end as occurred_at
    from named
),
classified as (
    select
        typed.*,
        assistants.assistant_id is not null as is_known_assistant,
        case
            when read_error is not null then read_error
            when not is_json then 'not valid JSON'
            -- (nested cases: the document is parsed again only for the lines that fail)
            when case when type_value is null then json_type(line) <> 'OBJECT' end
                then 'not a JSON object'
            when not {_text_ok("type_value")} then 'missing or non-text field: type'
            when event_type <> 'track' then null
            when not {_text_ok("event_value")} then 'missing or non-text field: event'
            when not {_text_ok("message_value")} then 'missing or non-text field: messageId'
            when not {_text_ok("anonymous_value")} then 'missing or non-text field: anonymousId'
            when not {_text_ok("timestamp_value")} then 'missing or non-text field: timestamp'
            when not {_text_ok("assistant_value")}
                then 'missing or non-text field: properties.assistant_id'
            when occurred_at is null then 'timestamp does not parse (ISO-8601 with offset needed)'
            {_time_checks("occurred_at")}
            when assistants.assistant_id is null then 'unknown assistant_id'
        end as reason
    from typed
    left join raw.assistants as assistants
        on assistants.assistant_id = typed.assistant_value ->> '$'
)
select
    arrival_date,
    source_file,
    line_number,
    0 as record_index,
    1::bigint as record_count,
    case
        when reason is not null then 'quarantined'
        when {WEB_INTERACTION} then 'interaction'
        else 'skipped'
    end as outcome,
    reason,
    case when reason is not null and is_json then case when json_type(line) = 'OBJECT'
        then json_object(
        'type', {_SAFE.format(v="type_value")},
        'event', {_SAFE.format(v="event_value")},
        'messageId', {_SAFE.format(v="message_value")},
        'anonymousId', {_SAFE.format(v="anonymous_value")},
        'timestamp', {_SAFE.format(v="timestamp_value")},
        'assistant_id', {_SAFE.format(v="assistant_value")}
    ) end end as record,
    case when reason is not null and line is not null then sha256(line) end as raw_sha256,
    case when reason is not null and line is not null then strlen(line) end as raw_bytes,
    case when reason is null then assistant_id end as assistant_id,
    case when reason is null then anonymous_id end as user_id,
    case when reason is null then message_id end as message_id,
    case when reason is null then event_name end as event_name,
    case when reason is null then occurred_at end as occurred_at,
    -- an interaction's key in raw.web_events, computed here once, on both cores
    case when reason is null and {WEB_INTERACTION} then {message_key_sql("message_id")}
    end as message_key
from classified
"""


# The parts of a webhook body that its checks read, for from_json: one parse of the body
# into its changes, each cut to the parts its checks read. Only the length of the statuses
# and echoes lists matters (their elements, as booleans, are not read). A part of another
# JSON type comes back null, or as a struct of nulls: a change value that is no object
# reads like an empty one, and "messages": null like no messages at all. Those cases are
# told apart from the line itself, and only for the bodies that may hold them.
# (Parsing each change again from JSON text, as a second step, took a quarter longer:
# 15.8 s against 12.8 s for bodies and changes over the 10M year.)
WHATSAPP_CHANGE_SHAPE = (
    '{"field": "VARCHAR", "value": {"metadata": {"phone_number_id": "JSON"}, '
    '"messages": "JSON", "statuses": ["BOOLEAN"], "message_echoes": ["BOOLEAN"]}}'
)
WHATSAPP_BODY_SHAPE = (
    f'{{"object": "VARCHAR", "entry": [{{"changes": [{WHATSAPP_CHANGE_SHAPE}]}}]}}'
)

# A messages change whose value parts all came back null (no object, or none of them).
_EMPTY_VALUE = (
    "c.value.metadata is null and c.value.messages is null"
    " and c.value.statuses is null and c.value.message_echoes is null"
)

# WhatsApp bodies are classified in three steps, each a temp table, so that no body is
# parsed twice: the lines, the changes of the good bodies, then every record.
WHATSAPP_BODIES = f"""
create or replace temp table bodies as
with {PARSED_LINES},
fields as (
    -- one parse of the whole body into the parts the checks need; a part of another JSON
    -- type comes back null (entry that is no list, an entry without a list of changes)
    select *, case when is_json then from_json(line, '{WHATSAPP_BODY_SHAPE}') end as body
    from parsed
),
checked as (
    select
        *,
        case
            when read_error is not null then read_error
            when not is_json then 'not valid JSON'
            when body.object is distinct from 'whatsapp_business_account' then case
                when json_type(line) <> 'OBJECT' then 'not a JSON object'
                else 'not a WhatsApp webhook body (object is not whatsapp_business_account)'
            end
            when body.entry is null then 'entry is not a list'
            when list_bool_or(list_transform(body.entry, lambda e: e.changes is null))
                then 'an entry has no list of changes'
        end as line_reason,
        flatten(list_transform(body.entry, lambda e: e.changes)) as all_changes
    from fields
)
select
    arrival_date, source_file, line_number, line_reason,
    case when line_reason is null then all_changes end as changes,
    -- the line again, for the rare body whose parse may hide a wrong part: a messages
    -- change with an empty value, or a "messages" key that may be null (written with a
    -- null, or with an escape the text test cannot read through)
    case when line_reason is null and list_bool_or(list_transform(all_changes, lambda c:
            c.field = 'messages' and ({_EMPTY_VALUE}
            or c.value.messages is null and (
                regexp_matches(line, '"messages"\\s*:\\s*null') or contains(line, '\\u')
            ))
        )) then line end as line_to_recheck,
    case when line_reason is not null and is_json then case when json_type(line) = 'OBJECT'
        then json_object(
            'object', {_SAFE.format(v="json_extract(line, '$.object')")},
            'keys', json_keys(line)
        ) end end as record,
    case when line_reason is not null and line is not null then sha256(line) end as raw_sha256,
    case when line_reason is not null and line is not null then strlen(line) end as raw_bytes
from checked
"""

# A change as JSON text, from the line kept for the rare bodies that may hide a wrong part.
_CHANGE_TEXT = "json_extract(line_to_recheck, '$.entry[*].changes[*]')[change_index]"

WHATSAPP_CHANGES = f"""
create or replace temp table change_parts as
with changes as (
    select arrival_date, source_file, line_number, line_to_recheck,
        unnest(changes) as c, generate_subscripts(changes, 1) as change_index
    from bodies
    where line_reason is null
)
select
    arrival_date, source_file, line_number, change_index,
    c.field as change_field,
    case when starts_with(c.value.metadata.phone_number_id, '"')
        then c.value.metadata.phone_number_id ->> '$' end as phone_number_id,
    case
        when change_field is distinct from 'messages' then null
        when case when {_EMPTY_VALUE}
            then json_type({_CHANGE_TEXT}, '$.value') is distinct from 'OBJECT' end
            then 'value of a messages change is not an object'
        when case when c.value.messages is null
            then coalesce(json_type({_CHANGE_TEXT}, '$.value.messages') = 'NULL', false)
            else not starts_with(c.value.messages, '[') end
            then 'messages is not a list'
    end as change_reason,
    case when starts_with(c.value.messages, '[') then json_extract(c.value.messages, '$[*]')
        else [] end as messages,
    coalesce(len(c.value.statuses), 0) + coalesce(len(c.value.message_echoes), 0)
        as other_items
from changes
"""


WHATSAPP_RECORDS = f"""
create or replace temp table records as
with message_rows as (
    select
        arrival_date, source_file, line_number, change_index, phone_number_id,
        unnest(messages) as message, generate_subscripts(messages, 1) as message_index
    from change_parts
    where change_field = 'messages'
),
message_fields as (
    select
        m.*,
        json_extract(message, ['$.id', '$.from', '$.from_user_id', '$.timestamp', '$.type'])
            as f,
        assistants.assistant_id
    from message_rows as m
    left join raw.assistants as assistants
        on assistants.whatsapp_phone_number_id = m.phone_number_id
),
message_typed as (
    select
        *,
        f[1] as id_value, f[2] as from_value, f[3] as user_id_value,
        f[4] as timestamp_value, f[5] as type_value,
        case when regexp_full_match(coalesce(f[4] ->> '$', ''), '[0-9]{{1,12}}')
            and json_type(f[4]) = 'VARCHAR'
            then make_timestamp((f[4] ->> '$')::bigint * 1000000) end as occurred_at
    from message_fields
),
message_classified as (
    select
        *,
        case
            when json_type(message) <> 'OBJECT' then 'message is not a JSON object'
            when not {_text_ok("id_value")} then 'missing or non-text field: id'
            when not ({_text_ok("from_value")} or {_text_ok("user_id_value")})
                then 'missing or non-text field: from (and no from_user_id)'
            when not {_text_ok("type_value")} then 'missing or non-text field: type'
            when not {_text_ok("timestamp_value")} then 'missing or non-text field: timestamp'
            when occurred_at is null then 'timestamp is not Unix seconds'
            {_time_checks("occurred_at")}
            when assistant_id is null then 'unknown phone_number_id'
        end as reason
    from message_typed
)
-- lines that did not parse into a webhook body: one quarantined record each
select
    arrival_date, source_file, line_number, 0 as record_index, 1::bigint as record_count,
    'quarantined' as outcome, line_reason as reason, record, raw_sha256, raw_bytes,
    null as assistant_id, null as user_id, null as message_id, null as message_type,
    null::timestamp as occurred_at
from bodies
where line_reason is not null
union all
-- bodies without any change: one skipped record
select
    arrival_date, source_file, line_number, 0, 1, 'skipped', null, null, null, null,
    null, null, null, null, null
from bodies
where line_reason is null and len(changes) = 0
union all
-- changes that are not user messages (statuses, echoes, account and template events)
select
    arrival_date, source_file, line_number, change_index * 100000, case
        when change_field = 'messages' and len(messages) > 0 then other_items
        else greatest(other_items, 1)
    end, case when change_reason is null then 'skipped' else 'quarantined' end, change_reason,
    null, null, null, null, null, null, null, null
from change_parts
where change_field is distinct from 'messages' or other_items > 0 or len(messages) = 0
union all
-- every user message: an interaction, a skipped non-interaction, or quarantined
select
    arrival_date, source_file, line_number, change_index * 100000 + message_index, 1,
    case
        when reason is not null then 'quarantined'
        when type_value ->> '$' in ('system', 'request_welcome') then 'skipped'
        else 'interaction'
    end,
    reason,
    case when reason is not null then json_object(
        'id', {_SAFE.format(v="id_value")},
        'timestamp', {_SAFE.format(v="timestamp_value")},
        'type', {_SAFE.format(v="type_value")},
        'phone_number_id', left(phone_number_id, 64),
        'has_from', from_value is not null,
        'has_from_user_id', user_id_value is not null
    ) end,
    null, null,
    case when reason is null then assistant_id end,
    -- the user's pseudonym: the phone number is never written, not even to this temp table
    case when reason is null
        then {hmac_sql("coalesce(from_value ->> '$', user_id_value ->> '$')")} end,
    case when reason is null then id_value ->> '$' end,
    case when reason is null then type_value ->> '$' end,
    case when reason is null then occurred_at end
from message_classified
"""

CLASSIFY = {
    "web": (WEB_RECORDS,),
    "whatsapp": (WHATSAPP_BODIES, WHATSAPP_CHANGES, WHATSAPP_RECORDS),
}


WEB_ERASED = f"""
update records set outcome = 'erased'
where outcome = 'interaction'
    and {hmac_sql("user_id")} in (select user_id from raw.erasures where channel = 'web')
    -- a bad line of an erased person: its redacted quarantine record would still name them
    or outcome = 'quarantined' and record ->> 'anonymousId' is not null
    and {hmac_sql("record ->> 'anonymousId'")} in (
        select user_id from raw.erasures where channel = 'web'
    )
"""

WHATSAPP_ERASED = """
update records set outcome = 'erased'
where outcome = 'interaction'
    and user_id in (select user_id from raw.erasures where channel = 'whatsapp')
"""

RAW_TABLE = {"web": "raw.web_events", "whatsapp": "raw.whatsapp_messages"}
DEDUP_KEY = {
    "web": ("message_id",),
    "whatsapp": ("message_id", "user_id", "occurred_at"),
}

# An interaction already in raw. Web: messageId alone is the key and no time bounds it, so
# the rows whose 8-byte message_key matches are found first, and only their ids are read
# (by row id) and compared, instead of reading and hashing every id of the history.
SEEN_BEFORE = {
    "web": """
        r.message_id in (
            select h.message_id from raw.web_events as h
            where h.rowid in (
                select seen.rowid from raw.web_events as seen
                where seen.message_key in (
                    select message_key from records where outcome = 'interaction'
                )
            )
        )""",
    "whatsapp": f"""
        exists (
            select 1 from raw.whatsapp_messages as h
            where {" and ".join(f"h.{column} = r.{column}" for column in DEDUP_KEY["whatsapp"])}
        )""",
}


def _mark_duplicates(con: duckdb.DuckDBPyConnection, channel: str) -> None:
    """Mark repeats of an interaction: in raw already, or earlier in this batch."""
    partition = ", ".join(DEDUP_KEY[channel])
    con.execute(
        f"""
        update records as r set outcome = 'duplicate'
        from (
            select source_file, line_number, record_index,
                row_number() over (
                    partition by {partition}
                    order by arrival_date, source_file, line_number, record_index
                ) as occurrence
            from records where outcome = 'interaction'
        ) as ranked
        where r.source_file = ranked.source_file and r.line_number = ranked.line_number
            and r.record_index = ranked.record_index and ranked.occurrence > 1
        """
    )
    con.execute(
        f"""
        update records as r set outcome = 'duplicate'
        where r.outcome = 'interaction' and {SEEN_BEFORE[channel]}
        """
    )


def _write(con: duckdb.DuckDBPyConnection, channel: str, days: list[date]) -> None:
    """Replace the days' rows of the channel in raw, quarantine and audit (one transaction)."""
    table = RAW_TABLE[channel]
    con.execute(
        "create or replace temp table batch_days as select unnest(?::date[]) as day", [days]
    )
    # A reload deletes the days' rows: one that the new load does not bring back is a change
    # for dbt too, from the earliest deleted interaction on (the new rows carry loaded_at).
    con.execute(
        f"""
        insert into raw.reloads
        select '{channel}', arrival_date, min(occurred_at), now()::timestamp from {table}
        where arrival_date in (select day from batch_days)
        group by arrival_date
        """
    )
    for target in (table, "raw.quarantine", "raw.load_audit"):
        channel_filter = "" if target == table else f" and channel = '{channel}'"
        con.execute(
            f"delete from {target} where arrival_date in (select day from batch_days)"
            + channel_filter
        )
    _mark_duplicates(con, channel)
    if channel == "web":
        con.execute(
            """
            insert into raw.web_events
            select message_id, assistant_id, user_id, event_name, occurred_at, arrival_date,
                source_file, line_number, now()::timestamp, message_key
            from records where outcome = 'interaction'
            """
        )
    else:
        con.execute(
            """
            insert into raw.whatsapp_messages
            select message_id, assistant_id, user_id, message_type, occurred_at, arrival_date,
                source_file, line_number, record_index, now()::timestamp
            from records where outcome = 'interaction'
            """
        )
    con.execute(
        f"""
        insert into raw.quarantine
        select arrival_date, '{channel}', source_file, line_number, record_index, reason,
            record, raw_sha256, raw_bytes, now()::timestamp
        from records where outcome = 'quarantined'
        """
    )


def _audit(con: duckdb.DuckDBPyConnection, channel: str, files: list[str]) -> ChannelCounts:
    """Write one audit row per file (files with no line get zeros) and return the totals."""
    con.execute(
        "create or replace temp table batch_files as select unnest(?::varchar[]) as source_file",
        [files],
    )
    con.execute(
        f"""
        insert into raw.load_audit
        with per_file as (
            select
                source_file,
                sum(record_count) as records,
                sum(record_count) filter (where outcome = 'interaction') as loaded,
                sum(record_count) filter (where outcome in ('skipped', 'erased')) as skipped,
                sum(record_count) filter (where outcome = 'duplicate') as duplicates,
                sum(record_count) filter (where outcome = 'quarantined') as quarantined,
                sum(record_count) filter (where outcome = 'erased') as erased
            from records group by source_file
        )
        select
            regexp_extract(f.source_file, 'dt=([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})', 1)::date,
            '{channel}', f.source_file,
            coalesce(records, 0), coalesce(loaded, 0), coalesce(skipped, 0),
            coalesce(duplicates, 0), coalesce(quarantined, 0), coalesce(erased, 0),
            now()::timestamp
        from batch_files as f left join per_file using (source_file)
        """
    )
    row = con.execute(
        """
        select count(*), coalesce(sum(records), 0), coalesce(sum(loaded), 0),
            coalesce(sum(skipped), 0), coalesce(sum(duplicates), 0),
            coalesce(sum(quarantined), 0)
        from raw.load_audit where source_file in (select source_file from batch_files)
            and channel = ?
        """,
        [channel],
    ).fetchall()[0]
    return ChannelCounts(*row)


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


def _params_in(statement: str, params: dict[str, str]) -> dict[str, str]:
    """The named parameters that ``statement`` uses (DuckDB refuses the others)."""
    return {name: value for name, value in params.items() if f"${name}" in statement}


def _load_chunk(
    con: duckdb.DuckDBPyConnection,
    landing: str,
    days: list[date],
    files_of: dict[str, list[str]],
    pad_params: dict[str, str],
    streamed: bool = True,
) -> dict[str, ChannelCounts]:
    """Load some arrival days of both channels in one transaction.

    The files are read as they are classified. When a file cannot be read (truncated gzip)
    or has a line the reader rejects (not UTF-8, too long), that transaction is rolled back
    and the chunk loaded again with its lines read first (``streamed=False``, see
    ``_read_lines``): a file that cannot be read then fails only its own statement, before
    the transaction.
    """
    if not streamed:
        for channel in CHANNELS:
            _read_lines(con, files_of[channel], channel)
    con.execute("begin transaction")
    try:
        load_assistants(con, landing)
        counts: dict[str, ChannelCounts] = {}
        for channel in CHANNELS:
            if streamed:
                _stream_lines(con, files_of[channel], channel)
            con.execute(f"create or replace temp view lines as from lines_{channel}")
            reads_lines, *later = CLASSIFY[channel]
            con.execute(reads_lines)
            con.execute("drop view lines")
            if streamed and files_of[channel]:
                _number_streamed_lines(con, channel)
            _drop_lines(con, channel)  # no later statement reads them: free their memory
            for statement in later:
                con.execute(statement, _params_in(statement, pad_params))
            if channel == "web":
                con.execute(WEB_ERASED, pad_params)
            else:
                con.execute(WHATSAPP_ERASED)
            _write(con, channel, days)
            counts[channel] = _audit(con, channel, files_of[channel])
        for table in ("records", "bodies", "change_parts"):
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
    return _load_chunk(con, landing, days, files_of, pad_params, streamed=False)


def ingest(
    con: duckdb.DuckDBPyConnection,
    landing: str,
    days: list[date],
    key: bytes,
    chunk_bytes: int = CHUNK_BYTES,
) -> LoadSummary:
    """Load (or reload) the given arrival days of both channels into ``raw``.

    Long ranges are loaded in chunks of consecutive days (about ``chunk_bytes`` of raw
    files each, one transaction per chunk), so that memory does not grow with the range.
    """
    ensure_raw_schema(con)
    landing_fs.attach_landing(con, landing)
    guard_pseudonym_key(con, key)  # another key would count returning people as new
    pads = hmac_pads(key)
    pad_params = {"inner_pad": pads.inner_hex, "outer_pad": pads.outer_hex}
    in_range = set(days)
    wanted = sorted(in_range)
    files_of = {
        channel: [
            path
            for path in landing_files(con, landing, channel)
            if arrival_date_of(path) in in_range
        ]
        for channel in CHANNELS
    }
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
        counts = _load_chunk(con, landing, chunk, chunk_files, pad_params)
        totals = {channel: totals[channel] + counts[channel] for channel in CHANNELS}
    return LoadSummary(wanted, totals)
