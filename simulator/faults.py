"""Delivery faults: late lines, re-deliveries and bad lines.

**Delivery.** About 3 % of lines arrive 1-3 days late (in ``replay`` under a later ``dt``;
also lines that happen just before midnight and arrive just after it). About 1 % of lines
are delivered twice, as the byte-identical line: later in the same file, in the other
collector's file of the same day, or in a later day's ``replay``. A re-delivered WhatsApp
body repeats every message's ``id``, ``from`` and ``timestamp``. Nothing arrives after the
period: late lines of the last days are put in the last ``dt``. With ``one_file_per_day``
the same lines all go to the day's ``part-0``.

**Bad lines** (about 0.5 %) are *extra* lines, never the only copy of an event, and carry
ids of their own: not JSON, truncated JSON, a JSON array around a good object, and (web
only) a missing ``messageId``, a missing ``anonymousId``, a timestamp without offset
(``2026-01-05T10:00:00``), the unknown assistant ``ghost-assistant``; (WhatsApp only) the
unknown ``phone_number_id`` ``100000000000001``. So a correct loader loads exactly
``SimulationSummary.messages`` interactions, whatever it quarantines.
"""

from __future__ import annotations

import numpy as np

from .arrays import Ids, uniform_int
from .params import Params
from .world import DAY_MS, World

# Defects of bad lines (codes index DEFECTS, which the rendering SQL matches by name).
DEFECTS = (
    "good", "not json", "truncated", "array", "no message id", "no anonymous id",
    "naive timestamp", "unknown assistant", "unknown phone",
)  # fmt: skip
GOOD, NOT_JSON, TRUNCATED, ARRAY, NO_MESSAGE_ID, NO_ANONYMOUS_ID = range(6)
NAIVE_TIMESTAMP, UNKNOWN_ASSISTANT, UNKNOWN_PHONE = 6, 7, 8
WEB_DEFECTS = (NOT_JSON, TRUNCATED, ARRAY, NO_MESSAGE_ID, NO_ANONYMOUS_ID, NAIVE_TIMESTAMP,
               UNKNOWN_ASSISTANT)  # fmt: skip
WA_DEFECTS = (NOT_JSON, TRUNCATED, ARRAY, UNKNOWN_PHONE)
UNKNOWN_ASSISTANT_ID = "ghost-assistant"
UNKNOWN_PHONE_NUMBER_ID = "100000000000001"
GARBAGE_LINES = (
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "ERROR collector: upstream timed out after 30000 ms",
    "\ufeff{{{ not json at all",
)

# Files of a channel and day (codes index FILE_NAMES).
FILE_NAMES = ("part-0", "part-1", "replay")
REPLAY = 2


def with_bad_copies(
    rows: dict,
    spoilable: np.ndarray,
    kinds: tuple[int, ...],
    p: Params,
    rng: np.random.Generator,
    ids: Ids,
) -> dict:
    """Append spoilt copies of about ``bad_share`` of the rows; give every row a uid and a unit."""
    n = rows["t"].size
    bad = np.flatnonzero(spoilable & (rng.random(n) < p.bad_share))
    out = {k: np.concatenate([v, v[bad]]) for k, v in rows.items()}
    out["defect"][n:] = defects(kinds, bad.size, rng)
    out["uid"] = ids.take(n + bad.size)
    out["unit"] = np.arange(n + bad.size)
    return out


def defects(kinds: tuple[int, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` defects taking the kinds in turn (from a random one): every kind shows up early."""
    return np.array(kinds)[(rng.integers(len(kinds)) + np.arange(n)) % len(kinds)]


def deliveries(
    world: World, t: np.ndarray, uid: np.ndarray, good: np.ndarray, rng: np.random.Generator
) -> dict:
    """When and where each unit (line) arrives, and the re-deliveries of ``good`` units.

    One row per line to write.
    """
    p = world.params
    n = t.size
    late = rng.random(n) < p.late_share
    late_days = rng.choice(np.array(p.late_days), n, p=p.late_days_p)
    arrival = t + uniform_int(rng, p.delivery_delay_ms, n)
    arrival += np.where(late, late_days * DAY_MS + rng.integers(0, 6 * 3_600_000, n), 0)
    file = np.where(late, REPLAY, rng.integers(0, 2, n))
    again = np.flatnonzero(good & (rng.random(n) < p.redelivery_share))
    how = rng.choice(3, again.size, p=(0.4, 0.4, 0.2))  # same file, other file, later day
    again_arrival = arrival[again] + np.select(
        [how == 0, how == 1],
        [rng.integers(1_000, 600_000, again.size), rng.integers(1_000, 3_600_000, again.size)],
        late_days[again] * DAY_MS + rng.integers(0, 6 * 3_600_000, again.size),
    )
    again_file = np.select([how == 0, how == 1], [file[again], (file[again] + 1) % 2], REPLAY)
    unit = np.concatenate([np.arange(n), again])
    arrival = np.minimum(np.concatenate([arrival, again_arrival]), world.end_ms - 1)
    files = np.concatenate([file, again_file])
    return {
        "unit": unit,
        "dt": (arrival - world.start_ms) // DAY_MS,
        "file": np.zeros_like(files) if p.one_file_per_day else files,
        "arrival": arrival,
        "seq": uid[unit] * 2 + np.repeat([0, 1], [n, again.size]),
        "received": arrival[unit],  # Segment receivedAt: the first arrival
    }
