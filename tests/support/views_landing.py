"""The landing zone of the views' end-to-end tests (tests/e2e/test_views_cli.py and
tests/e2e/test_notebook_api.py): a short history whose numbers SPEC.md and
tests/support/reference.py give, and the view commands' JSON through the real `chatwh`."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.conftest import Deployment
from tests.support.landing_writer import read_assistants
from tests.support.reference import Interaction

ASSISTANTS = read_assistants()
ZONES = {assistant_id: assistant.timezone for assistant_id, assistant in ASSISTANTS.items()}
ACME = "acme-support"  # Europe/Madrid, web and WhatsApp
GLOBEX = "globex-sales"  # America/New_York: only the January/September user

AS_OF_DATES = ["2025-03-15", "2025-04-10", "2025-04-30", "2025-05-31", "2025-06-30"]


def local(assistant_id: str, text: str) -> datetime:
    """A local wall-clock time of the assistant, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONES[assistant_id]))


# (assistant, channel, user, local time)
HISTORY = [
    # SPEC §2: a user who chatted in January and again in September.
    (GLOBEX, "web", "anon-jan-sep", "2025-01-10 12:00"),
    (GLOBEX, "web", "anon-jan-sep", "2025-09-05 18:30"),
    # acme: two users in March, four in April, one in May, one in June.
    (ACME, "web", "anon-march-1", "2025-03-03 10:00"),
    (ACME, "web", "anon-march-1", "2025-03-20 16:00"),
    (ACME, "web", "anon-march-1", "2025-04-02 09:00"),
    (ACME, "web", "anon-march-2", "2025-03-25 20:00"),
    (ACME, "whatsapp", "34611111111", "2025-04-05 09:00"),
    (ACME, "whatsapp", "34611111111", "2025-04-05 09:20"),  # same session (20 minutes)
    (ACME, "whatsapp", "34611111111", "2025-04-05 10:00"),  # a new one (40 minutes)
    (ACME, "web", "anon-april", "2025-04-15 11:00"),
    (ACME, "web", "anon-april", "2025-05-07 11:00"),
    (ACME, "whatsapp", "34622222222", "2025-04-28 23:50"),  # 21:50 UTC
    (ACME, "web", "anon-june", "2025-06-10 13:00"),
]
INTERACTIONS = [
    Interaction(assistant_id, channel, user, local(assistant_id, moment))
    for assistant_id, channel, user, moment in HISTORY
]


def chatwh_json(deployment: Deployment, *args: str) -> dict:
    completed = deployment.chatwh(*args, "--json", "--warehouse", str(deployment.warehouse))
    return json.loads(completed.stdout)


def sessions_json(
    deployment: Deployment, assistant_id: str, first: str, last: str, channel: str = "all"
) -> dict:
    return chatwh_json(
        deployment,
        "sessions",
        "--assistant",
        assistant_id,
        "--from",
        first,
        "--to",
        last,
        "--channel",
        channel,
    )


def customers_json(
    deployment: Deployment,
    assistant_id: str,
    first: str,
    last: str,
    grain: str | None = None,
    channel: str = "all",
) -> dict:
    args = [
        "customers",
        "--assistant",
        assistant_id,
        "--from",
        first,
        "--to",
        last,
        "--channel",
        channel,
    ]
    if grain:
        args += ["--grain", grain]
    return chatwh_json(deployment, *args)


def dashboard_json(deployment: Deployment, assistant_id: str, as_of: str | None) -> dict:
    args = ["dashboard", "--assistant", assistant_id]
    if as_of:
        args += ["--as-of", as_of]
    return chatwh_json(deployment, *args)
