"""The landing zone: its raw files per channel, and the arrival day (``dt``) of each."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from .. import landing_fs

CHANNELS = ("web", "whatsapp")


class LandingError(Exception):
    """The landing zone cannot be used (missing folder, bad assistants file)."""


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


def files_of_days(
    con: duckdb.DuckDBPyConnection, landing: str, days: set[date]
) -> dict[str, list[str]]:
    """Each channel's raw files whose arrival day is one of ``days``, sorted."""
    return {
        channel: [
            path for path in landing_files(con, landing, channel) if arrival_date_of(path) in days
        ]
        for channel in CHANNELS
    }
