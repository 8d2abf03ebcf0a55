"""The audit: per file, loaded + skipped + duplicates + quarantined = records, kept in
``raw.load_audit``, and the totals a load reports."""

from __future__ import annotations

from dataclasses import astuple, dataclass, field
from datetime import date

import duckdb

from .statements import sql


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


def audit(con: duckdb.DuckDBPyConnection, channel: str, files: list[str]) -> ChannelCounts:
    """Write one audit row per file (files with no line get zeros) and return the totals."""
    con.execute(sql("audited_files"), {"files": files})
    con.execute(sql("insert_load_audit"), {"channel": channel})
    row = con.execute(sql("audit_totals"), {"channel": channel}).fetchall()[0]
    return ChannelCounts(*row)
