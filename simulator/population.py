"""The people and their sessions: who talks to which assistant on which channel, when.

``users`` people interact (each with one assistant on one channel; WhatsApp only for
assistants with a phone-number id), plus ``visitor_share`` more who only open the widget or
only trigger ``request_welcome`` and so never become users. Sessions per person are
Zipf-distributed by default (about 2/3 come once, a few come weekly), spread over the period
with gaps of hours to weeks; 1-30 messages per session (geometric, mean 3.3) a few seconds
to minutes apart; daytime-heavy in the assistant's local time. Every event lies in the
period (a session that would run past its end is cut).

A person's fixed attributes are hashes of their index, so any block of days can compute
them for its own sessions. The session plan costs 8 bytes per planned session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import (
    Ids,
    lognormal,
    rank_in_segment,
    segment_cumsum,
    splitmix,
    uniform_int,
    unit_floats,
)
from .params import DAY_S
from .vocabulary import FIRST_NAMES, LAST_NAMES
from .world import HOURLY_WEIGHTS, World

PLAN_CHUNK = 1_000_000  # people planned at once
BLOCK_SESSIONS = 50_000  # sessions simulated at once


@dataclass(frozen=True)
class People:
    """Fixed attributes of people, derived from their index by hashing."""

    assistant: np.ndarray
    whatsapp: np.ndarray
    visitor: np.ndarray
    bsuid_only: np.ndarray
    shows_bsuid: np.ndarray


def people(u: np.ndarray, world: World) -> People:
    p = world.params
    ranks = np.arange(len(world.assistants))
    weights = 1.0 / (ranks + 1.0) ** p.assistant_weight_exponent
    cumulative = np.cumsum(weights) / weights.sum()
    assistant = np.minimum(
        np.searchsorted(cumulative, unit_floats(u, world.seed, 1), "right"), ranks.size - 1
    )
    has_phone = np.array([bool(a.phone_number_id) for a in world.assistants])
    whatsapp = has_phone[assistant] & (unit_floats(u, world.seed, 2) < p.whatsapp_share)
    identity = unit_floats(u, world.seed, 3)
    return People(
        assistant=assistant,
        whatsapp=whatsapp,
        visitor=u >= world.users,
        bsuid_only=whatsapp & (identity < p.bsuid_only_share),
        shows_bsuid=whatsapp & (identity < p.shows_bsuid_share),
    )


def plan_sessions(world: World) -> np.ndarray:
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


def _sessions_per_person(world: World, person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = world.params
    if p.sessions_per_user is None:
        planned = np.minimum(rng.zipf(p.zipf_exponent, person.size), p.max_sessions)
    else:
        planned = np.full(person.size, p.sessions_per_user)
    return np.where(person < world.users, planned, 1)  # a visitor comes once


def _plan_chunk(world: World, lo: int, hi: int) -> np.ndarray:
    p = world.params
    rng = np.random.default_rng([world.seed, 1, lo])
    person = np.arange(lo, hi, dtype=np.int64)
    sessions = _sessions_per_person(world, person, rng)
    owner = np.repeat(person, sessions)
    rank = rank_in_segment(sessions)
    period_s = world.days * DAY_S
    gaps = lognormal(
        rng, p.session_gap_median_s, p.session_gap_sigma, p.session_gap_range_s, owner.size
    ).astype(np.int64)
    gaps[rank == 0] = rng.integers(0, period_s, person.size)
    start = segment_cumsum(gaps, sessions)
    keep = start < period_s
    owner, rank, start = owner[keep], rank[keep], start[keep]
    start = _daytime(start, people(owner, world).assistant, world)
    return (
        (start.astype(np.uint64) << np.uint64(32))
        | (owner.astype(np.uint64) << np.uint64(1))
        | (rank == 0).astype(np.uint64)
    )


def _daytime(start: np.ndarray, assistant: np.ndarray, world: World) -> np.ndarray:
    """Move each start within its local day so that local hours follow HOURLY_WEIGHTS."""
    hours = np.arange(25) * 3600.0
    cdf = np.concatenate([[0.0], np.cumsum(HOURLY_WEIGHTS)]) / sum(HOURLY_WEIGHTS) * DAY_S
    offset = world.offsets[assistant, start // DAY_S]
    local = start + offset
    time_of_day = local % DAY_S
    moved = local - time_of_day + np.interp(time_of_day, cdf, hours).astype(np.int64) - offset
    last = world.days * DAY_S - world.params.last_start_margin_s
    moved = np.where(moved < 0, moved + DAY_S, moved)
    moved = np.where(moved > last, moved - DAY_S, moved)
    return np.clip(moved, 0, last)


def blocks(plan: np.ndarray, world: World) -> list[tuple[int, int]]:
    """Consecutive ranges of days of about BLOCK_SESSIONS sessions each."""
    per_day = max(1, plan.size // world.days)
    size = int(np.clip(BLOCK_SESSIONS // per_day, 1, 31))
    return [(d, min(d + size, world.days)) for d in range(0, world.days, size)]


def sessions(world: World, plan: np.ndarray, rng: np.random.Generator, ids: Ids) -> dict:
    """One row per session, with the person's attributes needed to render it."""
    n = plan.size
    person = ((plan >> np.uint64(1)) & np.uint64(0x7FFFFFFF)).astype(np.int64)
    who = people(person, world)
    start = world.start_ms + (plan >> np.uint64(32)).astype(np.int64) * 1000
    messages = np.minimum(rng.geometric(world.params.messages_p, n), world.params.max_messages)
    return {
        "sess": np.arange(n, dtype=np.int64),
        "uid": ids.take(n),
        "u": person,
        "a": who.assistant,
        "whatsapp": who.whatsapp,
        "visitor": who.visitor,
        "is_first": (plan & np.uint64(1)).astype(bool),
        "start": start + rng.integers(0, 1000, n),
        "n_messages": np.where(who.visitor, 0, messages),
        "bsuid_only": who.bsuid_only,
        "shows_bsuid": who.shows_bsuid,
        "wa_id": _phone_numbers(person, who.assistant, world),
        "bsuid": splitmix(person, world.seed, 4),
        "first_name": (splitmix(person, world.seed, 5) % np.uint64(len(FIRST_NAMES))).astype(int),
        "last_name": (splitmix(person, world.seed, 6) % np.uint64(len(LAST_NAMES))).astype(int),
    }


def _phone_numbers(person: np.ndarray, assistant: np.ndarray, world: World) -> np.ndarray:
    """Realistic, distinct mobile numbers (digits, as int64) in each assistant's country."""
    plans = [a.phone_plan for a in world.assistants]
    prefix = np.array([int(cc + mobile) for cc, mobile, _ in plans], dtype=np.int64)
    scale = np.array([10**digits for _, _, digits in plans], dtype=np.int64)
    salt = int(splitmix(np.array([world.seed]), 0, 7)[0] % np.uint64(10**6))
    subscriber = (person * 7_919 + salt) % scale[assistant]  # a bijection below 10**digits
    return prefix[assistant] * scale[assistant] + subscriber


def user_messages(world: World, sessions: dict, rng: np.random.Generator) -> dict:
    """One row per user message (the interactions), in session order."""
    p = world.params
    counts = sessions["n_messages"]
    sess = np.repeat(sessions["sess"], counts)
    rank = rank_in_segment(counts)
    gaps = (
        1000
        * lognormal(
            rng, p.message_gap_median_s, p.message_gap_sigma, p.message_gap_range_s, sess.size
        )
    ).astype(np.int64)
    gaps[rank == 0] = uniform_int(rng, p.first_message_delay_ms, int((counts > 0).sum()))
    t = sessions["start"][sess] + segment_cumsum(gaps, counts)
    return {"sess": sess, "rank": rank, "t": t}
