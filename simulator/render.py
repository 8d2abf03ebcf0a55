"""Rendering: the block's tables (numpy columns) become JSON lines in DuckDB (sql/*.sql)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .arrays import splitmix
from .faults import DEFECTS, GARBAGE_LINES, UNKNOWN_ASSISTANT_ID, UNKNOWN_PHONE_NUMBER_ID
from .sql import run
from .vocabulary import (
    BOT_TEXTS,
    BUTTON_TITLES,
    EMOJIS,
    FIRST_NAMES,
    LAST_NAMES,
    USER_AGENTS,
    USER_TEXTS,
)
from .web import WEB_EVENTS
from .whatsapp import STATUSES, WA_TYPES
from .world import World


def stage_lines(con: duckdb.DuckDBPyConnection, world: World, frames: dict[str, dict]) -> None:
    """Render the block's lines in DuckDB and append them to the ``pending`` table."""
    for name, columns in frames.items():
        con.register(name, pd.DataFrame(columns))
    params = sql_params(world)
    for channel in ("web", "whatsapp"):
        run(con, channel, **params)
    for name in frames:
        con.unregister(name)


def sql_params(world: World) -> dict[str, object]:
    """The values the rendering SQL reads as ``$name``: per assistant, then vocabularies."""
    waba = splitmix(np.arange(len(world.assistants)), world.seed, 8) % np.uint64(9 * 10**14)
    return {
        "seed": f"{world.seed}:",
        "assistant_ids": [a.assistant_id for a in world.assistants],
        "phone_ids": [a.phone_number_id for a in world.assistants],
        "display_phones": [
            f"{a.phone_plan[0]}800{a.phone_number_id[-6:]:0>6}" for a in world.assistants
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
        "wa_types": list(WA_TYPES),
        "statuses": list(STATUSES),
        "defects": list(DEFECTS),
    }
