"""The streamed read: each file read once, as the channel's first classification runs.

The common case, every file readable and no line rejected, reads each file once and copies
no line: the first classification statement of the channel reads the view
``lines_<channel>`` (over ``read_csv``) itself, and its table, one row per line in the
order read (DuckDB keeps the insertion order through the scan, the projections and the
lookup joins), is numbered afterwards by row id. A blank line comes through with the reason
``blank line``, and its row is dropped once the lines are numbered. Copying the lines first
cost 0.4 s more per month of one channel at 10M (docs/benchmarks.md).
"""

from __future__ import annotations

import duckdb

from .lines import drop_lines, make_batch_files, read_csv_sql, read_lines
from .statements import sql

# The table each channel's classification makes first, one row per line, and its reason.
CLASSIFIED_LINES = {"web": ("records", "reason"), "whatsapp": ("whatsapp_bodies", "line_reason")}


class StreamedReadFailed(Exception):
    """A streamed read rejected a line: the chunk is loaded again, its lines read first."""


def stream_lines(con: duckdb.DuckDBPyConnection, files: list[str], channel: str) -> None:
    """Make the temp view ``lines_<channel>``: every line of ``files`` as the files are read,
    not yet numbered (see number_streamed_lines)."""
    if not files:
        read_lines(con, files, channel)  # the empty view
        return
    drop_lines(con, channel)
    make_batch_files(con, files)
    paths = ", ".join("'" + path.replace("'", "''") + "'" for path in files)
    con.execute(sql("streamed_lines", channel=channel, read_csv=read_csv_sql(f"[{paths}]")))


def number_streamed_lines(con: duckdb.DuckDBPyConnection, channel: str) -> None:
    """Number the lines of the channel's first classified table; drop its blank lines."""
    if con.execute("select count(*) from file_rejects").fetchall()[0][0]:
        raise StreamedReadFailed(channel)
    table, reason = CLASSIFIED_LINES[channel]
    con.execute(sql("number_streamed_lines", table=table, reason=reason))
