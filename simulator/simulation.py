"""``simulate``: plan every session, then simulate and write the period block by block.

Everything is vectorised (numpy for the random decisions, DuckDB SQL to render the JSON);
Python loops only over blocks of days and over files. Memory: 8 bytes per planned session,
plus one block of days (about 50 000 sessions, at least one day) of rendered lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from .arrays import Ids
from .faults import GOOD, deliveries
from .params import DAY_S, Params
from .population import blocks, plan_sessions, sessions, user_messages
from .render import stage_lines
from .web import web_rows
from .whatsapp import whatsapp_tables
from .world import World, make_world
from .writer import Writer, prepare_out


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
    gzip_share: float | None = None,
    params: Params = Params(),  # noqa: B008 (frozen: one shared default is safe)
) -> SimulationSummary:
    """Write a simulated landing zone for the UTC days ``start .. start + days - 1`` under ``out``.

    ``params`` is the shape of the data (``SHAPES`` names the presets); ``gzip_share``, when
    given, replaces its share of files written gzipped (1.0: all of them, as for a landing
    zone of 100 M messages that would not fit on disk uncompressed); the lines are the same.

    Raises ``ValueError`` for a non-positive ``days``/``users`` and ``FileExistsError`` when
    ``out`` already holds ``web/`` or ``whatsapp/`` files (never overwrites a landing zone).
    """
    if gzip_share is not None:
        params = replace(params, gzip_share=gzip_share)
    world = make_world(Path(out), start, days, users, seed, params)
    prepare_out(world)
    plan = plan_sessions(world)
    writer = Writer(world)
    messages = 0
    for first_day, end_day in blocks(plan, world):
        lo, hi = np.searchsorted(plan >> 32, [first_day * DAY_S, end_day * DAY_S])
        messages += _simulate_block(world, plan[lo:hi], first_day, writer.con)
        writer.flush(first_day, end_day)
    writer.close()
    return SimulationSummary(
        out=world.out,
        days=days,
        files=writer.files,
        lines=writer.lines,
        messages=messages,
        bad_lines=writer.bad_lines,
    )


def _simulate_block(
    world: World, plan: np.ndarray, first_day: int, con: duckdb.DuckDBPyConnection
) -> int:
    """Simulate the sessions that start in one block of days; stage their lines; count messages."""
    rng = np.random.default_rng([world.seed, 2, first_day])
    ids = Ids(first_day)
    block_sessions = sessions(world, plan, rng, ids)
    messages = user_messages(world, block_sessions, rng)
    web, web_messages = web_rows(world, block_sessions, messages, rng, ids)
    wa, wa_messages = whatsapp_tables(world, block_sessions, messages, rng, ids)
    bodies = wa["wa_bodies"]
    frames = {
        "sessions": block_sessions,
        "web_rows": web,
        "web_deliveries": deliveries(world, web["t"], web["uid"], web["defect"] == GOOD, rng),
        **wa,
        "wa_deliveries": deliveries(
            world, bodies["t"], bodies["uid"], bodies["defect"] == GOOD, rng
        ),
    }
    stage_lines(con, world, frames)
    return web_messages + wa_messages
