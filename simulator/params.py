"""The simulator's parameters: how people behave and how their lines are delivered.

``Params()`` is the default shape of ``chatwh simulate``; ``SHAPES`` names the presets
(``chatwh simulate --shape NAME``). Changing a default changes every default landing zone
(tests/unit/test_simulator_output.py pins one byte for byte).
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 86_400


@dataclass(frozen=True)
class Params:
    """One shape of simulated data. Shares are probabilities; times are in s or ms."""

    # Who comes how often.
    visitor_share: float = 0.10  # extra people who never write (not users)
    zipf_exponent: float = 2.1  # sessions per user, Zipf-distributed ...
    max_sessions: int = 150
    sessions_per_user: int | None = None  # ... unless set: every user plans this many
    session_gap_median_s: float = 3 * DAY_S
    session_gap_sigma: float = 1.5
    session_gap_range_s: tuple[float, float] = (4 * 3600, 120 * DAY_S)
    last_start_margin_s: int = 900  # no session starts in the last 15 minutes of the period
    assistants: int | None = None  # the first N assistants of seeds/assistants.csv (None: all)
    assistant_weight_exponent: float = 0.8  # people per assistant ~1/(rank+1)^0.8
    whatsapp_share: float = 0.45  # of the people of an assistant with a phone-number id
    bsuid_only_share: float = 0.03  # of WhatsApp users: no phone number in the payload
    shows_bsuid_share: float = 0.5  # of WhatsApp users: from_user_id next to from

    # One session.
    messages_p: float = 0.3  # geometric: mean 1/0.3 messages per session
    max_messages: int = 30
    first_message_delay_ms: tuple[int, int] = (3_000, 60_000)
    message_gap_median_s: float = 35.0
    message_gap_sigma: float = 0.9
    message_gap_range_s: tuple[float, float] = (4.0, 900.0)
    bot_replies: bool = True  # web "Chat Message Received" lines, WhatsApp statuses
    bot_reply_delay_ms: tuple[int, int] = (800, 4_000)
    page_share: float = 0.10  # of web sessions
    identify_share: float = 0.03
    closed_share: float = 0.05
    welcome_share: float = 0.35  # of first WhatsApp sessions
    read_share: float = 0.8  # bot replies the user reads
    message_batch_share: float = 0.12  # a WhatsApp message joins the previous one's change
    body_batch_share: float = 0.03  # a change joins the previous body

    # Delivery.
    delivery_delay_ms: tuple[int, int] = (200, 20_000)
    late_share: float = 0.03
    late_days: tuple[int, ...] = (1, 2, 3)
    late_days_p: tuple[float, ...] = (0.6, 0.25, 0.15)
    redelivery_share: float = 0.01
    bad_share: float = 0.005
    gzip_share: float = 0.25
    # Files per channel and day: part-0 and part-1 (two collectors) and replay (late lines,
    # re-deliveries from earlier days); or everything that arrived that day in part-0.
    one_file_per_day: bool = False


# Like a landing zone made independently of this simulator (issue 18's second shape):
# many users with about two sessions each, one message per WhatsApp body and no bot replies
# (about 1.3 lines per message), one file per channel and day, three assistants.
MANY_USERS = Params(
    sessions_per_user=2,
    bot_replies=False,
    assistants=3,
    message_batch_share=0.0,
    body_batch_share=0.0,
    one_file_per_day=True,
)

SHAPES: dict[str, Params] = {"default": Params(), "many-users": MANY_USERS}
