"""``chatwh.Warehouse``, the Python API for notebooks, against the real ``chatwh ... --json``.

The landing zone and warehouse of tests/e2e/test_views_cli.py (built once, shared): for every
view, channel and grain, the DataFrame API and the command line in a subprocess must give
the same answer, field for field, with pandas types on the API's side.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

import chatwh
from tests.support.views_landing import (
    ACME,
    AS_OF_DATES,
    GLOBEX,
    customers_json,
    dashboard_json,
    sessions_json,
)

CHANNELS = ["all", "web", "whatsapp"]
GRAINS = ["day", "week", "month", None]
WINDOW = ("2025-03-12", "2025-06-20")  # 101 days, starting on a Wednesday
# windows whose default grain is each of the three (31 days or fewer, up to 182, beyond)
DEFAULT_GRAIN_WINDOWS = {
    "day": ("2025-04-25", "2025-05-05"),
    "week": ("2025-03-01", "2025-08-29"),
    "month": ("2025-01-01", "2025-09-30"),
}


def api(warehouse_fixture) -> chatwh.Warehouse:
    deployment, _ = warehouse_fixture
    return chatwh.open(deployment.warehouse)


def as_json(view: dict[str, Any]) -> dict[str, Any]:
    """The API's answer in the command line's JSON form: Timestamps as ``YYYY-MM-DD`` (a
    month as ``YYYY-MM``), numpy integers as ints, DataFrames as lists of objects."""

    def plain(key: str, value: Any) -> Any:
        if isinstance(value, pd.Timestamp):
            return value.strftime("%Y-%m" if key == "month" else "%Y-%m-%d")
        return int(value) if isinstance(value, np.integer) else value

    return {
        key: [
            {name: plain(name, cell) for name, cell in row.items()}
            for row in value.to_dict("records")
        ]
        if isinstance(value, pd.DataFrame)
        else plain(key, value)
        for key, value in view.items()
    }


def assert_frame_types(frame: pd.DataFrame, when: str) -> None:
    assert pd.api.types.is_datetime64_dtype(frame[when]), frame.dtypes
    assert all(frame[column].dtype == np.int64 for column in frame.columns if column != when)


# --------------------------------------------------------------------------- same as the CLI


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "assistant, first, last",
    [(ACME, "2025-03-01", "2025-04-30"), (ACME, "2024-01-01", "2024-01-31"), (GLOBEX, *WINDOW)],
)
def test_sessions_equals_the_cli(warehouse, assistant, first, last, channel) -> None:
    view = api(warehouse).sessions(assistant, first, last, channel=channel)
    assert isinstance(view["from"], pd.Timestamp) and isinstance(view["to"], pd.Timestamp)
    assert as_json(view) == sessions_json(warehouse[0], assistant, first, last, channel)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("grain", GRAINS, ids=lambda grain: grain or "default")
def test_customers_equals_the_cli(warehouse, grain, channel) -> None:
    view = api(warehouse).customers(ACME, *WINDOW, grain=grain, channel=channel)
    assert_frame_types(view["series"], "bucket_start")
    assert len(view["series"]) > 1
    assert as_json(view) == customers_json(warehouse[0], ACME, *WINDOW, grain, channel)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("grain", DEFAULT_GRAIN_WINDOWS)
def test_customers_default_grain_equals_the_cli(warehouse, grain, channel) -> None:
    first, last = DEFAULT_GRAIN_WINDOWS[grain]
    view = api(warehouse).customers(ACME, first, last, channel=channel)
    assert view["grain"] == grain
    assert as_json(view) == customers_json(warehouse[0], ACME, first, last, None, channel)


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_dashboard_equals_the_cli(warehouse, as_of) -> None:
    view = api(warehouse).dashboard(ACME, as_of)
    assert_frame_types(view["evolution"], "month")
    assert len(view["evolution"]) == 12
    assert view["month"] == view["evolution"]["month"].iloc[-1]
    assert as_json(view) == dashboard_json(warehouse[0], ACME, as_of)


def test_dashboard_as_of_today_equals_the_cli(warehouse) -> None:
    view = as_json(api(warehouse).dashboard(ACME))
    cli = dashboard_json(warehouse[0], ACME, None)
    if cli["as_of"] == view["as_of"]:  # else midnight passed in between: nothing to compare
        assert view == cli
    else:
        assert view == dashboard_json(warehouse[0], ACME, view["as_of"])


def test_assistants_are_the_dimension(warehouse) -> None:
    deployment, _ = warehouse
    ids = [row[0] for row in deployment.query("select assistant_id from marts.dim_assistants")]
    assert api(warehouse).assistants() == sorted(ids) and ACME in ids


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "day",
    [
        "2025-04-01",
        date(2025, 4, 1),
        datetime(2025, 4, 1, 23, 59),
        pd.Timestamp("2025-04-01 08:00", tz="America/New_York"),
        np.datetime64("2025-04-01"),
    ],
    ids=["str", "date", "datetime", "Timestamp", "datetime64"],
)
def test_dates_of_every_kind_are_the_same_day(warehouse, day) -> None:
    wh = api(warehouse)
    assert wh.sessions(ACME, "2025-03-01", day) == wh.sessions(ACME, "2025-03-01", "2025-04-01")
    assert wh.dashboard(ACME, day)["as_of"] == pd.Timestamp("2025-04-01")


@pytest.mark.parametrize(
    "command, call",
    [
        (
            ["sessions", "--assistant", "nobody", "--from", "2025-03-01", "--to", "2025-03-31"],
            lambda wh: wh.sessions("nobody", "2025-03-01", "2025-03-31"),
        ),
        (
            ["customers", "--assistant", ACME, "--from", "2025-04-01", "--to", "2025-03-01"],
            lambda wh: wh.customers(ACME, "2025-04-01", "2025-03-01"),
        ),
        (
            ["dashboard", "--assistant", "nobody"],
            lambda wh: wh.dashboard("nobody"),
        ),
    ],
    ids=["unknown assistant", "from after to", "dashboard of nobody"],
)
def test_bad_arguments_raise_the_cli_message(warehouse, command, call) -> None:
    deployment, _ = warehouse
    with pytest.raises(chatwh.ViewError) as raised:
        call(api(warehouse))
    completed = deployment.chatwh(*command, "--warehouse", str(deployment.warehouse), check=False)
    assert completed.returncode != 0
    assert completed.stderr.strip() == f"chatwh {command[0]}: error: {raised.value}"


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda wh: wh.sessions(ACME, "2025-13-01", "2025-12-31"),
            "from_date '2025-13-01' is not a date (YYYY-MM-DD)",
        ),
        (lambda wh: wh.sessions(ACME, None, "2025-12-31"), "from_date None is not a date"),
        (lambda wh: wh.dashboard(ACME, pd.NaT), "as_of NaT is not a date"),
        (lambda wh: wh.sessions(ACME, "2025-01-01", "2025-01-31", "sms"), "unknown channel 'sms'"),
        (lambda wh: wh.customers(ACME, "2025-01-01", "2025-01-31", "year"), "unknown grain"),
    ],
    ids=["bad date", "no date", "NaT", "channel", "grain"],
)
def test_bad_arguments_raise_one_exception_type(warehouse, call, message) -> None:
    with pytest.raises(chatwh.ViewError, match=re.escape(message)):
        call(api(warehouse))


# --------------------------------------------------------------------------- the marts


def test_table_reads_a_mart_whole(warehouse) -> None:
    deployment, _ = warehouse
    wh = api(warehouse)
    assert "customers" in wh.tables() and all(not name.startswith("raw") for name in wh.tables())
    frame = wh.table("customers")
    [(rows,)] = deployment.query("select count(*) from marts.customers")
    assert len(frame) == rows > 0
    assert pd.api.types.is_datetime64_dtype(frame["first_seen_at"])
    assert frame.equals(wh.table("marts.customers"))


@pytest.mark.parametrize(
    "name",
    [
        "raw.web_events",
        "raw.whatsapp_messages",
        "intermediate.int_sessions",
        "web_events",
        "customers; drop table marts.customers",
        'customers" union select * from raw.web_events --',
        None,
    ],
)
def test_table_refuses_everything_but_the_marts(warehouse, name) -> None:
    with pytest.raises(chatwh.ViewError, match="not a table of the marts schema"):
        api(warehouse).table(name)
    deployment, _ = warehouse
    assert deployment.query("select count(*) from marts.customers")[0][0] > 0


# --------------------------------------------------------------------------- the file


def test_open_defaults_to_the_configured_warehouse(warehouse, monkeypatch) -> None:
    deployment, _ = warehouse
    monkeypatch.setenv("CHATWH_WAREHOUSE", str(deployment.warehouse))
    wh = chatwh.open()
    assert wh.path == deployment.warehouse.resolve()
    assert wh.sessions(ACME, *WINDOW) == api(warehouse).sessions(ACME, *WINDOW)


def test_open_a_missing_file_says_so(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no warehouse at"):
        chatwh.open(tmp_path / "none.duckdb")


def test_an_open_warehouse_never_holds_the_file(warehouse, tmp_path) -> None:
    """Between calls the file is closed: a writer (the nightly run) can open it."""
    deployment, _ = warehouse
    copy = tmp_path / "warehouse.duckdb"  # a copy: the shared file has other readers
    shutil.copyfile(deployment.warehouse, copy)
    wh = chatwh.open(copy)
    expected = wh.sessions(ACME, *WINDOW)
    with duckdb.connect(str(copy)) as writer:  # read-write: fails while any reader is open
        writer.execute("create table marts.written_meanwhile as select 1 as one")
    assert wh.sessions(ACME, *WINDOW) == expected
    assert "written_meanwhile" in wh.tables()
