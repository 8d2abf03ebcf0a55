"""The world of one simulation: its period, its assistants, their time zones and phone plans,
and the daily curve of activity."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from .params import DAY_S, Params

SEED_ASSISTANTS = Path(__file__).resolve().parents[1] / "seeds" / "assistants.csv"
DAY_MS = DAY_S * 1000
MAX_USERS = 90_000_000  # people (users + visitors) stay below 10**8: phone numbers stay distinct

# Relative activity per local hour 0..23 (daytime-heavy).
HOURLY_WEIGHTS = (
    0.30, 0.20, 0.15, 0.10, 0.10, 0.15, 0.40, 0.80, 1.30, 1.80, 2.00, 2.00,
    1.80, 1.60, 1.70, 1.80, 1.80, 1.70, 1.60, 1.50, 1.40, 1.20, 0.90, 0.50,
)  # fmt: skip

# Phone plan by time zone: (country code, mobile prefix, subscriber digits >= 8).
PHONE_PLANS = {
    "Europe/Madrid": ("34", "6", 8),
    "America/New_York": ("1", "9", 9),
    "Australia/Sydney": ("61", "4", 8),
    "Asia/Tokyo": ("81", "90", 8),
}
DEFAULT_PHONE_PLAN = ("44", "7", 9)


@dataclass(frozen=True)
class Assistant:
    assistant_id: str
    name: str
    timezone: str
    phone_number_id: str

    @property
    def phone_plan(self) -> tuple[str, str, int]:
        return PHONE_PLANS.get(self.timezone, DEFAULT_PHONE_PLAN)


@dataclass(frozen=True)
class World:
    """The fixed parameters of one simulation."""

    out: Path
    start: date
    days: int
    users: int
    people: int  # users + visitors
    seed: int
    params: Params
    assistants: tuple[Assistant, ...]
    offsets: np.ndarray  # [assistant, day] -> UTC offset in seconds at noon UTC

    @property
    def start_ms(self) -> int:
        return int(datetime.combine(self.start, time(), UTC).timestamp()) * 1000

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.days * DAY_MS


def make_world(out: Path, start: date, days: int, users: int, seed: int, params: Params) -> World:
    """The world of these arguments; ``ValueError`` names the first one out of range."""
    if seed < 0:
        raise ValueError(f"seed must not be negative, got {seed}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if not 1 <= users <= MAX_USERS:
        raise ValueError(f"users must be between 1 and {MAX_USERS}, got {users}")
    if not 0 <= params.gzip_share <= 1:
        raise ValueError(f"gzip_share must be between 0 and 1, got {params.gzip_share}")
    if params.sessions_per_user is not None and params.sessions_per_user < 1:
        raise ValueError(f"sessions_per_user must be at least 1, got {params.sessions_per_user}")
    assistants = load_assistants(SEED_ASSISTANTS)
    if params.assistants is not None:
        if not 1 <= params.assistants <= len(assistants):
            raise ValueError(
                f"assistants must be between 1 and {len(assistants)}, got {params.assistants}"
            )
        assistants = assistants[: params.assistants]
    start = date(start.year, start.month, start.day)  # a datetime counts as its date
    return World(
        out=out,
        start=start,
        days=days,
        users=users,
        people=users + int(users * params.visitor_share),
        seed=seed,
        params=params,
        assistants=assistants,
        offsets=_utc_offsets(assistants, start, days),
    )


def load_assistants(path: Path) -> tuple[Assistant, ...]:
    with path.open(newline="", encoding="utf-8") as f:
        return tuple(
            Assistant(r["assistant_id"], r["name"], r["timezone"], r["whatsapp_phone_number_id"])
            for r in csv.DictReader(f)
        )


def assistants_csv(world: World) -> bytes:
    """The landing zone's assistants.csv: the seed's bytes, cut to the world's assistants."""
    lines = SEED_ASSISTANTS.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: 1 + len(world.assistants)])


def _utc_offsets(assistants: tuple[Assistant, ...], start: date, days: int) -> np.ndarray:
    """UTC offset (seconds) of every assistant's time zone at noon UTC of every day."""
    noons = [datetime.combine(start + timedelta(d), time(12), UTC) for d in range(days)]
    return np.array(
        [
            [int(n.astimezone(ZoneInfo(a.timezone)).utcoffset().total_seconds()) for n in noons]
            for a in assistants
        ],
        dtype=np.int64,
    )
