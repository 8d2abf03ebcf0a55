"""The WhatsApp channel: webhook POST bodies, as fragments (rendered in whatsapp.sql).

Bodies hold user messages (text, image, audio, sticker, interactive button/list replies,
button, reaction, location, unsupported), ``request_welcome`` (not an interaction), and
``statuses`` (sent, delivered, read) of the bot's replies, each status in its own change.
Some bodies hold several messages of one user (one change), several changes, or several
entries (different assistants).

**Users without a phone number (BSUID only).** About 3 % of WhatsApp users have set a
username: their messages carry no ``from`` but ``"from_user_id": "US.<digits>"`` (the field
name Meta's payloads use, see ``callback_button.json`` of the pywa fixtures), their
``contacts[]`` entry has ``user_id`` and ``profile.username`` but no ``wa_id``, and statuses
of replies to them carry ``recipient_user_id`` instead of ``recipient_id``. Half of the
other users also carry ``from_user_id`` / ``contacts[].user_id`` next to ``from`` /
``wa_id``; their key stays ``from``.

A fragment is one message or status with the JSON around it that opens or closes its
change, entry and body: a body's line is its fragments concatenated in ``part`` order.
"""

from __future__ import annotations

import numpy as np

from .arrays import Ids, concat_rows, sorted_rows, uniform_int
from .faults import WA_DEFECTS, defects
from .params import Params
from .vocabulary import BUTTON_TITLES, EMOJIS, USER_TEXTS
from .world import World

# WhatsApp message types (the last one is not an interaction).
WA_TYPES = (
    "text", "image", "audio", "sticker", "button_reply", "list_reply",
    "button", "reaction", "location", "unsupported", "request_welcome",
)  # fmt: skip
WA_TYPE_P = (0.66, 0.07, 0.04, 0.02, 0.07, 0.04, 0.03, 0.04, 0.02, 0.01)
WELCOME = len(WA_TYPES) - 1
STATUSES = ("sent", "delivered", "read")


def whatsapp_tables(
    world: World, sessions: dict, messages: dict, rng: np.random.Generator, ids: Ids
) -> tuple[dict, int]:
    """Fragments and bodies of the WhatsApp webhooks; and the interactions."""
    p = world.params
    items = _items(world, sessions, messages, rng, ids)
    interactions = int((items["mtype"] != WELCOME).sum())
    statuses = _statuses(world, items, rng, ids)
    if not p.bot_replies:
        statuses = {k: v[:0] for k, v in statuses.items()}
    items["change"], statuses["change"] = _change_ids(items, statuses, p, rng)
    parts = sorted_rows(concat_rows(items, statuses), ("uid", "t", "change"))
    parts["body"], parts["entry"] = _body_ids(parts, sessions["a"], p, rng)
    parts["defect"] = np.zeros(parts["t"].size, dtype=np.int64)
    parts = _with_bad_bodies(parts, p, rng, ids)
    _mark_bounds(parts)
    return {"wa_fragments": parts, "wa_bodies": _bodies(parts, ids)}, interactions


def _items(
    world: World, sessions: dict, messages: dict, rng: np.random.Generator, ids: Ids
) -> dict:
    """User messages and request_welcome, sorted by session and time."""
    wa = sessions["whatsapp"]
    first = sessions["is_first"] & (rng.random(wa.size) < world.params.welcome_share)
    welcome = np.flatnonzero(wa & (sessions["visitor"] | first))
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


def _statuses(world: World, items: dict, rng: np.random.Generator, ids: Ids) -> dict:
    """sent / delivered / read statuses of the bot's reply to every item."""
    n = items["t"].size
    sent = items["t"] + uniform_int(rng, world.params.bot_reply_delay_ms, n)
    delivered = sent + rng.integers(300, 3_000, n)
    read = delivered + rng.integers(2_000, 300_000, n)
    is_read = rng.random(n) < world.params.read_share
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


def _change_ids(
    items: dict, statuses: dict, p: Params, rng: np.random.Generator
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
        & (rng.random(sess.size - 1) < p.message_batch_share)
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


def _body_ids(
    parts: dict, assistant: np.ndarray, p: Params, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Body and entry of every fragment: a few consecutive changes share a body; changes of
    one assistant that are next to each other in a body share an entry."""
    change = parts["change"]
    n = int(change[-1]) + 1 if change.size else 0
    first = np.flatnonzero(np.r_[True, change[1:] != change[:-1]])[:n]
    change_assistant = assistant[parts["sess"][first]]
    joins = np.zeros(n, dtype=bool)
    joins[1:] = rng.random(n - 1) < p.body_batch_share
    new_entry = ~joins
    new_entry[1:] |= change_assistant[1:] != change_assistant[:-1]
    return (np.cumsum(~joins) - 1)[change], (np.cumsum(new_entry) - 1)[change]


def _with_bad_bodies(parts: dict, p: Params, rng: np.random.Generator, ids: Ids) -> dict:
    """Append about ``bad_share`` bad bodies, each a copy (with fresh ids) of one message."""
    messages = np.flatnonzero(parts["kind"] == 0)
    if messages.size == 0:
        return parts
    n_bodies = int(parts["body"][-1]) + 1
    n_bad = int(rng.binomial(n_bodies, p.bad_share))
    copies = {k: v[rng.choice(messages, n_bad)] for k, v in parts.items()}
    new = np.arange(n_bad)
    copies.update(
        uid=ids.take(n_bad),
        defect=defects(WA_DEFECTS, n_bad, rng),
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


def _bodies(parts: dict, ids: Ids) -> dict:
    """One row per body (a line): its time (its latest fragment), uid and defect."""
    first = np.flatnonzero(parts["opens_body"])
    return {
        "t": np.maximum.reduceat(parts["t"], first) if first.size else first,
        "uid": ids.take(first.size),
        "defect": parts["defect"][first],
    }
