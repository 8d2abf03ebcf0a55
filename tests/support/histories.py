"""Generated histories and the reference's answers for the metrics of SPEC §2/§3, shared by
the property tests of the compiled models (tests/dbt/test_compiled_models.py) and of the
nightly runs (tests/orchestration/test_nightly_property.py): Hypothesis strategies of
interactions near session, day and month boundaries, questions to ask the warehouse, and
checks of a warehouse against tests/support/reference.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb
from hypothesis import note
from hypothesis import strategies as st

from orchestration import views
from orchestration.pseudonym import pseudonymize
from tests.conftest import TEST_KEY
from tests.support.landing_writer import SEED_ASSISTANTS, read_assistants
from tests.support.reference import (
    Interaction,
    Session,
    customers_view,
    dashboard_view,
    sessions_per_user,
    sessions_view,
)

ASSISTANTS = read_assistants(SEED_ASSISTANTS)
ZONES = {assistant_id: assistant.timezone for assistant_id, assistant in ASSISTANTS.items()}
WHATSAPP_ASSISTANTS = {
    assistant_id for assistant_id, a in ASSISTANTS.items() if a.whatsapp_phone_number_id
}
TOKYO = next(a for a, zone in ZONES.items() if zone == "Asia/Tokyo")
NEW_YORK = next(a for a, zone in ZONES.items() if zone == "America/New_York")
OTHERS = sorted(set(ZONES) - {TOKYO, NEW_YORK})

WEB_USERS = ("anon-ana", "anon-bo", "anon-cy")
WHATSAPP_USERS = ("34600000001", "34600000002", "34600000003")
# Gaps between consecutive interactions of a burst, in seconds: around the 30-minute rule.
GAPS = (0, 1, 60, 1799, 1800, 1801, 2400, 3600, 5 * 3600, 86400 - 60, 86400 + 60)
CHANNELS = ("all", "web", "whatsapp")
GRAINS = (None, "day", "week", "month")
WINDOW_LENGTHS = (1, 2, 7, 30, 31, 32, 45, 92, 182, 183, 400)


# --------------------------------------------------------------------------- generators


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@st.composite
def bursts(
    draw: st.DrawFn, start: date, days: int, assistants: tuple[str, ...]
) -> list[Interaction]:
    """A few interactions of one user, close together, often near a session, day or month
    boundary (local midnight of the assistant, UTC midnight, a month end)."""
    assistant = draw(st.sampled_from(assistants))
    channel = draw(
        st.sampled_from(("web", "whatsapp") if assistant in WHATSAPP_ASSISTANTS else ("web",))
    )
    user = draw(st.sampled_from(WEB_USERS if channel == "web" else WHATSAPP_USERS))
    zone = ZoneInfo(ZONES[assistant])
    day = start + timedelta(days=draw(st.integers(0, days - 1)))
    near = draw(st.sampled_from(("local midnight", "utc midnight", "month end", "anywhere")))
    if near == "month end":
        day = _first_of_next_month(day)
    if near in ("local midnight", "month end"):
        anchor = datetime.combine(day, time(0), zone).astimezone(UTC)
        anchor += timedelta(seconds=draw(st.integers(-2700, 2700)))
    elif near == "utc midnight":
        anchor = datetime.combine(day, time(0), UTC)
        anchor += timedelta(seconds=draw(st.integers(-2700, 2700)))
    else:
        anchor = datetime.combine(day, time(0), UTC)
        anchor += timedelta(seconds=draw(st.integers(0, 86399)))
    moments = [anchor]
    for gap in draw(st.lists(st.sampled_from(GAPS), max_size=4)):
        moments.append(moments[-1] + timedelta(seconds=gap))
    interactions = []
    for moment in moments:
        # Web timestamps carry milliseconds: 30 minutes and 1 ms is more than 30 minutes.
        if channel == "web":
            moment += timedelta(milliseconds=draw(st.sampled_from((0, 0, 1, 999))))
        interactions.append(Interaction(assistant, channel, user, moment))
    return interactions


def utc_day(interaction: Interaction) -> date:
    return interaction.at.astimezone(UTC).date()


@dataclass(frozen=True)
class Question:
    """What to ask the warehouse: windows, channels, grains and as-of dates."""

    windows: tuple[tuple[date, date, str, str | None], ...]
    as_of_dates: tuple[date, ...]


@st.composite
def questions(draw: st.DrawFn, start: date, days: int) -> Question:
    windows = []
    for _ in range(draw(st.integers(2, 4))):
        first = start + timedelta(days=draw(st.integers(-20, days + 5)))
        if draw(st.booleans()):
            first = first.replace(day=1)  # month-aligned windows happen in real use
        length = draw(st.sampled_from(WINDOW_LENGTHS) | st.integers(1, 120))
        windows.append(
            (
                first,
                first + timedelta(days=length - 1),
                draw(st.sampled_from(CHANNELS)),
                draw(st.sampled_from(GRAINS)),
            )
        )
    as_of_dates = draw(
        st.lists(
            st.integers(-5, days + 45).map(lambda offset: start + timedelta(days=offset)),
            min_size=1,
            max_size=3,
        )
    )
    return Question(tuple(windows), tuple(as_of_dates))


# --------------------------------------------------------------------------- comparisons


def warehouse_user(channel: str, user: str) -> str:
    """The user id the warehouse keeps: the anonymousId, or the wa_id's keyed pseudonym."""
    return user if channel == "web" else pseudonymize(TEST_KEY.encode(), user)


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def expected_session_rows(sessions: list[Session], user_of=warehouse_user) -> list[tuple]:
    return sorted(
        (
            s.assistant_id,
            s.channel,
            user_of(s.channel, s.user),
            naive_utc(s.started_at),
            naive_utc(s.ended_at),
            s.interaction_count,
            s.session_date,
        )
        for s in sessions
    )


def expected_customer_rows(sessions: list[Session], user_of=warehouse_user) -> list[tuple]:
    users: dict[tuple[str, str, str], list[Session]] = {}
    for s in sessions:
        users.setdefault((s.assistant_id, s.channel, s.user), []).append(s)
    return sorted(
        (
            assistant_id,
            channel,
            user_of(channel, user),
            naive_utc(min(s.started_at for s in group)),
            naive_utc(max(s.ended_at for s in group)),
            len(group),
        )
        for (assistant_id, channel, user), group in users.items()
    )


SESSION_ROWS = """
    select assistant_id, channel, user_id, started_at, ended_at, interaction_count, session_date
    from marts.fct_sessions order by all
"""
CUSTOMER_ROWS = """
    select assistant_id, channel, user_id, first_seen_at, last_seen_at, lifetime_sessions
    from marts.customers order by all
"""
CHAINS_IN_WINDOW = """
    select chain_length, sum(chains)
    from marts.session_chains_daily
    where assistant_id = ? and (? = 'all' or channel = ?) and first_date >= ? and last_date <= ?
    group by chain_length
"""


def check_views(
    con: duckdb.DuckDBPyConnection,
    sessions: list[Session],
    question: Question,
    all_grains: bool = False,
) -> None:
    """The warehouse's answers equal the reference's for every assistant and question
    (for every grain of the Customers view when `all_grains`, else the drawn one)."""
    for assistant_id in sorted(ZONES):
        for first, last, channel, grain in question.windows:
            note(f"window {assistant_id} {first}..{last} {channel} {grain}")
            window = views.Window(assistant_id, first, last, channel)
            assert views.sessions(con, window) == sessions_view(
                sessions, assistant_id, first, last, channel
            )
            for asked in GRAINS if all_grains else (grain,):
                assert views.customers(con, window, asked) == customers_view(
                    sessions, assistant_id, first, last, asked, channel
                )
            # S/P/T: chains wholly inside the window give total = S - P, recurring = P - T.
            chains = dict(
                con.execute(
                    CHAINS_IN_WINDOW, [assistant_id, channel, channel, first, last]
                ).fetchall()
            )
            single, pairs, triples = (int(chains.get(length, 0)) for length in (1, 2, 3))
            counts = sessions_per_user(sessions, assistant_id, first, last, channel)
            assert single - pairs == len(counts)
            assert pairs - triples == sum(1 for count in counts.values() if count >= 2)
        for as_of in question.as_of_dates:
            note(f"dashboard {assistant_id} as of {as_of}")
            assert views.dashboard(con, assistant_id, as_of) == dashboard_view(
                sessions, assistant_id, as_of
            )


def check_warehouse(
    con: duckdb.DuckDBPyConnection,
    sessions: list[Session],
    question: Question,
    user_of=warehouse_user,
    all_grains: bool = False,
) -> None:
    assert con.execute(SESSION_ROWS).fetchall() == expected_session_rows(sessions, user_of)
    assert con.execute(CUSTOMER_ROWS).fetchall() == expected_customer_rows(sessions, user_of)
    check_views(con, sessions, question, all_grains)
