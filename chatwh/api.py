"""``chatwh.Warehouse``: the views of ``orchestration/views.py`` with pandas types.

Each view returns the fields of the command line's ``--json`` (SPEC §5), under the same
names, with pandas types where a notebook wants them: dates and months as pandas
``Timestamp`` (a month as its first day), the Customers series and the Dashboard evolution
as DataFrames (dates as ``datetime64``, counts as ``int64``). The numbers themselves come
from the very functions that answer ``chatwh dashboard | sessions | customers``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from orchestration import settings, views
from orchestration.sql import load as load_sql
from orchestration.views import ViewError, Window
from orchestration.warehouse import connect

DateLike = date | datetime | pd.Timestamp | np.datetime64 | str
SERIES_COUNTS = ["active_users", "unique_users", "recurring_users", "new_users"]


def open(path: str | Path | None = None) -> Warehouse:
    """The warehouse file at ``path``, else the configured one (``$CHATWH_WAREHOUSE``, else
    ``data/warehouse.duckdb`` in the project), as ``chatwh --warehouse`` resolves it."""
    return Warehouse(path)


class Warehouse:
    """One warehouse file, read-only.

    Every call opens the file read-only and closes it before it returns: a notebook left
    open never holds the file, so the nightly run (DuckDB's one writer) is never locked out.
    While a run writes, a call waits up to 2 s for it, then raises ``WarehouseBusy``.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = settings.warehouse_path(None if path is None else str(path))
        with self._connect():  # a missing or unreadable file fails here, not at the first view
            pass

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, read_only=True) as con:
            yield con

    def assistants(self) -> list[str]:
        """The ids of the assistants, sorted (``marts.dim_assistants``)."""
        with self._connect() as con:
            return views.assistant_ids(con)

    def dashboard(self, assistant: str, as_of: DateLike | None = None) -> dict[str, Any]:
        """The Dashboard view as of a local date (default: today in the assistant's time
        zone); ``evolution`` is a DataFrame of 12 months (``month``, ``users``)."""
        day = None if as_of is None else _date(as_of, "as_of")
        with self._connect() as con:
            view = views.dashboard(con, assistant, day)
        return {
            **view,
            "as_of": pd.Timestamp(view["as_of"]),
            "month": pd.Timestamp(view["month"]),
            "evolution": _frame(view["evolution"], "month", ["users"]),
        }

    def sessions(
        self, assistant: str, from_date: DateLike, to_date: DateLike, channel: str = "all"
    ) -> dict[str, Any]:
        """The Sessions view of the local dates [from_date, to_date]: total, unique and
        recurring users and their percentages; ``channel`` is web, whatsapp or all."""
        window = _window(assistant, from_date, to_date, channel)
        with self._connect() as con:
            return _with_window_dates(views.sessions(con, window))

    def customers(
        self,
        assistant: str,
        from_date: DateLike,
        to_date: DateLike,
        grain: str | None = None,
        channel: str = "all",
    ) -> dict[str, Any]:
        """The Customers view: the Sessions fields, the ``grain`` (day, week or month; by
        default day up to 31 days, week up to 182, month beyond) and ``series``, a DataFrame
        with one row per bucket (``bucket_start`` and the four counts)."""
        window = _window(assistant, from_date, to_date, channel)
        with self._connect() as con:
            view = views.customers(con, window, grain)
        return {
            **_with_window_dates(view),
            "series": _frame(view["series"], "bucket_start", SERIES_COUNTS),
        }

    def tables(self) -> list[str]:
        """The names of the tables of the ``marts`` schema, the ones :meth:`table` reads."""
        with self._connect() as con:
            return _mart_tables(con)

    def table(self, name: str) -> pd.DataFrame:
        """A table of the ``marts`` schema, whole, as a DataFrame (``customers`` or
        ``marts.customers``). Only the marts are readable: they hold counts and pseudonymous
        user ids, no personal data; ``raw`` and the other schemas are refused, and the name
        must be one the catalog lists (never SQL text)."""
        with self._connect() as con:
            known = _mart_tables(con)
            table = name.removeprefix("marts.") if isinstance(name, str) else None
            if table not in known:
                raise ViewError(
                    f"{name!r} is not a table of the marts schema (the only one readable "
                    f"here): use one of {', '.join(known)}"
                )
            return con.table(f'marts."{table}"').df()


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute(load_sql("mart_tables")).fetchall()]


def _date(value: DateLike, name: str) -> date:
    """A local date from what a notebook has at hand: a ``date``; a ``datetime``, pandas
    ``Timestamp`` or ``numpy.datetime64`` (its date as written: time and zone are ignored);
    or an ISO string ``YYYY-MM-DD``."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ViewError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None
    if isinstance(value, datetime) and not pd.isna(value):  # a Timestamp is a datetime
        return value.date()
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ViewError(
        f"{name} {value!r} is not a date: pass a date, datetime, pandas Timestamp or 'YYYY-MM-DD'"
    )


def _window(assistant: str, from_date: DateLike, to_date: DateLike, channel: str) -> Window:
    return Window(assistant, _date(from_date, "from_date"), _date(to_date, "to_date"), channel)


def _with_window_dates(view: dict[str, Any]) -> dict[str, Any]:
    return {**view, "from": pd.Timestamp(view["from"]), "to": pd.Timestamp(view["to"])}


def _frame(points: list[dict[str, Any]], when: str, counts: list[str]) -> pd.DataFrame:
    """The JSON list of a view as a DataFrame: ``when`` (dates or months) as datetime64."""
    frame = pd.DataFrame(points, columns=[when, *counts])
    frame[when] = pd.to_datetime(frame[when], format="ISO8601")
    return frame.astype(dict.fromkeys(counts, "int64"))
