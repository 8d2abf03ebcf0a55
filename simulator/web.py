"""The web channel: Segment lines of the chat widget, one row per line (rendered in web.sql).

Web lines are Segment ``track`` events (``Chat Widget Opened``, ``Chat Message Sent`` = the
interaction, ``Chat Message Received``, and a few ``Chat Widget Closed``, an event the loader
must skip) plus a few ``page`` and ``identify`` lines. ``timestamp`` is mostly
``...T10:00:00.120Z``, sometimes the assistant's local time with an offset
(``...T11:00:00.120+01:00``), sometimes ``Z`` without milliseconds. ``receivedAt`` is the
arrival time (not the event time).
"""

from __future__ import annotations

import numpy as np

from .arrays import Ids, uniform_int
from .faults import WEB_DEFECTS, with_bad_copies
from .vocabulary import BOT_TEXTS, USER_TEXTS
from .world import DAY_MS, World

# Web event codes (index into WEB_EVENTS).
PAGE, IDENTIFY, OPENED, SENT, RECEIVED, CLOSED = range(6)
WEB_EVENTS = (
    "page", "identify", "Chat Widget Opened", "Chat Message Sent",
    "Chat Message Received", "Chat Widget Closed",
)  # fmt: skip


def web_rows(
    world: World, sessions: dict, messages: dict, rng: np.random.Generator, ids: Ids
) -> tuple[dict, int]:
    """One row per web line (events, non-track lines and bad copies); and the interactions."""
    p = world.params
    web = np.flatnonzero(~sessions["whatsapp"])
    start = sessions["start"]
    on_web = ~sessions["whatsapp"][messages["sess"]]
    msg_sess, msg_t = messages["sess"][on_web], messages["t"][on_web]
    last_t = start.copy()
    last = np.flatnonzero(np.r_[msg_sess[1:] != msg_sess[:-1], True]) if msg_sess.size else msg_sess
    last_t[msg_sess[last]] = msg_t[last]  # messages are grouped by session, in time order

    def some(share: float) -> np.ndarray:
        return web[rng.random(web.size) < share]

    page, identify, closed = some(p.page_share), some(p.identify_share), some(p.closed_share)
    parts = [
        (page, PAGE, start[page]),
        (identify, IDENTIFY, start[identify] + rng.integers(300, 3_000, identify.size)),
        (web, OPENED, start[web] + rng.integers(500, 2_500, web.size)),
        (msg_sess, SENT, msg_t),
        (msg_sess, RECEIVED, msg_t + uniform_int(rng, p.bot_reply_delay_ms, msg_t.size)),
        (closed, CLOSED, last_t[closed] + rng.integers(10_000, 300_000, closed.size)),
    ]
    if not p.bot_replies:  # drawn all the same: the other events stay as they are
        parts = [part for part in parts if part[1] != RECEIVED]
    sess = np.concatenate([part[0] for part in parts])
    event = np.concatenate([np.full(part[0].size, part[1]) for part in parts])
    t = np.concatenate([part[2] for part in parts])
    keep = (t >= world.start_ms) & (t < world.end_ms)
    rows = _web_columns(world, sessions, sess[keep], event[keep], t[keep], rng)
    interactions = int((rows["event"] == SENT).sum())
    spoilable = np.isin(rows["event"], (OPENED, SENT, RECEIVED))  # skipped lines stay good
    return with_bad_copies(rows, spoilable, WEB_DEFECTS, p, rng, ids), interactions


def _web_columns(
    world: World,
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
