"""The product's three views, read from the marts with bound parameters.

This module is the query path of ``chatwh dashboard | sessions | customers``, of the HTML
report, of the ``chatwh`` Python package (notebooks) and of the marts' preview in Dagster,
so that none of them can count differently: it imports DuckDB only (no Dagster, no dbt)
and calls the table macros that dbt created in the ``marts`` schema, on a connection its
caller opened (read-only, for all but the preview).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from .sql import load as load_sql

CHANNELS = ("all", "web", "whatsapp")
GRAINS = ("day", "week", "month")
ARROWS = {"up": "▲", "down": "▼", "neutral": "■"}


class ViewError(Exception):
    """A request the warehouse cannot answer (unknown assistant, bad window)."""


@dataclass(frozen=True)
class Window:
    assistant_id: str
    from_date: date
    to_date: date
    channel: str = "all"

    def check(self) -> None:
        if self.from_date > self.to_date:
            raise ViewError(f"--from {self.from_date} is after --to {self.to_date}")
        if self.channel not in CHANNELS:
            raise ViewError(f"unknown channel {self.channel!r}: use one of {', '.join(CHANNELS)}")


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, map(_number, row), strict=True)) for row in cursor.fetchall()]


def assistant_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select assistant_id from marts.dim_assistants order by assistant_id"
        ).fetchall()
    ]


def check_assistant(
    con: duckdb.DuckDBPyConnection, assistant_id: str, known: Collection[str] | None = None
) -> None:
    """``known``: the warehouse's assistants when the caller holds them already (the server
    reads them once per snapshot), which saves a query per view; else read here."""
    known = assistant_ids(con) if known is None else known
    if assistant_id not in known:
        names = ", ".join(sorted(known))
        raise ViewError(f"unknown assistant {assistant_id!r}: known are {names}")


def dashboard(
    con: duckdb.DuckDBPyConnection,
    assistant_id: str,
    as_of: date | None = None,
    *,
    known: Collection[str] | None = None,
) -> dict[str, Any]:
    """The Dashboard view: users this month to date vs last month, and 12 months of them."""
    check_assistant(con, assistant_id, known)
    months = _rows(con, "select * from marts.dashboard_view(?, as_of := ?)", [assistant_id, as_of])
    current = months[-1]
    return {
        "assistant_id": assistant_id,
        "as_of": current["as_of"].isoformat(),
        "month": current["month"],
        "users": current["users"],
        "previous_month_users": current["previous_month_users"],
        "pct_change": current["pct_change"],
        "trend": current["trend"],
        "color": current["color"],
        "evolution": [{"month": row["month"], "users": row["users"]} for row in months],
    }


def _window_fields(row: dict[str, Any], window: Window) -> dict[str, Any]:
    return {
        "assistant_id": window.assistant_id,
        "channel": window.channel,
        "from": window.from_date.isoformat(),
        "to": window.to_date.isoformat(),
        "total_users": row["total_users"],
        "unique_users": row["unique_users"],
        "recurring_users": row["recurring_users"],
        "unique_pct": row["unique_pct"],
        "recurring_pct": row["recurring_pct"],
    }


def sessions(
    con: duckdb.DuckDBPyConnection, window: Window, *, known: Collection[str] | None = None
) -> dict[str, Any]:
    """The Sessions view: unique vs recurring users of the window (the ring chart)."""
    window.check()
    check_assistant(con, window.assistant_id, known)
    [row] = _rows(
        con,
        "select * from marts.sessions_view(?, ?, ?, channel := ?)",
        [window.assistant_id, window.from_date, window.to_date, window.channel],
    )
    return _window_fields(row, window)


def sessions_of_every_assistant(
    con: duckdb.DuckDBPyConnection, from_date: date, to_date: date, channel: str = "all"
) -> list[dict[str, Any]]:
    """The Sessions view of each assistant over one window, in one query (a dozen assistants
    or a thousand cost the same round trip): the preview of Dagster's mart materializations."""
    Window("", from_date, to_date, channel).check()
    rows = _rows(con, load_sql("sessions_of_every_assistant"), [from_date, to_date, channel])
    return [
        _window_fields(row, Window(row["assistant_id"], from_date, to_date, channel))
        for row in rows
    ]


def customers(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    grain: str | None = None,
    *,
    known: Collection[str] | None = None,
) -> dict[str, Any]:
    """The Customers view: the window's totals and one point per day, week or month."""
    window.check()
    if grain is not None and grain not in GRAINS:
        raise ViewError(f"unknown grain {grain!r}: use one of {', '.join(GRAINS)}")
    check_assistant(con, window.assistant_id, known)
    rows = _rows(
        con,
        "select * from marts.customers_view(?, ?, ?, grain := ?, channel := ?)",
        [window.assistant_id, window.from_date, window.to_date, grain, window.channel],
    )
    return {
        **_window_fields(rows[0], window),
        "grain": rows[0]["grain"],
        "series": [
            {
                "bucket_start": row["bucket_start"].isoformat(),
                "active_users": row["active_users"],
                "unique_users": row["bucket_unique_users"],
                "recurring_users": row["bucket_recurring_users"],
                "new_users": row["new_users"],
            }
            for row in rows
        ],
    }


def no_data_note(con: duckdb.DuckDBPyConnection, window: Window) -> str:
    """For the text output of a window without sessions: what dates the data covers."""
    first, last = con.execute(
        load_sql("data_range"), {"assistant_id": window.assistant_id, "channel": window.channel}
    ).fetchall()[0]
    channel = "" if window.channel == "all" else f" on {window.channel}"
    if first is None:
        return f"  no sessions in this window: {window.assistant_id} has no data{channel} yet"
    return (
        f"  no sessions in this window: the data of {window.assistant_id}{channel} covers "
        f"{first.isoformat()} to {last.isoformat()}"
    )


# --------------------------------------------------------------------------- text rendering


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def render_dashboard(view: dict[str, Any]) -> str:
    arrow = ARROWS[view["trend"]]
    change = (
        "n/a (no users last month)"
        if view["pct_change"] is None
        else (f"{view['pct_change']:+.1f}%")
    )
    peak = max([point["users"] for point in view["evolution"]] + [1])
    year, month = map(int, view["month"].split("-"))
    previous = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"
    lines = [
        f"Dashboard · {view['assistant_id']} · as of {view['as_of']}",
        f"  users in {view['month']}, month to date (to {view['as_of']}): {view['users']}   "
        f"{arrow} {change} vs {view['previous_month_users']} in the whole of {previous} "
        f"({view['trend']}, {view['color']})",
        "  12-month evolution:",
    ]
    for point in view["evolution"]:
        bar = "█" * round(30 * point["users"] / peak)
        lines.append(f"    {point['month']}  {point['users']:>7}  {bar}")
    return "\n".join(lines)


def render_sessions(view: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"Sessions · {view['assistant_id']} · {view['from']} to {view['to']} · "
            f"channel {view['channel']}",
            f"  total users      {view['total_users']:>8}",
            f"  unique users     {view['unique_users']:>8}  {_pct(view['unique_pct'])}",
            f"  recurring users  {view['recurring_users']:>8}  {_pct(view['recurring_pct'])}",
        ]
    )


def render_customers(view: dict[str, Any]) -> str:
    lines = [
        f"Customers · {view['assistant_id']} · {view['from']} to {view['to']} · "
        f"channel {view['channel']} · by {view['grain']}",
        f"  total {view['total_users']}  unique {view['unique_users']} "
        f"({_pct(view['unique_pct'])})  recurring {view['recurring_users']} "
        f"({_pct(view['recurring_pct'])})",
        f"  {'bucket':<10}  {'active':>7}  {'unique':>7}  {'recurring':>9}  {'new':>6}",
    ]
    for point in view["series"]:
        lines.append(
            f"  {point['bucket_start']:<10}  {point['active_users']:>7}  "
            f"{point['unique_users']:>7}  {point['recurring_users']:>9}  {point['new_users']:>6}"
        )
    return "\n".join(lines)
