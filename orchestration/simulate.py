"""Simulate a realistic landing zone of raw chat logs (web widget and WhatsApp).

``simulate(out, start, days, users, seed)`` writes, for the UTC period
``[start, start + days)``::

    out/assistants.csv                              copy of seeds/assistants.csv
    out/web/dt=YYYY-MM-DD/part-0.jsonl[.gz]          on-time lines, first collector
    out/web/dt=YYYY-MM-DD/part-1.jsonl[.gz]          on-time lines, second collector
    out/web/dt=YYYY-MM-DD/replay.jsonl[.gz]          late lines and re-deliveries from earlier days
    out/whatsapp/dt=YYYY-MM-DD/{part-0,part-1,replay}.jsonl[.gz]

About a quarter of the files are gzipped (chosen per file). ``dt`` is the UTC
date a line arrived; a folder exists only when something arrived that day.
Inside a file, lines are in arrival order.

Web lines are Segment ``track`` events (``Chat Widget Opened``, ``Chat Message
Sent`` = the interaction, ``Chat Message Received``, and a few ``Chat Widget
Closed``, an event the loader must skip) plus a few ``page`` and ``identify``
lines. ``timestamp`` is mostly ``...T10:00:00.120Z``, sometimes the assistant's
local time with an offset (``...T11:00:00.120+01:00``), sometimes ``Z`` without
milliseconds. ``receivedAt`` is the arrival time (not the event time).

WhatsApp lines are webhook POST bodies: user messages (text, image, audio,
sticker, interactive button/list replies, button, reaction, location,
unsupported), ``request_welcome`` (not an interaction), and ``statuses``
(sent, delivered, read) of the bot's replies, each status in its own change.
Some bodies hold several messages of one user (one change), several changes,
or several entries (different assistants).

**Users without a phone number (BSUID only).** About 3 % of WhatsApp users
have set a username: their messages carry no ``from`` but
``"from_user_id": "US.<digits>"`` (the field name Meta's payloads use, see
``callback_button.json`` of the pywa fixtures), their ``contacts[]`` entry has
``user_id`` and ``profile.username`` but no ``wa_id``, and statuses of replies
to them carry ``recipient_user_id`` instead of ``recipient_id``. Half of the
other users also carry ``from_user_id`` / ``contacts[].user_id`` next to
``from`` / ``wa_id``; their key stays ``from``.

**Delivery.** About 3 % of lines arrive 1-3 days late (in ``replay`` under a
later ``dt``; also lines that happen just before midnight and arrive just
after it). About 1 % of lines are delivered twice, as the byte-identical line:
later in the same file, in the other collector's file of the same day, or in
a later day's ``replay``. A re-delivered WhatsApp body repeats every message's
``id``, ``from`` and ``timestamp``. Nothing arrives after the period: late
lines of the last days are put in the last ``dt``.

**Bad lines** (about 0.5 %) are *extra* lines, never the only copy of an
event, and carry ids of their own: not JSON, truncated JSON, a JSON array
around a good object, and (web only) a missing ``messageId``, a missing
``anonymousId``, a timestamp without offset (``2026-01-05T10:00:00``), the
unknown assistant ``ghost-assistant``; (WhatsApp only) the unknown
``phone_number_id`` ``100000000000001``. So a correct loader loads exactly
``SimulationSummary.messages`` interactions, whatever it quarantines.

**Activity.** ``users`` people interact (each with one assistant on one
channel; WhatsApp only for assistants with a phone-number id), plus
``users // 10`` visitors who only open the widget or only trigger
``request_welcome`` and so never become users. Sessions per person are
Zipf-distributed (about 2/3 come once, a few come weekly), spread over the
period with gaps of hours to weeks; 1-30 messages per session (geometric, mean
3.3) a few seconds to minutes apart; daytime-heavy in the assistant's local
time. Every event lies in the period (a session that would run past its end is
cut) and arrives no earlier than it happens.

**Volume** (measured). About 8 interactions per user over 365 days (6.2 for 90
days, 5.1 for 30 days), about 3 lines and 1.2 KB (uncompressed) per
interaction: for 1 M / 10 M / 100 M interactions in a year take ``users`` =
125 000 / 1 250 000 / 12 500 000 (the summary's ``messages`` is the exact
figure).

**Determinism and cost.** The same arguments give byte-identical files (gzip
with mtime 0). Everything is vectorised (numpy for the random decisions,
DuckDB SQL to render the JSON); Python loops only over blocks of days and over
files. About 15 s per million interactions on 2 cores. Memory: 8 bytes per
planned session (~2.4 per user), plus one block of days (about 50 000
sessions, at least one day) of rendered lines.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd

SEED_ASSISTANTS = Path(__file__).resolve().parents[1] / "seeds" / "assistants.csv"

DAY_S = 86_400
DAY_MS = DAY_S * 1000
MAX_USERS = 90_000_000  # people (users + visitors) stay below 10**8: phone numbers stay distinct

# Who comes how often.
VISITOR_SHARE = 0.10  # extra people who never write (not users)
ZIPF_EXPONENT = 2.1  # sessions per user
MAX_SESSIONS = 150
SESSION_GAP_MEDIAN_S = 3 * DAY_S
SESSION_GAP_SIGMA = 1.5
SESSION_GAP_RANGE_S = (4 * 3600, 120 * DAY_S)
LAST_START_MARGIN_S = 900  # no session starts in the last 15 minutes of the period
WHATSAPP_SHARE = 0.45  # of the people of an assistant with a phone-number id
BSUID_ONLY_SHARE = 0.03  # of WhatsApp users: no phone number in the payload
SHOWS_BSUID_SHARE = 0.5  # of WhatsApp users: from_user_id next to from
# Share of people per assistant: ~1/(rank+1)^0.8, in the order of assistants.csv.
ASSISTANT_WEIGHT_EXPONENT = 0.8
# Relative activity per local hour 0..23 (daytime-heavy).
HOURLY_WEIGHTS = (
    0.30, 0.20, 0.15, 0.10, 0.10, 0.15, 0.40, 0.80, 1.30, 1.80, 2.00, 2.00,
    1.80, 1.60, 1.70, 1.80, 1.80, 1.70, 1.60, 1.50, 1.40, 1.20, 0.90, 0.50,
)  # fmt: skip

# One session.
MESSAGES_P = 0.3  # geometric: mean 1/0.3 messages per session
MAX_MESSAGES = 30
FIRST_MESSAGE_DELAY_MS = (3_000, 60_000)
MESSAGE_GAP_MEDIAN_S = 35.0
MESSAGE_GAP_SIGMA = 0.9
MESSAGE_GAP_RANGE_S = (4.0, 900.0)
BOT_REPLY_DELAY_MS = (800, 4_000)
PAGE_SHARE, IDENTIFY_SHARE, CLOSED_SHARE = 0.10, 0.03, 0.05  # of web sessions
WELCOME_SHARE = 0.35  # of first WhatsApp sessions
READ_SHARE = 0.8  # bot replies the user reads
MESSAGE_BATCH_SHARE = 0.12  # message joins the previous one's change
BODY_BATCH_SHARE = 0.03  # change joins the previous body

# Delivery.
DELIVERY_DELAY_MS = (200, 20_000)
LATE_SHARE = 0.03
LATE_DAYS, LATE_DAYS_P = (1, 2, 3), (0.6, 0.25, 0.15)
REDELIVERY_SHARE = 0.01
BAD_SHARE = 0.005
GZIP_SHARE = 0.25
BLOCK_SESSIONS = 50_000  # sessions simulated at once
PLAN_CHUNK = 1_000_000  # people planned at once

CHANNELS = ("web", "whatsapp")
FILE_NAMES = ("part-0", "part-1", "replay")
REPLAY = 2

# Web event codes (index into WEB_EVENTS).
PAGE, IDENTIFY, OPENED, SENT, RECEIVED, CLOSED = range(6)
WEB_EVENTS = (
    "page", "identify", "Chat Widget Opened", "Chat Message Sent",
    "Chat Message Received", "Chat Widget Closed",
)  # fmt: skip

# WhatsApp message types (the last one is not an interaction).
WA_TYPES = (
    "text", "image", "audio", "sticker", "button_reply", "list_reply",
    "button", "reaction", "location", "unsupported", "request_welcome",
)  # fmt: skip
WA_TYPE_P = (0.66, 0.07, 0.04, 0.02, 0.07, 0.04, 0.03, 0.04, 0.02, 0.01)
WELCOME = len(WA_TYPES) - 1
STATUSES = ("sent", "delivered", "read")

# Defects of bad lines.
GOOD, NOT_JSON, TRUNCATED, ARRAY, NO_MESSAGE_ID, NO_ANONYMOUS_ID = range(6)
NAIVE_TIMESTAMP, UNKNOWN_ASSISTANT, UNKNOWN_PHONE = 6, 7, 8
WEB_DEFECTS = (NOT_JSON, TRUNCATED, ARRAY, NO_MESSAGE_ID, NO_ANONYMOUS_ID, NAIVE_TIMESTAMP,
               UNKNOWN_ASSISTANT)  # fmt: skip
WA_DEFECTS = (NOT_JSON, TRUNCATED, ARRAY, UNKNOWN_PHONE)
UNKNOWN_ASSISTANT_ID = "ghost-assistant"
UNKNOWN_PHONE_NUMBER_ID = "100000000000001"

# Personal data: distinctive, so that tests can prove none reaches the warehouse.
FIRST_NAMES = (
    "Lucía", "Mateo", "Valentina", "Higinio", "Ximena", "Brunilda", "Olivia", "Thiago",
    "Harper", "Elijah", "Madison", "Brayden", "Kaylee", "Jaxon", "Yuzuki", "Haruto",
    "Sakura", "Rentaro", "Matilda", "Lachlan", "Ottilie", "Hamish", "Zuleika", "Oisín",
)  # fmt: skip
LAST_NAMES = (
    "Quintanilla", "Berenguer", "Zubizarreta", "Villalobos", "Etxeberria", "Castellví",
    "Montgomery", "Whitfield", "Kowalczyk", "Abernathy", "Takahashi", "Yamaguchi",
    "Nakamura", "Fitzgerald", "McAllister", "Pemberton", "Ravensworth", "Okonkwo",
)  # fmt: skip
USER_TEXTS = (
    "Hola, mi pedido {n} todavía no ha llegado a Zaragoza",
    "Where is my parcel {n}? Tracking says out for delivery since Monday",
    "Quiero cambiar la dirección de envío del pedido {n}, por favor",
    "Can I get a refund for order {n}? The blender arrived cracked",
    "注文{n}の配送状況を教えてください",
    "My invoice {n} shows the wrong VAT number for Quokka Labs",
    "¿Tenéis la talla M del modelo {n} en azul marino?",
    "The app crashes whenever I upload receipt {n} from my phone",
    "Necesito hablar con un agente sobre la factura {n} duplicada",
    "Is the warranty for serial number {n} still valid after the move?",
    "Gracias, ya está resuelto lo del ticket {n}",
    "How do I reset the password of account {n} without the old email?",
)  # fmt: skip
BOT_TEXTS = (
    "Gracias por escribirnos, estoy revisando el caso {n}",
    "Thanks! I have opened ticket {n} for you",
    "Claro, te paso con un agente. Tu referencia es {n}",
    "Done: your request {n} is now with our billing team",
    "承知しました。お問い合わせ番号は{n}です",
)  # fmt: skip
BUTTON_TITLES = ("Track my order", "Hablar con un agente", "Return an item", "Ver mis facturas")
EMOJIS = ("👍", "❤️", "😮", "🙏")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/17.6 Safari",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0.0.0 Mobile",
)
GARBAGE_LINES = (
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "ERROR collector: upstream timed out after 30000 ms",
    "\ufeff{{{ not json at all",
)
# Phone plan by time zone: (country code, mobile prefix, subscriber digits >= 8).
PHONE_PLANS = {
    "Europe/Madrid": ("34", "6", 8),
    "America/New_York": ("1", "9", 9),
    "Australia/Sydney": ("61", "4", 8),
    "Asia/Tokyo": ("81", "90", 8),
}
DEFAULT_PHONE_PLAN = ("44", "7", 9)


@dataclass(frozen=True)
class SimulationSummary:
    """What ``simulate`` wrote."""

    out: Path
    days: int
    files: int
    lines: int  # lines written in all files
    messages: int  # interactions generated (web "Chat Message Sent" + WhatsApp user messages),
    # each counted once whatever its re-deliveries
    bad_lines: int


def simulate(
    out: str | Path,
    start: date,
    days: int = 365,
    users: int = 2000,
    seed: int = 42,
    gzip_share: float = GZIP_SHARE,
) -> SimulationSummary:
    """Write a simulated landing zone for the UTC days ``start .. start + days - 1`` under ``out``.

    ``gzip_share`` is the share of files written gzipped (1.0: all of them, as for a landing
    zone of 100 M messages that would not fit on disk uncompressed); the lines are the same.

    Raises ``ValueError`` for a non-positive ``days``/``users`` and ``FileExistsError`` when
    ``out`` already holds ``web/`` or ``whatsapp/`` files (never overwrites a landing zone).
    """
    world = _world(Path(out), start, days, users, seed, gzip_share)
    _prepare_out(world.out)
    plan = _plan_sessions(world)
    writer = _Writer(world)
    messages = 0
    for first_day, end_day in _blocks(plan, world):
        lo, hi = np.searchsorted(plan >> 32, [first_day * DAY_S, end_day * DAY_S])
        messages += _simulate_block(world, plan[lo:hi], first_day, writer.con)
        writer.flush(first_day, end_day)
    return SimulationSummary(
        out=world.out,
        days=days,
        files=writer.files,
        lines=writer.lines,
        messages=messages,
        bad_lines=writer.bad_lines,
    )


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class _Assistant:
    assistant_id: str
    name: str
    timezone: str
    phone_number_id: str


@dataclass(frozen=True)
class _World:
    """The fixed parameters of one simulation."""

    out: Path
    start: date
    days: int
    users: int
    people: int  # users + visitors
    seed: int
    gzip_share: float
    assistants: tuple[_Assistant, ...]
    offsets: np.ndarray  # [assistant, day] -> UTC offset in seconds at noon UTC

    @property
    def start_ms(self) -> int:
        return int(datetime.combine(self.start, time(), UTC).timestamp()) * 1000

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.days * DAY_MS


def _world(out: Path, start: date, days: int, users: int, seed: int, gzip_share: float) -> _World:
    if seed < 0:
        raise ValueError(f"seed must not be negative, got {seed}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if not 1 <= users <= MAX_USERS:
        raise ValueError(f"users must be between 1 and {MAX_USERS}, got {users}")
    if not 0 <= gzip_share <= 1:
        raise ValueError(f"gzip_share must be between 0 and 1, got {gzip_share}")
    assistants = _load_assistants(SEED_ASSISTANTS)
    start = date(start.year, start.month, start.day)  # a datetime counts as its date
    return _World(
        out=out,
        start=start,
        days=days,
        users=users,
        people=users + int(users * VISITOR_SHARE),
        seed=seed,
        gzip_share=gzip_share,
        assistants=assistants,
        offsets=_utc_offsets(assistants, start, days),
    )


def _load_assistants(path: Path) -> tuple[_Assistant, ...]:
    with path.open(newline="", encoding="utf-8") as f:
        return tuple(
            _Assistant(r["assistant_id"], r["name"], r["timezone"], r["whatsapp_phone_number_id"])
            for r in csv.DictReader(f)
        )


def _utc_offsets(assistants: tuple[_Assistant, ...], start: date, days: int) -> np.ndarray:
    """UTC offset (seconds) of every assistant's time zone at noon UTC of every day."""
    noons = [datetime.combine(start + timedelta(d), time(12), UTC) for d in range(days)]
    return np.array(
        [
            [int(n.astimezone(ZoneInfo(a.timezone)).utcoffset().total_seconds()) for n in noons]
            for a in assistants
        ],
        dtype=np.int64,
    )


def _prepare_out(out: Path) -> None:
    for channel in CHANNELS:
        folder = out / channel
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(
                f"{folder} already holds files: simulate into an empty folder or delete it first"
            )
    assistants = out / "assistants.csv"
    if assistants.exists() and assistants.read_bytes() != SEED_ASSISTANTS.read_bytes():
        raise FileExistsError(
            f"{assistants} is not the simulator's: simulate into an empty folder or delete it first"
        )
    out.mkdir(parents=True, exist_ok=True)
    assistants.write_bytes(SEED_ASSISTANTS.read_bytes())


# --------------------------------------------------------------------------- numpy helpers


def _hash(x: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """SplitMix64 of (x, seed, salt): deterministic, vectorised, uint64."""
    z = x.astype(np.uint64) ^ np.uint64((seed * 0x9E3779B1 + salt * 0x85EBCA77) % 2**64)
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _unit(x: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Uniform [0, 1) floats from a hash of x."""
    return (_hash(x, seed, salt) >> np.uint64(11)).astype(np.float64) / 2.0**53


def _rank_in_segment(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 for each segment of ``counts`` elements."""
    firsts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(firsts, counts)


def _segment_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each segment of ``counts`` elements."""
    total = np.cumsum(values)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return total - total[first] + values[first]


def _uniform_int(rng: np.random.Generator, bounds: tuple[int, int], n: int) -> np.ndarray:
    return rng.integers(bounds[0], bounds[1], n, dtype=np.int64)


def _lognormal(
    rng: np.random.Generator, median: float, sigma: float, bounds: tuple[float, float], n: int
) -> np.ndarray:
    return np.clip(rng.lognormal(np.log(median), sigma, n), *bounds)


class _Ids:
    """Unique integer ids for the rows of one block (they seed every rendered id)."""

    def __init__(self, block_day: int) -> None:
        self.next = block_day << 32

    def take(self, n: int) -> np.ndarray:
        ids = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return ids


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class _People:
    """Fixed attributes of people, derived from their index by hashing."""

    assistant: np.ndarray
    whatsapp: np.ndarray
    visitor: np.ndarray
    bsuid_only: np.ndarray
    shows_bsuid: np.ndarray


def _people(u: np.ndarray, world: _World) -> _People:
    ranks = np.arange(len(world.assistants))
    weights = 1.0 / (ranks + 1.0) ** ASSISTANT_WEIGHT_EXPONENT
    cumulative = np.cumsum(weights) / weights.sum()
    assistant = np.minimum(
        np.searchsorted(cumulative, _unit(u, world.seed, 1), "right"), ranks.size - 1
    )
    has_phone = np.array([bool(a.phone_number_id) for a in world.assistants])
    whatsapp = has_phone[assistant] & (_unit(u, world.seed, 2) < WHATSAPP_SHARE)
    identity = _unit(u, world.seed, 3)
    return _People(
        assistant=assistant,
        whatsapp=whatsapp,
        visitor=u >= world.users,
        bsuid_only=whatsapp & (identity < BSUID_ONLY_SHARE),
        shows_bsuid=whatsapp & (identity < SHOWS_BSUID_SHARE),
    )


# --------------------------------------------------------------------------- session plan


def _plan_sessions(world: _World) -> np.ndarray:
    """Every session's start, sorted: ``start_s << 32 | person << 1 | is_first`` (uint64).

    ``start_s`` counts seconds from the start of the period (UTC).
    """
    chunks = [
        _plan_chunk(world, lo, min(lo + PLAN_CHUNK, world.people))
        for lo in range(0, world.people, PLAN_CHUNK)
    ]
    plan = np.concatenate(chunks)
    plan.sort()
    return plan


def _plan_chunk(world: _World, lo: int, hi: int) -> np.ndarray:
    rng = np.random.default_rng([world.seed, 1, lo])
    person = np.arange(lo, hi, dtype=np.int64)
    sessions = np.where(
        person < world.users, np.minimum(rng.zipf(ZIPF_EXPONENT, person.size), MAX_SESSIONS), 1
    )
    owner = np.repeat(person, sessions)
    rank = _rank_in_segment(sessions)
    period_s = world.days * DAY_S
    gaps = _lognormal(
        rng, SESSION_GAP_MEDIAN_S, SESSION_GAP_SIGMA, SESSION_GAP_RANGE_S, owner.size
    ).astype(np.int64)
    gaps[rank == 0] = rng.integers(0, period_s, person.size)
    start = _segment_cumsum(gaps, sessions)
    keep = start < period_s
    owner, rank, start = owner[keep], rank[keep], start[keep]
    start = _daytime(start, _people(owner, world).assistant, world)
    return (
        (start.astype(np.uint64) << np.uint64(32))
        | (owner.astype(np.uint64) << np.uint64(1))
        | (rank == 0).astype(np.uint64)
    )


def _daytime(start: np.ndarray, assistant: np.ndarray, world: _World) -> np.ndarray:
    """Move each start within its local day so that local hours follow HOURLY_WEIGHTS."""
    hours = np.arange(25) * 3600.0
    cdf = np.concatenate([[0.0], np.cumsum(HOURLY_WEIGHTS)]) / sum(HOURLY_WEIGHTS) * DAY_S
    offset = world.offsets[assistant, start // DAY_S]
    local = start + offset
    time_of_day = local % DAY_S
    moved = local - time_of_day + np.interp(time_of_day, cdf, hours).astype(np.int64) - offset
    last = world.days * DAY_S - LAST_START_MARGIN_S
    moved = np.where(moved < 0, moved + DAY_S, moved)
    moved = np.where(moved > last, moved - DAY_S, moved)
    return np.clip(moved, 0, last)


def _blocks(plan: np.ndarray, world: _World) -> list[tuple[int, int]]:
    """Consecutive ranges of days of about BLOCK_SESSIONS sessions each."""
    per_day = max(1, plan.size // world.days)
    size = int(np.clip(BLOCK_SESSIONS // per_day, 1, 31))
    return [(d, min(d + size, world.days)) for d in range(0, world.days, size)]


# --------------------------------------------------------------------------- one block


def _simulate_block(
    world: _World, plan: np.ndarray, first_day: int, con: duckdb.DuckDBPyConnection
) -> int:
    """Simulate the sessions that start in one block of days; stage their lines; count messages."""
    rng = np.random.default_rng([world.seed, 2, first_day])
    ids = _Ids(first_day)
    sessions = _sessions(world, plan, rng, ids)
    messages = _user_messages(sessions, rng)
    web, web_messages = _web_rows(world, sessions, messages, rng, ids)
    wa, wa_messages = _whatsapp_tables(world, sessions, messages, rng, ids)
    bodies = wa["wa_bodies"]
    frames = {
        "sessions": sessions,
        "web_rows": web,
        "web_deliveries": _deliveries(world, web["t"], web["uid"], web["defect"] == GOOD, rng),
        **wa,
        "wa_deliveries": _deliveries(
            world, bodies["t"], bodies["uid"], bodies["defect"] == GOOD, rng
        ),
    }
    _stage_lines(con, world, frames)
    return web_messages + wa_messages


def _sessions(world: _World, plan: np.ndarray, rng: np.random.Generator, ids: _Ids) -> dict:
    """One row per session, with the person's attributes needed to render it."""
    n = plan.size
    person = ((plan >> np.uint64(1)) & np.uint64(0x7FFFFFFF)).astype(np.int64)
    people = _people(person, world)
    start = world.start_ms + (plan >> np.uint64(32)).astype(np.int64) * 1000
    messages = np.minimum(rng.geometric(MESSAGES_P, n), MAX_MESSAGES)
    return {
        "sess": np.arange(n, dtype=np.int64),
        "uid": ids.take(n),
        "u": person,
        "a": people.assistant,
        "whatsapp": people.whatsapp,
        "visitor": people.visitor,
        "is_first": (plan & np.uint64(1)).astype(bool),
        "start": start + rng.integers(0, 1000, n),
        "n_messages": np.where(people.visitor, 0, messages),
        "bsuid_only": people.bsuid_only,
        "shows_bsuid": people.shows_bsuid,
        "wa_id": _phone_numbers(person, people.assistant, world),
        "bsuid": _hash(person, world.seed, 4),
        "first_name": (_hash(person, world.seed, 5) % np.uint64(len(FIRST_NAMES))).astype(int),
        "last_name": (_hash(person, world.seed, 6) % np.uint64(len(LAST_NAMES))).astype(int),
    }


def _phone_numbers(person: np.ndarray, assistant: np.ndarray, world: _World) -> np.ndarray:
    """Realistic, distinct mobile numbers (digits, as int64) in each assistant's country."""
    plans = [PHONE_PLANS.get(a.timezone, DEFAULT_PHONE_PLAN) for a in world.assistants]
    prefix = np.array([int(cc + mobile) for cc, mobile, _ in plans], dtype=np.int64)
    scale = np.array([10**digits for _, _, digits in plans], dtype=np.int64)
    salt = int(_hash(np.array([world.seed]), 0, 7)[0] % np.uint64(10**6))
    subscriber = (person * 7_919 + salt) % scale[assistant]  # a bijection below 10**digits
    return prefix[assistant] * scale[assistant] + subscriber


def _user_messages(sessions: dict, rng: np.random.Generator) -> dict:
    """One row per user message (the interactions), in session order."""
    counts = sessions["n_messages"]
    sess = np.repeat(sessions["sess"], counts)
    rank = _rank_in_segment(counts)
    gaps = (
        1000
        * _lognormal(rng, MESSAGE_GAP_MEDIAN_S, MESSAGE_GAP_SIGMA, MESSAGE_GAP_RANGE_S, sess.size)
    ).astype(np.int64)
    gaps[rank == 0] = _uniform_int(rng, FIRST_MESSAGE_DELAY_MS, int((counts > 0).sum()))
    t = sessions["start"][sess] + _segment_cumsum(gaps, counts)
    return {"sess": sess, "rank": rank, "t": t}


# --------------------------------------------------------------------------- web rows


def _web_rows(
    world: _World, sessions: dict, messages: dict, rng: np.random.Generator, ids: _Ids
) -> tuple[dict, int]:
    """One row per web line (events, non-track lines and bad copies); and the interactions."""
    web = np.flatnonzero(~sessions["whatsapp"])
    start = sessions["start"]
    on_web = ~sessions["whatsapp"][messages["sess"]]
    msg_sess, msg_t = messages["sess"][on_web], messages["t"][on_web]
    last_t = start.copy()
    last = np.flatnonzero(np.r_[msg_sess[1:] != msg_sess[:-1], True]) if msg_sess.size else msg_sess
    last_t[msg_sess[last]] = msg_t[last]  # messages are grouped by session, in time order

    def some(share: float) -> np.ndarray:
        return web[rng.random(web.size) < share]

    page, identify, closed = some(PAGE_SHARE), some(IDENTIFY_SHARE), some(CLOSED_SHARE)
    parts = [
        (page, PAGE, start[page]),
        (identify, IDENTIFY, start[identify] + rng.integers(300, 3_000, identify.size)),
        (web, OPENED, start[web] + rng.integers(500, 2_500, web.size)),
        (msg_sess, SENT, msg_t),
        (msg_sess, RECEIVED, msg_t + _uniform_int(rng, BOT_REPLY_DELAY_MS, msg_t.size)),
        (closed, CLOSED, last_t[closed] + rng.integers(10_000, 300_000, closed.size)),
    ]
    sess = np.concatenate([p[0] for p in parts])
    event = np.concatenate([np.full(p[0].size, p[1]) for p in parts])
    t = np.concatenate([p[2] for p in parts])
    keep = (t >= world.start_ms) & (t < world.end_ms)
    rows = _web_columns(world, sessions, sess[keep], event[keep], t[keep], rng)
    interactions = int((rows["event"] == SENT).sum())
    spoilable = np.isin(rows["event"], (OPENED, SENT, RECEIVED))  # skipped lines stay good
    return _with_bad_copies(rows, spoilable, WEB_DEFECTS, rng, ids), interactions


def _web_columns(
    world: _World,
    sessions: dict,
    sess: np.ndarray,
    event: np.ndarray,
    t: np.ndarray,
    rng: np.random.Generator,
) -> dict:
    n = sess.size
    day = np.clip((t - world.start_ms) // DAY_MS, 0, world.days - 1)
    return {
        "sess": sess,
        "event": event,
        "t": t,
        "time_format": rng.choice(3, n, p=(0.85, 0.10, 0.05)),  # Z.ms, local offset, Z
        "utc_offset": world.offsets[sessions["a"][sess], day],
        "text": rng.integers(0, len(USER_TEXTS) * len(BOT_TEXTS), n),
        "code": rng.integers(10_000, 1_000_000, n),
        "defect": np.zeros(n, dtype=np.int64),
    }


def _with_bad_copies(
    rows: dict, spoilable: np.ndarray, defects: tuple[int, ...], rng: np.random.Generator, ids: _Ids
) -> dict:
    """Append spoilt copies of about BAD_SHARE of the rows; give every row a uid and a unit."""
    n = rows["t"].size
    bad = np.flatnonzero(spoilable & (rng.random(n) < BAD_SHARE))
    out = {k: np.concatenate([v, v[bad]]) for k, v in rows.items()}
    out["defect"][n:] = _defects(defects, bad.size, rng)
    out["uid"] = ids.take(n + bad.size)
    out["unit"] = np.arange(n + bad.size)
    return out


def _defects(kinds: tuple[int, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` defects taking the kinds in turn (from a random one): every kind shows up early."""
    return np.array(kinds)[(rng.integers(len(kinds)) + np.arange(n)) % len(kinds)]


# --------------------------------------------------------------------------- WhatsApp tables


def _whatsapp_tables(
    world: _World, sessions: dict, messages: dict, rng: np.random.Generator, ids: _Ids
) -> tuple[dict, int]:
    """Fragments and bodies of the WhatsApp webhooks; and the interactions.

    A fragment is one message or status with the JSON around it that opens or closes its
    change, entry and body: a body's line is its fragments concatenated in ``part`` order.
    """
    items = _wa_items(world, sessions, messages, rng, ids)
    interactions = int((items["mtype"] != WELCOME).sum())
    statuses = _wa_statuses(world, items, rng, ids)
    items["change"], statuses["change"] = _wa_change_ids(items, statuses, rng)
    parts = _sorted(_concat_rows(items, statuses), ("uid", "t", "change"))
    parts["body"], parts["entry"] = _wa_body_ids(parts, sessions["a"], rng)
    parts["defect"] = np.zeros(parts["t"].size, dtype=np.int64)
    parts = _with_bad_bodies(parts, rng, ids)
    _mark_bounds(parts)
    return {"wa_fragments": parts, "wa_bodies": _wa_bodies(parts, ids)}, interactions


def _wa_items(
    world: _World, sessions: dict, messages: dict, rng: np.random.Generator, ids: _Ids
) -> dict:
    """User messages and request_welcome, sorted by session and time."""
    wa = sessions["whatsapp"]
    welcomed = sessions["visitor"] | (sessions["is_first"] & (rng.random(wa.size) < WELCOME_SHARE))
    welcome = np.flatnonzero(wa & welcomed)
    on_wa = wa[messages["sess"]]
    msg_sess = messages["sess"][on_wa]
    sess = np.concatenate([welcome, msg_sess])
    t = np.concatenate([sessions["start"][welcome], messages["t"][on_wa]])
    mtype = np.concatenate(
        [np.full(welcome.size, WELCOME), rng.choice(len(WA_TYPE_P), msg_sess.size, p=WA_TYPE_P)]
    )
    keep = t < world.end_ms
    order = np.lexsort((t[keep], sess[keep]))
    n = order.size
    return {
        "kind": np.zeros(n, dtype=np.int64),
        "sess": sess[keep][order],
        "t": t[keep][order],
        "mtype": mtype[keep][order],
        "text": rng.integers(0, len(USER_TEXTS) * len(BUTTON_TITLES) * len(EMOJIS), n),
        "code": rng.integers(10_000, 1_000_000, n),
        "uid": ids.take(n),
    }


def _wa_statuses(world: _World, items: dict, rng: np.random.Generator, ids: _Ids) -> dict:
    """sent / delivered / read statuses of the bot's reply to every item."""
    n = items["t"].size
    sent = items["t"] + _uniform_int(rng, BOT_REPLY_DELAY_MS, n)
    delivered = sent + rng.integers(300, 3_000, n)
    read = delivered + rng.integers(2_000, 300_000, n)
    is_read = rng.random(n) < READ_SHARE
    item = np.concatenate([np.arange(n)] * 2 + [np.flatnonzero(is_read)])
    status = np.repeat([0, 1, 2], [n, n, int(is_read.sum())])
    t = np.concatenate([sent, delivered, read[is_read]])
    keep = t < world.end_ms
    item, status, t = item[keep], status[keep], t[keep]
    return {
        "kind": np.ones(t.size, dtype=np.int64),
        "sess": items["sess"][item],
        "t": t,
        "reply_to": items["uid"][item],
        "status": status,
        "uid": ids.take(t.size),
    }


def _wa_change_ids(
    items: dict, statuses: dict, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Change of every item and status, numbered in time order.

    A few messages join the change of the previous message of their session; every status
    is a change of its own.
    """
    sess, mtype = items["sess"], items["mtype"]
    joins = np.zeros(sess.size, dtype=bool)
    joins[1:] = (
        (sess[1:] == sess[:-1])
        & (mtype[1:] != WELCOME)
        & (mtype[:-1] != WELCOME)
        & (rng.random(sess.size - 1) < MESSAGE_BATCH_SHARE)
    )
    item_change = np.cumsum(~joins) - 1
    n_message_changes = int(item_change[-1]) + 1 if sess.size else 0
    last_item = np.flatnonzero(np.r_[item_change[1:] != item_change[:-1], True])[:n_message_changes]
    status_change = n_message_changes + np.arange(statuses["t"].size)
    change_t = np.concatenate([items["t"][last_item], statuses["t"]])
    order = np.lexsort((np.arange(change_t.size), change_t))
    renumber = np.empty_like(order)
    renumber[order] = np.arange(order.size)
    return renumber[item_change], renumber[status_change]


def _wa_body_ids(
    parts: dict, assistant: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Body and entry of every fragment: a few consecutive changes share a body; changes of
    one assistant that are next to each other in a body share an entry."""
    change = parts["change"]
    n = int(change[-1]) + 1 if change.size else 0
    first = np.flatnonzero(np.r_[True, change[1:] != change[:-1]])[:n]
    change_assistant = assistant[parts["sess"][first]]
    joins = np.zeros(n, dtype=bool)
    joins[1:] = rng.random(n - 1) < BODY_BATCH_SHARE
    new_entry = ~joins
    new_entry[1:] |= change_assistant[1:] != change_assistant[:-1]
    return (np.cumsum(~joins) - 1)[change], (np.cumsum(new_entry) - 1)[change]


def _with_bad_bodies(parts: dict, rng: np.random.Generator, ids: _Ids) -> dict:
    """Append about BAD_SHARE bad bodies, each a copy (with fresh ids) of one message."""
    messages = np.flatnonzero(parts["kind"] == 0)
    if messages.size == 0:
        return parts
    n_bodies = int(parts["body"][-1]) + 1
    n_bad = int(rng.binomial(n_bodies, BAD_SHARE))
    copies = {k: v[rng.choice(messages, n_bad)] for k, v in parts.items()}
    new = np.arange(n_bad)
    copies.update(
        uid=ids.take(n_bad),
        defect=_defects(WA_DEFECTS, n_bad, rng),
        change=int(parts["change"][-1]) + 1 + new,
        entry=int(parts["entry"][-1]) + 1 + new,
        body=n_bodies + new,
    )
    return {k: np.concatenate([v, copies[k]]) for k, v in parts.items()}


def _mark_bounds(parts: dict) -> None:
    """Flag the fragments that open or close a change, an entry or a body."""
    for level in ("change", "entry", "body"):
        ids = parts[level]
        parts[f"opens_{level}"] = np.r_[True, ids[1:] != ids[:-1]] if ids.size else ids > 0
        parts[f"closes_{level}"] = np.r_[ids[1:] != ids[:-1], True] if ids.size else ids > 0
    parts["part"] = np.arange(parts["t"].size)


def _wa_bodies(parts: dict, ids: _Ids) -> dict:
    """One row per body (a line): its time (its latest fragment), uid and defect."""
    first = np.flatnonzero(parts["opens_body"])
    return {
        "t": np.maximum.reduceat(parts["t"], first) if first.size else first,
        "uid": ids.take(first.size),
        "defect": parts["defect"][first],
    }


def _concat_rows(a: dict, b: dict) -> dict:
    """Rows of ``a`` then ``b``; a column missing on one side is 0 there."""
    keys = list(dict.fromkeys([*a, *b]))
    na, nb = a["t"].size, b["t"].size
    return {
        k: np.concatenate(
            [a.get(k, np.zeros(na, dtype=np.int64)), b.get(k, np.zeros(nb, dtype=np.int64))]
        )
        for k in keys
    }


def _sorted(table: dict, keys: tuple[str, ...]) -> dict:
    """Rows sorted by ``keys`` (the last key is the primary one, as in ``np.lexsort``)."""
    order = np.lexsort(tuple(table[k] for k in keys))
    return {k: v[order] for k, v in table.items()}


# --------------------------------------------------------------------------- delivery


def _deliveries(
    world: _World, t: np.ndarray, uid: np.ndarray, good: np.ndarray, rng: np.random.Generator
) -> dict:
    """When and where each unit (line) arrives, and the re-deliveries of ``good`` units.

    One row per line to write.
    """
    n = t.size
    late = rng.random(n) < LATE_SHARE
    late_days = rng.choice(np.array(LATE_DAYS), n, p=LATE_DAYS_P)
    arrival = t + _uniform_int(rng, DELIVERY_DELAY_MS, n)
    arrival += np.where(late, late_days * DAY_MS + rng.integers(0, 6 * 3_600_000, n), 0)
    file = np.where(late, REPLAY, rng.integers(0, 2, n))
    again = np.flatnonzero(good & (rng.random(n) < REDELIVERY_SHARE))
    how = rng.choice(3, again.size, p=(0.4, 0.4, 0.2))  # same file, other file, later day
    again_arrival = arrival[again] + np.select(
        [how == 0, how == 1],
        [rng.integers(1_000, 600_000, again.size), rng.integers(1_000, 3_600_000, again.size)],
        late_days[again] * DAY_MS + rng.integers(0, 6 * 3_600_000, again.size),
    )
    again_file = np.select([how == 0, how == 1], [file[again], (file[again] + 1) % 2], REPLAY)
    unit = np.concatenate([np.arange(n), again])
    arrival = np.minimum(np.concatenate([arrival, again_arrival]), world.end_ms - 1)
    return {
        "unit": unit,
        "dt": (arrival - world.start_ms) // DAY_MS,
        "file": np.concatenate([file, again_file]),
        "arrival": arrival,
        "seq": uid[unit] * 2 + np.repeat([0, 1], [n, again.size]),
        "received": arrival[unit],  # Segment receivedAt: the first arrival
    }


# --------------------------------------------------------------------------- rendering (SQL)


def _stage_lines(con: duckdb.DuckDBPyConnection, world: _World, frames: dict[str, dict]) -> None:
    """Render the block's lines in DuckDB and append them to the ``pending`` table."""
    for name, columns in frames.items():
        con.register(name, pd.DataFrame(columns))
    params = _sql_params(world)
    for sql in (_WEB_SQL, _WA_SQL):
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        con.execute(f"INSERT INTO pending {sql}", used)
    for name in frames:
        con.unregister(name)


def _sql_params(world: _World) -> dict:
    plans = [PHONE_PLANS.get(a.timezone, DEFAULT_PHONE_PLAN) for a in world.assistants]
    waba = _hash(np.arange(len(world.assistants)), world.seed, 8) % np.uint64(9 * 10**14)
    return {
        "seed": f"{world.seed}:",
        "assistant_ids": [a.assistant_id for a in world.assistants],
        "phone_ids": [a.phone_number_id for a in world.assistants],
        "display_phones": [
            f"{cc}800{a.phone_number_id[-6:]:0>6}"
            for a, (cc, _, _) in zip(world.assistants, plans, strict=True)
        ],
        "waba_ids": [str(10**15 + int(w)) for w in waba],
        "hosts": [f"help.{a.assistant_id}.example.com" for a in world.assistants],
        "unknown_assistant": UNKNOWN_ASSISTANT_ID,
        "unknown_phone": UNKNOWN_PHONE_NUMBER_ID,
        "first_names": list(FIRST_NAMES),
        "last_names": list(LAST_NAMES),
        "user_texts": list(USER_TEXTS),
        "bot_texts": list(BOT_TEXTS),
        "titles": list(BUTTON_TITLES),
        "emojis": list(EMOJIS),
        "agents": list(USER_AGENTS),
        "garbage": list(GARBAGE_LINES),
        "events": list(WEB_EVENTS),
        "statuses": list(STATUSES),
    }


# Small SQL builders. The JSON is built as text with concat() (one allocation per line):
# every value that can hold a quote or a non-ASCII character goes through to_json().


def _q(text: str) -> str:
    """SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _cat(*parts: str) -> str:
    return f"concat({', '.join(parts)})"


def _if(condition: str, then: str, otherwise: str = "''") -> str:
    return f"CASE WHEN {condition} THEN {then} ELSE {otherwise} END"


def _pick(values: str, index: str) -> str:
    """Element ``index`` (0-based integer expression) of list parameter ``values``."""
    return f"list_extract(${values}, (({index}) % len(${values}))::BIGINT + 1)"


def _iso(ms: str, with_millis: bool = True) -> str:
    """ISO-8601 text (no offset) of epoch milliseconds."""
    fmt = "%Y-%m-%dT%H:%M:%S" + (".%g" if with_millis else "")
    return f"strftime(epoch_ms({ms}), '{fmt}')"


def _md5(salt: str, value: str) -> str:
    return f"md5({_cat('$seed', _q(salt + ':'), value)})"


def _uuid(salt: str, value: str) -> str:
    return f"md5_number({_cat('$seed', _q(salt + ':'), value)})::UUID::VARCHAR"


def _wamid(salt: str, value: str) -> str:
    return _cat(_q("wamid.HBgL"), f"to_base64(unhex({_md5(salt, value)}))")


def _bad_line(json: str) -> str:
    """The line of a rendered unit, spoilt according to its defect."""
    return f"""CASE defect
        WHEN {NOT_JSON} THEN {_pick("garbage", "uid")}
        WHEN {TRUNCATED} THEN left({json}, greatest(8, length({json}) // 2))
        WHEN {ARRAY} THEN {_cat(_q("["), json, _q("]"))}
        ELSE {json} END"""


# Web: per-session text first (computed once per session), then one line per delivery.
_PAGE_BODY = _cat(
    _q(',"name":"Help Center","properties":{"path":"/help","url":"https://'),
    _pick("hosts", "a"),
    _q('/help","title":"Help Center"}'),
)
_IDENTIFY_BODY = _cat(
    _q(',"userId":"cust_'),
    f"left({_md5('c', 'u')}, 12)",
    _q('","traits":{"plan":"'),
    _if("u % 3 = 0", "'pro'", "'free'"),
    _q('"}'),
)
_WEB_CONTEXT = _cat(
    _q(',"context":{"ip":"'),
    "list_extract(['192.0.2.', '198.51.100.', '203.0.113.'], u % 3 + 1)",
    "(u // 3 % 254 + 1)::VARCHAR",
    _q('","userAgent":"'),
    _pick("agents", "u"),
    _q('","library":{"name":"analytics.js","version":"4.1.0"}}'),
)
_WEB_SESSIONS = f"""
    SELECT sess,
        {_uuid("a", "u")} AS anonymous_id,
        {_uuid("v", "uid")} AS conversation_id,
        {_pick("assistant_ids", "a")} AS assistant_id,
        {_PAGE_BODY} AS page_body,
        {_IDENTIFY_BODY} AS identify_body,
        {_WEB_CONTEXT} AS context
    FROM sessions WHERE NOT whatsapp"""
_OFFSET_TEXT = _cat(
    _if("utc_offset < 0", "'-'", "'+'"),
    "printf('%02d:%02d', abs(utc_offset) // 3600, abs(utc_offset) % 3600 // 60)",
)
_WEB_TIMESTAMP = f"""CASE
        WHEN defect = {NAIVE_TIMESTAMP} THEN {_iso("t", with_millis=False)}
        WHEN time_format = 1 THEN {_cat(_iso("t + utc_offset * 1000"), _OFFSET_TEXT)}
        WHEN time_format = 2 THEN {_cat(_iso("t", with_millis=False), _q("Z"))}
        ELSE {_cat(_iso("t"), _q("Z"))} END"""
_USER_SAYS = f"replace({_pick('user_texts', 'text')}, '{{n}}', code::VARCHAR)"
_BOT_SAYS = f"replace({_pick('bot_texts', 'text')}, '{{n}}', code::VARCHAR)"
_WEB_TEXT = f"""CASE event
        WHEN {SENT} THEN concat(',"text":', to_json({_USER_SAYS}))
        WHEN {RECEIVED} THEN concat(',"text":', to_json({_BOT_SAYS}))
        ELSE '' END"""
_WEB_TRACK = _cat(
    _q(',"event":"'),
    _pick("events", "event"),
    _q('","properties":{"assistant_id":"'),
    _if(f"defect = {UNKNOWN_ASSISTANT}", "$unknown_assistant", "assistant_id"),
    _q('","conversation_id":"'),
    "conversation_id",
    _q('"'),
    _WEB_TEXT,
    _q("}"),
)
_WEB_JSON = _cat(
    _q('{"type":"'),
    f"CASE event WHEN {PAGE} THEN 'page' WHEN {IDENTIFY} THEN 'identify' ELSE 'track' END",
    _q('"'),
    _if(f"defect = {NO_MESSAGE_ID}", "''", _cat(_q(',"messageId":"'), _uuid("e", "uid"), _q('"'))),
    _if(f"defect = {NO_ANONYMOUS_ID}", "''", _cat(_q(',"anonymousId":"'), "anonymous_id", _q('"'))),
    _q(',"timestamp":"'),
    _WEB_TIMESTAMP,
    _q('"'),
    f"CASE event WHEN {PAGE} THEN page_body WHEN {IDENTIFY} THEN identify_body "
    f"ELSE {_WEB_TRACK} END",
    "context",
    _q(',"receivedAt":"'),
    _iso("received"),
    _q('Z"}'),
)
_WEB_SQL = f"""
WITH s AS ({_WEB_SESSIONS}
), joined AS (
    SELECT d.dt, d.file, d.arrival, d.seq, d.received, w.event, w.defect, w.t, w.time_format,
        w.utc_offset, w.text, w.code, w.uid, s.*
    FROM web_deliveries AS d
    JOIN web_rows AS w ON w.unit = d.unit
    JOIN s ON s.sess = w.sess
), rendered AS (
    SELECT dt, file, arrival, seq, defect, uid, {_WEB_JSON} AS json FROM joined
)
SELECT 0 AS channel, dt, file, arrival, seq, 0 AS part, defect, true AS ends_line,
    {_cat(_bad_line("json"), "chr(10)")} AS line
FROM rendered
"""

# WhatsApp: per-session text first, then one fragment per delivery and message or status.
_FIRST_NAME = _pick("first_names", "first_name")
_SENDER = _cat(
    _if("bsuid_only", "''", _cat(_q('"from":"'), "wa_id::VARCHAR", _q('",'))),
    _if("shows_bsuid", _cat(_q('"from_user_id":"US.'), "bsuid::VARCHAR", _q('",'))),
)
_RECIPIENT = _if(
    "bsuid_only",
    _cat(_q('"recipient_user_id":"US.'), "bsuid::VARCHAR", _q('"')),
    _cat(_q('"recipient_id":"'), "wa_id::VARCHAR", _q('"')),
)
_USERNAME = _cat(
    _q(',"username":"'),
    f"lower(strip_accents({_FIRST_NAME}))",
    _q("."),
    "(u % 1000)::VARCHAR",
    _q('"'),
)
_CONTACT = _cat(
    _q('{"profile":{"name":'),
    f"to_json({_cat(_FIRST_NAME, _q(' '), _pick('last_names', 'last_name'))})",
    _if("bsuid_only", _USERNAME),
    _q("}"),
    _if("bsuid_only", "''", _cat(_q(',"wa_id":"'), "wa_id::VARCHAR", _q('"'))),
    _if("shows_bsuid", _cat(_q(',"user_id":"US.'), "bsuid::VARCHAR", _q('"'))),
    _q("}"),
)
_WA_SESSIONS = f"""
    SELECT sess, a,
        {_md5("v", "uid")} AS conversation_id,
        {_pick("display_phones", "a")} AS display_phone,
        {_pick("phone_ids", "a")} AS phone_id,
        {_pick("waba_ids", "a")} AS waba_id,
        {_SENDER} AS sender,
        {_RECIPIENT} AS recipient,
        {_CONTACT} AS contact
    FROM sessions WHERE whatsapp"""
_MEDIA = _cat(
    _q('","sha256":"'),
    f"to_base64(unhex(sha256({_cat('$seed', _q('h:'), 'uid')})))",
    _q('","id":"'),
    f"(md5_number_upper({_cat('$seed', _q('f:'), 'uid')}) % 10000000000000000)::VARCHAR",
    _q('"'),
)
_CONTEXT = _cat(
    _q('"context":{"from":"'), "display_phone", _q('","id":"'), _wamid("c", "uid"), _q('"},')
)
_TITLE = f"to_json({_pick('titles', 'text')})"
_WA_TEXT = _cat(_q('"type":"text","text":{"body":'), f"to_json({_USER_SAYS})", _q("}"))
_WA_IMAGE = _cat(_q('"type":"image","image":{"mime_type":"image/jpeg'), _MEDIA, _q("}"))
_WA_AUDIO = _cat(
    _q('"type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus'), _MEDIA, _q(',"voice":true}')
)
_WA_STICKER = _cat(
    _q('"type":"sticker","sticker":{"mime_type":"image/webp'), _MEDIA, _q(',"animated":false}')
)
_WA_BUTTON_REPLY = _cat(
    _CONTEXT,
    _q('"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"opt_'),
    "(text % 4)::VARCHAR",
    _q('","title":'),
    _TITLE,
    _q("}}"),
)
_WA_LIST_REPLY = _cat(
    _CONTEXT,
    _q('"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"row_'),
    "(text % 4)::VARCHAR",
    _q('","title":'),
    _TITLE,
    _q(',"description":"Choose one option"}}'),
)
_WA_BUTTON = _cat(
    _CONTEXT,
    _q('"type":"button","button":{"payload":"menu_'),
    "code::VARCHAR",
    _q('","text":'),
    _TITLE,
    _q("}"),
)
_WA_REACTION = _cat(
    _q('"type":"reaction","reaction":{"message_id":"'),
    _wamid("c", "uid"),
    _q('","emoji":"'),
    _pick("emojis", "text"),
    _q('"}'),
)
_WA_LOCATION = _cat(
    _q('"type":"location","location":{"latitude":'),
    "printf('%.6f', code % 140000 / 1000.0 - 70.0)",
    _q(',"longitude":'),
    "printf('%.6f', code * 7 % 340000 / 1000.0 - 170.0)",
    _q("}"),
)
_WA_UNSUPPORTED = _q(
    '"type":"unsupported","errors":[{"code":131051,"title":"Message type unknown",'
    '"message":"Message type unknown",'
    '"error_data":{"details":"Message type is currently not supported."}}]'
)
_WA_TYPE = f"""CASE mtype
        WHEN 0 THEN {_WA_TEXT}
        WHEN 1 THEN {_WA_IMAGE}
        WHEN 2 THEN {_WA_AUDIO}
        WHEN 3 THEN {_WA_STICKER}
        WHEN 4 THEN {_WA_BUTTON_REPLY}
        WHEN 5 THEN {_WA_LIST_REPLY}
        WHEN 6 THEN {_WA_BUTTON}
        WHEN 7 THEN {_WA_REACTION}
        WHEN 8 THEN {_WA_LOCATION}
        WHEN 9 THEN {_WA_UNSUPPORTED}
        ELSE {_q('"type":"request_welcome"')} END"""
_WA_MESSAGE = _cat(
    _q("{"),
    "sender",
    _q('"id":"'),
    _wamid("m", "uid"),
    _q('","timestamp":"'),
    "(t // 1000)::VARCHAR",
    _q('",'),
    _WA_TYPE,
    _q("}"),
)
_WA_STATUS = _cat(
    _q('{"id":"'),
    _wamid("r", "reply_to"),
    _q('","status":"'),
    _pick("statuses", "status"),
    _q('","timestamp":"'),
    "(t // 1000)::VARCHAR",
    _q('",'),
    "recipient",
    _if(
        "status < 2",
        _cat(
            _q(',"conversation":{"id":"'),
            "conversation_id",
            _q(
                '","origin":{"type":"service"}},'
                '"pricing":{"billable":true,"pricing_model":"CBP","category":"service"}'
            ),
        ),
    ),
    _q("}"),
)
_WA_CHANGE_HEAD = _cat(
    _q('{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"'),
    "display_phone",
    _q('","phone_number_id":"'),
    _if(f"defect = {UNKNOWN_PHONE}", "$unknown_phone", "phone_id"),
    _q('"},'),
    _if("kind = 0", _cat(_q('"contacts":['), "contact", _q('],"messages":[')), _q('"statuses":[')),
)
_WA_FRAGMENT = _cat(
    _if("opens_body", _q('{"object":"whatsapp_business_account","entry":[')),
    _if(
        "opens_entry",
        _cat(_if("opens_body", "''", "','"), _q('{"id":"'), "waba_id", _q('","changes":[')),
    ),
    _if("opens_change", _cat(_if("opens_entry", "''", "','"), _WA_CHANGE_HEAD), "','"),
    _if("kind = 0", _WA_MESSAGE, _WA_STATUS),
    _if("closes_change", _q(']},"field":"messages"}')),
    _if("closes_entry", _q("]}")),
    _if("closes_body", _q("]}")),
)
_WA_SQL = f"""
WITH s AS ({_WA_SESSIONS}
), joined AS (
    SELECT d.dt, d.file, d.arrival, d.seq, f.part, f.defect, f.uid, f.kind, f.t, f.mtype,
        f.text, f.code, f.reply_to, f.status, f.opens_body, f.opens_entry, f.opens_change,
        f.closes_change, f.closes_entry, f.closes_body, s.*
    FROM wa_deliveries AS d
    JOIN wa_fragments AS f ON f.body = d.unit
    JOIN s ON s.sess = f.sess
), rendered AS (
    SELECT dt, file, arrival, seq, part, defect, uid, closes_body, {_WA_FRAGMENT} AS json
    FROM joined
)
SELECT 1 AS channel, dt, file, arrival, seq, part, defect, closes_body AS ends_line,
    {_cat(_bad_line("json"), _if("closes_body", "chr(10)"))} AS line
FROM rendered
"""


# --------------------------------------------------------------------------- files


class _Writer:
    """Holds rendered lines until their arrival day is complete, then writes that day's files."""

    def __init__(self, world: _World) -> None:
        self.world = world
        self.con = duckdb.connect()
        self.con.execute(
            "CREATE TABLE pending (channel TINYINT, dt BIGINT, file TINYINT, arrival BIGINT,"
            " seq BIGINT, part BIGINT, defect TINYINT, ends_line BOOLEAN, line VARCHAR)"
        )
        self.files = self.lines = self.bad_lines = 0

    def flush(self, first_day: int, end_day: int) -> None:
        """Write the files of arrival days ``first_day .. end_day - 1``; keep later lines only.

        Lines of a block arrive on its first day or later, so these days are complete.
        """
        if self.con.execute("SELECT count(*) FROM pending WHERE dt < ?", [first_day]).fetchone()[0]:
            raise RuntimeError("simulate: a line arrived before its block (a bug)")
        for day in range(first_day, end_day):
            self._flush_day(day)
        # Rebuilt rather than DELETEd from: an in-memory table keeps deleted rows' memory.
        self.con.execute("CREATE OR REPLACE TABLE pending AS FROM pending WHERE dt >= ?", [end_day])

    def _flush_day(self, day: int) -> None:
        result = self.con.execute(
            "SELECT channel, file, count(*) FILTER (ends_line),"
            " count(*) FILTER (ends_line AND defect <> 0),"
            " string_agg(line, '' ORDER BY arrival, seq, part)"
            " FROM pending WHERE dt = ? GROUP BY channel, file ORDER BY channel, file",
            [day],
        )
        while (row := result.fetchone()) is not None:
            channel, file, lines, bad, text = row
            self._write(day, channel, file, text.encode("utf-8"))
            self.files += 1
            self.lines += lines
            self.bad_lines += bad

    def _write(self, day: int, channel: int, file: int, data: bytes) -> None:
        folder = self.world.out / CHANNELS[channel] / f"dt={self.world.start + timedelta(day)}"
        folder.mkdir(parents=True, exist_ok=True)
        name = FILE_NAMES[file] + ".jsonl"
        draw = np.random.default_rng([self.world.seed, 3, channel, day, file]).random()
        if draw < self.world.gzip_share:
            name, data = name + ".gz", gzip.compress(data, compresslevel=1, mtime=0)
        (folder / name).write_bytes(data)
