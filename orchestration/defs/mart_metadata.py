"""What the Dagster UI shows of a built mart: its row count and a preview of the numbers.

dagster-dbt can fetch row counts itself, but only through its own ``DbtCliResource`` (this
project runs dbt through ``dbt_runner``), and one query per model while dbt still holds
the DuckDB file. Instead, once ``dbt build`` is done, one query counts every mart and one
more reads the preview, on the connection the asset opens anyway.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import dagster as dg
import duckdb

from .. import views
from ..sql import load as load_sql

progress = logging.getLogger("chatwh.progress")

PREVIEW_DAYS = 30
ROW_COUNT = "dagster/row_count"  # the key the Dagster UI shows as the asset's row count
PREVIEW_COLUMNS = [
    "assistant_id",
    "total_users",
    "unique_users",
    "recurring_users",
    "unique_pct",
    "recurring_pct",
]


def preload_pandas() -> None:
    """Import pandas in a background thread, while dbt builds (its queries leave the
    interpreter to it): the run imports no pandas otherwise, and the import (0.3 to 0.8 s
    on this machine) would come after the build, on the critical path; a later ``import
    pandas`` waits for this one."""
    threading.Thread(
        target=importlib.import_module, args=("pandas",), name="preload-pandas", daemon=True
    ).start()


def row_counts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    """The row count of each table of the marts schema, in one query."""
    template = load_sql("mart_row_count")
    sql = "\nunion all\n".join(template.format(table=table.replace('"', '""')) for table in tables)
    return dict(con.execute(sql, tables).fetchall())


def preview_window(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """The last PREVIEW_DAYS local dates up to the newest session (None before any session).

    The newest session rather than today: a backfill of last year, or a landing zone that
    stopped arriving, still shows numbers, and the dates say which days they are."""
    [(latest,)] = con.execute(load_sql("latest_session_date")).fetchall()
    return None if latest is None else (latest - timedelta(days=PREVIEW_DAYS - 1), latest)


def sessions_preview(con: duckdb.DuckDBPyConnection) -> str:
    """The Sessions view of every assistant over the preview window, as markdown."""
    window = preview_window(con)
    if window is None:
        return "No sessions yet."
    import pandas as pd  # here, not at import: the definitions load without pandas

    frame = pd.DataFrame(views.sessions_of_every_assistant(con, *window), columns=PREVIEW_COLUMNS)
    for column in ("unique_pct", "recurring_pct"):
        frame[column] = frame[column].map(lambda pct: "—" if pd.isna(pct) else f"{pct:.1f}")
    first, last = window
    return (
        f"Sessions view, {first} to {last} (the last {PREVIEW_DAYS} days up to the newest "
        f"session), web and WhatsApp:\n\n{markdown_table(frame)}"
    )


def markdown_table(frame: Any) -> str:
    """``DataFrame.to_markdown`` (which needs ``tabulate``, today a dependency of Dagster's),
    else the same pipe table built here."""
    try:
        return frame.to_markdown(index=False)
    except ImportError:
        return pipe_table(frame)


def pipe_table(frame: Any) -> str:
    """A DataFrame as a markdown pipe table, without ``tabulate``."""

    def cell(value: object) -> str:
        return str(value).replace("|", r"\|")

    header = [cell(column) for column in frame.columns]
    lines = [header, ["---"] * len(header), *frame.map(cell).to_numpy()]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def with_mart_metadata(
    con: duckdb.DuckDBPyConnection, outputs: Mapping[str, dg.Output]
) -> list[dg.Output]:
    """The marts' outputs (by table name) with their row count and the Sessions preview.

    A failure here costs the metadata, never the night's build: the outputs go out as they
    came, with one warning line."""
    if not outputs:
        return []
    try:
        counts = row_counts(con, list(outputs))
        preview = dg.MetadataValue.md(sessions_preview(con))
    except duckdb.Error as error:
        progress.warning("dbt: the marts' row counts and preview are missing: %s", error)
        return list(outputs.values())
    return [
        output.with_metadata(
            {**output.metadata, ROW_COUNT: dg.MetadataValue.int(counts[table]), "preview": preview}
        )
        for table, output in outputs.items()
    ]
