"""Reading the landing files as lines: the careful read, one statement before the load.

The load reads each file as its first classification statement runs (``streamed.py``).
When that fails (a file that cannot be read, a line the reader rejects), the chunk is
loaded again with its lines read here first, into ``numbered_lines_<channel>`` or, when no
line was rejected, numbered by row id in the view ``lines_<channel>`` without a copy.
"""

from __future__ import annotations

from datetime import date

import duckdb

from .landing import arrival_date_of
from .statements import sql

MAX_LINE_BYTES = 32 * 1024 * 1024


def read_csv_sql(files_sql: str) -> str:
    """SQL: every line of the files (``files_sql``: a list of paths), with its file."""
    return sql(
        "read_csv",
        files=files_sql,
        max_line_bytes=str(MAX_LINE_BYTES),
        buffer_bytes=str(2 * MAX_LINE_BYTES),
    )


def make_batch_files(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """The temp table ``batch_files``: the files being read, with their arrival days."""
    days: list[date | None] = [arrival_date_of(path) for path in files]
    con.execute(sql("batch_files"), {"files": files, "days": days})


def drop_lines(con: duckdb.DuckDBPyConnection, channel: str) -> None:
    """Drop what the careful or the streamed read made for the channel (and the last read's
    tables): no later statement reads them, so their memory is freed."""
    con.execute(f"drop view if exists lines_{channel}")
    for table in (
        f"numbered_lines_{channel}",
        f"file_starts_{channel}",
        f"file_lines_{channel}",
        "file_lines",
        "file_rejects",
        "file_reject_scans",
    ):
        con.execute(f"drop table if exists {table}")


def _is_empty_file(con: duckdb.DuckDBPyConnection, path: str) -> bool:
    try:
        return con.execute("select size from read_blob(?)", [path]).fetchall()[0][0] == 0
    except duckdb.Error:
        return False


def _read_files(con: duckdb.DuckDBPyConnection, files: list[str], starts: str) -> bool:
    """Read every line of ``files`` into ``file_lines`` (one read for all of them) and each
    file's first row into ``starts``; True when no line was rejected."""
    for table in ("file_lines", "file_rejects", "file_reject_scans"):
        con.execute(f"drop table if exists {table}")
    con.execute(sql("file_lines", read_csv=read_csv_sql("$files")), {"files": files})
    con.execute(sql("file_starts", file_starts=starts, file_lines="file_lines"))
    return not con.execute("select count(*) from file_rejects").fetchall()[0][0]


def _number_into(con: duckdb.DuckDBPyConnection, numbered: str, starts: str, clean: bool) -> None:
    """Append the lines just read, numbered (rejected ones with a reason), to ``numbered``."""
    names = {"numbered_lines": numbered, "file_starts": starts, "file_lines": "file_lines"}
    if clean:
        kept = sql("kept_lines", file_starts=starts, file_lines="file_lines")
        con.execute(f"insert into {numbered} {kept}")
    else:
        con.execute(sql("numbered_lines", **names))


def read_lines(con: duckdb.DuckDBPyConnection, files: list[str], channel: str) -> None:
    """Make the temp view ``lines_<channel>``: every line of ``files``, read and numbered.

    A line that is not UTF-8 or too long gets ``read_error``; a file that cannot be read at
    all (truncated gzip, not gzip) becomes one line with ``line_number`` null. All files are
    read in one call; only when that fails are they read one by one, to find the bad file.
    """
    view, numbered, starts = (
        f"{part}_{channel}" for part in ("lines", "numbered_lines", "file_starts")
    )
    drop_lines(con, channel)
    con.execute(sql("numbered_lines_table", numbered_lines=numbered))
    make_batch_files(con, files)
    con.execute(f"create temp view {view} as from {numbered}")
    if not files:
        return
    try:
        if _read_files(con, files, starts):
            con.execute(f"alter table file_lines rename to file_lines_{channel}")
            kept = sql("kept_lines", file_starts=starts, file_lines=f"file_lines_{channel}")
            con.execute(f"create or replace temp view {view} as {kept}")
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
