"""The three views through the real `chatwh` command (SPEC §2, §3, §5).

One landing zone written by tests/support/landing_writer.py (late and duplicate deliveries
included), one `chatwh run`, then `chatwh dashboard | sessions | customers --json` in
subprocesses. Expected numbers come from tests/support/reference.py, except the ones SPEC.md
states itself (its January/September example, the trend colours, the JSON fields).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.reference import customers_view, dashboard_view, sessions_view
from tests.support.views_landing import (
    ACME,
    AS_OF_DATES,
    GLOBEX,
    INTERACTIONS,
    ZONES,
    customers_json,
    dashboard_json,
    sessions_json,
)

DASHBOARD_FIELDS = {
    "assistant_id",
    "as_of",
    "month",
    "users",
    "previous_month_users",
    "pct_change",
    "trend",
    "color",
    "evolution",
}
SESSIONS_FIELDS = {
    "assistant_id",
    "channel",
    "from",
    "to",
    "total_users",
    "unique_users",
    "recurring_users",
    "unique_pct",
    "recurring_pct",
}
CUSTOMERS_FIELDS = SESSIONS_FIELDS | {"grain", "series"}
SERIES_FIELDS = {"bucket_start", "active_users", "unique_users", "recurring_users", "new_users"}
TREND_COLORS = {"up": "green", "down": "red", "neutral": "blue"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH = re.compile(r"^\d{4}-\d{2}$")


# --------------------------------------------------------------------------- Sessions


def test_january_and_september_is_recurring_for_january_to_september(warehouse) -> None:
    deployment, _ = warehouse
    view = sessions_json(deployment, GLOBEX, "2025-01-01", "2025-09-30")
    assert (view["total_users"], view["unique_users"], view["recurring_users"]) == (1, 0, 1)
    assert (view["unique_pct"], view["recurring_pct"]) == (0.0, 100.0)


def test_january_and_september_is_unique_for_june_to_september(warehouse) -> None:
    deployment, _ = warehouse
    view = sessions_json(deployment, GLOBEX, "2025-06-01", "2025-09-30")
    assert (view["total_users"], view["unique_users"], view["recurring_users"]) == (1, 1, 0)
    assert (view["unique_pct"], view["recurring_pct"]) == (100.0, 0.0)


@pytest.mark.parametrize("channel", ["all", "web", "whatsapp"])
@pytest.mark.parametrize(
    "first, last", [("2025-03-01", "2025-04-30"), ("2025-04-01", "2025-04-30")]
)
def test_sessions_json_matches_reference(warehouse, channel: str, first: str, last: str) -> None:
    deployment, sessions = warehouse
    view = sessions_json(deployment, ACME, first, last, channel)
    assert set(view) == SESSIONS_FIELDS
    assert view == sessions_view(
        sessions, ACME, date.fromisoformat(first), date.fromisoformat(last), channel
    )
    assert view["channel"] == channel and view["from"] == first and view["to"] == last


def test_channels_add_up_to_all(warehouse) -> None:
    """Web and WhatsApp users are different users: `all` counts both."""
    deployment, _ = warehouse
    views = {
        channel: sessions_json(deployment, ACME, "2025-03-01", "2025-06-30", channel)
        for channel in ("all", "web", "whatsapp")
    }
    assert views["web"]["total_users"] > 0 and views["whatsapp"]["total_users"] > 0
    for field in ("total_users", "unique_users", "recurring_users"):
        assert views["all"][field] == views["web"][field] + views["whatsapp"][field]


def test_empty_window_has_null_percentages(warehouse) -> None:
    deployment, _ = warehouse
    view = sessions_json(deployment, ACME, "2024-01-01", "2024-01-31")
    assert view["total_users"] == 0
    assert view["unique_pct"] is None and view["recurring_pct"] is None


# --------------------------------------------------------------------------- Customers


@pytest.mark.parametrize(
    "first, last, grain, channel",
    [
        ("2025-03-12", "2025-06-20", "week", "all"),  # starts on a Wednesday
        ("2025-03-12", "2025-06-20", "month", "web"),
        ("2025-04-25", "2025-05-05", None, "all"),  # 11 days: by day, across a month end
        ("2025-04-01", "2025-04-30", "day", "whatsapp"),
    ],
)
def test_customers_json_matches_reference(
    warehouse, first: str, last: str, grain: str | None, channel: str
) -> None:
    deployment, sessions = warehouse
    view = customers_json(deployment, ACME, first, last, grain, channel)
    first_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
    assert set(view) == CUSTOMERS_FIELDS
    assert view == customers_view(sessions, ACME, first_day, last_day, grain, channel)

    series = view["series"]
    assert all(set(point) == SERIES_FIELDS for point in series)
    starts = [date.fromisoformat(point["bucket_start"]) for point in series]
    assert all(DATE.match(point["bucket_start"]) for point in series)
    # Buckets cut to the window: the first starts on the window's first day, the others on
    # a period start inside the window; every bucket is present, active or not.
    assert starts[0] == first_day and starts[-1] <= last_day
    assert starts == sorted(starts)
    for start in starts[1:]:
        if view["grain"] == "week":
            assert start.weekday() == 0
        elif view["grain"] == "month":
            assert start.day == 1
    if view["grain"] == "day":
        assert len(series) == (last_day - first_day).days + 1
    for point in series:
        assert point["unique_users"] + point["recurring_users"] == point["active_users"]


@pytest.mark.parametrize("days, grain", [(31, "day"), (32, "week"), (182, "week"), (183, "month")])
def test_customers_default_grain(warehouse, days: int, grain: str) -> None:
    deployment, _ = warehouse
    first = date(2025, 3, 1)
    last = first + timedelta(days=days - 1)
    view = customers_json(deployment, ACME, first.isoformat(), last.isoformat())
    assert view["grain"] == grain


# --------------------------------------------------------------------------- Dashboard


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_dashboard_json_matches_reference(warehouse, as_of: str) -> None:
    deployment, sessions = warehouse
    view = dashboard_json(deployment, ACME, as_of)
    assert set(view) == DASHBOARD_FIELDS
    assert view == dashboard_view(sessions, ACME, date.fromisoformat(as_of))
    assert view["as_of"] == as_of and view["month"] == as_of[:7]
    assert view["color"] == TREND_COLORS[view["trend"]]
    evolution = view["evolution"]
    assert len(evolution) == 12 and all(set(p) == {"month", "users"} for p in evolution)
    assert all(MONTH.match(point["month"]) for point in evolution)
    assert evolution[-1] == {"month": view["month"], "users": view["users"]}
    assert [p["month"] for p in evolution] == sorted(p["month"] for p in evolution)
    assert len({p["month"] for p in evolution}) == 12
    if view["previous_month_users"] == 0:
        assert view["pct_change"] is None


def test_dashboard_shows_every_trend(warehouse) -> None:
    """The history above makes the three trends: up/green, down/red, neutral/blue."""
    deployment, _ = warehouse
    seen = {}
    for as_of in ("2025-04-30", "2025-05-31", "2025-06-30"):
        view = dashboard_json(deployment, ACME, as_of)
        seen[view["trend"]] = view["color"]
        if view["trend"] == "up":
            assert view["users"] > view["previous_month_users"]
        elif view["trend"] == "down":
            assert view["users"] < view["previous_month_users"]
        else:
            assert view["users"] == view["previous_month_users"]
    assert seen == TREND_COLORS


def test_dashboard_evolution_has_zero_months(warehouse) -> None:
    deployment, _ = warehouse
    view = dashboard_json(deployment, ACME, "2025-06-30")
    months = [point["month"] for point in view["evolution"]]
    assert months[0] == "2024-07" and months[-1] == "2025-06"
    assert [point["users"] for point in view["evolution"][:8]] == [0] * 8


def test_dashboard_defaults_to_today_in_the_assistant_time_zone(warehouse) -> None:
    deployment, sessions = warehouse
    zone = ZoneInfo(ZONES[ACME])
    before = datetime.now(zone).date()
    view = dashboard_json(deployment, ACME, None)
    after = datetime.now(zone).date()
    assert view["as_of"] in (before.isoformat(), after.isoformat())
    assert view == dashboard_view(sessions, ACME, date.fromisoformat(view["as_of"]))


def test_text_output_without_json(warehouse) -> None:
    deployment, _ = warehouse
    for args in (
        ["dashboard", "--assistant", ACME, "--as-of", "2025-04-30"],
        ["sessions", "--assistant", ACME, "--from", "2025-03-01", "--to", "2025-04-30"],
        ["customers", "--assistant", ACME, "--from", "2025-03-01", "--to", "2025-04-30"],
    ):
        completed = deployment.chatwh(*args, "--warehouse", str(deployment.warehouse))
        assert completed.returncode == 0 and ACME in completed.stdout
        assert not completed.stdout.lstrip().startswith("{")


def test_landing_deliveries_were_deduplicated(warehouse) -> None:
    """The re-deliveries were counted as duplicates, not as interactions."""
    deployment, _ = warehouse
    [(loaded, duplicates, quarantined)] = deployment.query(
        "select sum(loaded), sum(duplicates), sum(quarantined) from raw.load_audit"
    )
    redelivered = sum(1 for i in INTERACTIONS if i.user == "34611111111")
    assert (loaded, duplicates, quarantined) == (len(INTERACTIONS), 2 * redelivered, 0)


def test_landing_has_its_own_assistants_file(warehouse) -> None:
    deployment, _ = warehouse
    assert (deployment.landing / "assistants.csv").read_text() == (
        Path(__file__).resolve().parents[2] / "seeds" / "assistants.csv"
    ).read_text()
