"""The assistants in force, loaded into ``raw.assistants`` once per run by their own asset
(``orchestration/defs/ingest.py``); the chunks of a load read the table as it left it."""

from __future__ import annotations

import csv

import duckdb

from .. import landing_fs
from ..settings import SEED_ASSISTANTS
from .landing import LandingError
from .statements import sql

ASSISTANT_COLUMNS = ("assistant_id", "name", "timezone", "whatsapp_phone_number_id")


def assistants_source(landing: str) -> str:
    """``<landing>/assistants.csv`` when present (a local folder or S3), else the project's seed."""
    candidate = f"{landing}/assistants.csv"
    return candidate if landing_fs.exists(candidate) else str(SEED_ASSISTANTS)


def load_assistants(con: duckdb.DuckDBPyConnection, landing: str) -> str:
    """Replace ``raw.assistants`` with the current list of assistants; return its source."""
    source = assistants_source(landing)
    with landing_fs.open_text(source) as handle:
        reader = csv.DictReader(handle)
        missing = set(ASSISTANT_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise LandingError(f"{source} lacks the columns {', '.join(sorted(missing))}")
        rows = [
            tuple((row[name] or "").strip() or None for name in ASSISTANT_COLUMNS) for row in reader
        ]
    con.execute(sql("incoming_assistants"))
    if rows:
        con.executemany("insert into incoming_assistants values (?, ?, ?, ?)", rows)
    con.execute(sql("replace_assistants"))
    return source
