"""An independent, deliberately plain Python calculation of SPEC.md §2 and §3.

No SQL and no code of the product: interactions in, the three views out, in the JSON shape
of SPEC §5. Loops over lists, obvious rather than fast; tests compare the warehouse's
answers with these.

Choices where SPEC.md is silent (the same ones the product documents):
- a user is (channel, user key) inside one assistant, so `channel='all'` counts a person who
  wrote on both channels twice;
- the Dashboard's `users` and the last point of its `evolution` are month to date (the
  as-of month up to and including the as-of date); the other eleven months are whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

SESSION_GAP = timedelta(minutes=30)
CHANNELS = ("web", "whatsapp")


@dataclass(frozen=True)
class Interaction:
    """One user message: `user` is the web anonymousId or the WhatsApp wa_id."""

    assistant_id: str
    channel: str
    user: str
    at: datetime  # aware, UTC

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.at.tzinfo is None:
            raise ValueError("interaction times must be aware (UTC)")


@dataclass(frozen=True)
class Session:
    assistant_id: str
    channel: str
    user: str
    started_at: datetime
    ended_at: datetime
    interaction_count: int
    session_date: date  # local date (assistant time zone) of the first interaction


# --------------------------------------------------------------------------- sessions


def sessionize(
    interactions: list[Interaction], timezones: dict[str, str], gap: timedelta = SESSION_GAP
) -> list[Session]:
    """Split each user's interactions where two consecutive ones are strictly more than
    `gap` apart; date each session by the local date of its first interaction."""
    by_user: dict[tuple[str, str, str], list[datetime]] = {}
    for interaction in interactions:
        key = (interaction.assistant_id, interaction.channel, interaction.user)
        by_user.setdefault(key, []).append(interaction.at.astimezone(UTC))

    sessions = []
    for (assistant_id, channel, user), times in sorted(by_user.items()):
        times.sort()
        zone = ZoneInfo(timezones[assistant_id])
        current = [times[0]]
        groups = [current]
        for previous, moment in pairwise(times):
            if moment - previous > gap:
                current = [moment]
                groups.append(current)
            else:
                current.append(moment)
        for group in groups:
            sessions.append(
                Session(
                    assistant_id=assistant_id,
                    channel=channel,
                    user=user,
                    started_at=group[0],
                    ended_at=group[-1],
                    interaction_count=len(group),
                    session_date=group[0].astimezone(zone).date(),
                )
            )
    return sessions


def _chosen(session: Session, assistant_id: str, channel: str) -> bool:
    return session.assistant_id == assistant_id and channel in ("all", session.channel)


def sessions_per_user(
    sessions: list[Session], assistant_id: str, first: date, last: date, channel: str = "all"
) -> dict[tuple[str, str], int]:
    """Sessions in [first, last] per user (channel, user) of one assistant."""
    counts: dict[tuple[str, str], int] = {}
    for session in sessions:
        if _chosen(session, assistant_id, channel) and first <= session.session_date <= last:
            user = (session.channel, session.user)
            counts[user] = counts.get(user, 0) + 1
    return counts


def first_session_dates(
    sessions: list[Session], assistant_id: str, channel: str = "all"
) -> dict[tuple[str, str], date]:
    """Each user's first-ever session date (whole history)."""
    firsts: dict[tuple[str, str], date] = {}
    for session in sessions:
        if _chosen(session, assistant_id, channel):
            user = (session.channel, session.user)
            if user not in firsts or session.session_date < firsts[user]:
                firsts[user] = session.session_date
    return firsts


# --------------------------------------------------------------------------- numbers


def round_half_away(value: Decimal) -> Decimal:
    """Round to one decimal, halves away from zero (ROUND_HALF_UP is away from zero)."""
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percentage(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return round_half_away(Decimal(numerator) * 100 / Decimal(denominator))


def as_number(value: Decimal | None) -> float | None:
    """How JSON carries a percentage."""
    return None if value is None else float(value)


# --------------------------------------------------------------------------- Sessions view


def sessions_view(
    sessions: list[Session], assistant_id: str, first: date, last: date, channel: str = "all"
) -> dict:
    counts = sessions_per_user(sessions, assistant_id, first, last, channel)
    total = len(counts)
    unique = sum(1 for count in counts.values() if count == 1)
    recurring = sum(1 for count in counts.values() if count >= 2)
    unique_pct = percentage(unique, total)
    recurring_pct = None if unique_pct is None else Decimal(100) - unique_pct
    return {
        "assistant_id": assistant_id,
        "channel": channel,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "total_users": total,
        "unique_users": unique,
        "recurring_users": recurring,
        "unique_pct": as_number(unique_pct),
        "recurring_pct": as_number(recurring_pct),
    }


# --------------------------------------------------------------------------- Customers view


def default_grain(first: date, last: date) -> str:
    days = (last - first).days + 1
    if days <= 31:
        return "day"
    if days <= 182:
        return "week"
    return "month"


def _period_start(day: date, grain: str) -> date:
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())  # ISO week: Monday
    return day.replace(day=1)


def _next_period(start: date, grain: str) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def buckets(first: date, last: date, grain: str) -> list[tuple[date, date]]:
    """(start, end) of every bucket that meets [first, last], each cut to the window."""
    result = []
    start = _period_start(first, grain)
    while start <= last:
        following = _next_period(start, grain)
        result.append((max(start, first), min(following - timedelta(days=1), last)))
        start = following
    return result


def customers_view(
    sessions: list[Session],
    assistant_id: str,
    first: date,
    last: date,
    grain: str | None = None,
    channel: str = "all",
) -> dict:
    grain = grain or default_grain(first, last)
    window_counts = sessions_per_user(sessions, assistant_id, first, last, channel)
    recurring_in_window = {user for user, count in window_counts.items() if count >= 2}
    firsts = first_session_dates(sessions, assistant_id, channel)
    series = []
    for bucket_start, bucket_end in buckets(first, last, grain):
        active = set(sessions_per_user(sessions, assistant_id, bucket_start, bucket_end, channel))
        recurring = len(active & recurring_in_window)
        series.append(
            {
                "bucket_start": bucket_start.isoformat(),
                "active_users": len(active),
                "unique_users": len(active) - recurring,
                "recurring_users": recurring,
                "new_users": sum(1 for day in firsts.values() if bucket_start <= day <= bucket_end),
            }
        )
    return {
        **sessions_view(sessions, assistant_id, first, last, channel),
        "grain": grain,
        "series": series,
    }


# --------------------------------------------------------------------------- Dashboard


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _month_end(start: date) -> date:
    return _next_period(start, "month") - timedelta(days=1)


def total_users(sessions: list[Session], assistant_id: str, first: date, last: date) -> int:
    return len(sessions_per_user(sessions, assistant_id, first, last, "all"))


def dashboard_view(sessions: list[Session], assistant_id: str, as_of: date) -> dict:
    month = _month_start(as_of)
    users = total_users(sessions, assistant_id, month, as_of)
    previous_start = _month_start(as_of, 1)
    previous = total_users(sessions, assistant_id, previous_start, _month_end(previous_start))
    change = (
        None
        if previous == 0
        else round_half_away(Decimal(users - previous) * 100 / Decimal(previous))
    )
    if users > previous:
        trend, color = "up", "green"
    elif users < previous:
        trend, color = "down", "red"
    else:
        trend, color = "neutral", "blue"
    evolution = []
    for months_back in range(11, -1, -1):
        start = _month_start(as_of, months_back)
        end = as_of if months_back == 0 else _month_end(start)
        evolution.append(
            {
                "month": start.strftime("%Y-%m"),
                "users": total_users(sessions, assistant_id, start, end),
            }
        )
    return {
        "assistant_id": assistant_id,
        "as_of": as_of.isoformat(),
        "month": month.strftime("%Y-%m"),
        "users": users,
        "previous_month_users": previous,
        "pct_change": as_number(change),
        "trend": trend,
        "color": color,
        "evolution": evolution,
    }
