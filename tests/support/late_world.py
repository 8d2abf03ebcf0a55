"""The late-files world of the orchestration tests: a small simulated landing zone, the late
files planned from its own data, and the two warehouses built from it once per session
(day by day without the late files, one backfill with them)."""

from __future__ import annotations

import itertools
import json
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.conftest import Deployment, make_deployment
from tests.support.support import arrival_days, compare_tables, read_lines

START = date(2026, 1, 1)
DAYS = 4  # small: the day-by-day test runs the pipeline DAYS + 2 times
USERS = 80
SESSION_GAP = timedelta(minutes=30)
# Table -> the columns compared: `built_at` says when a row was built, which differs.
COMPARED_MARTS = {
    "marts.customers": "* exclude (built_at)",
    "marts.dashboard_monthly_users": "*",
    "marts.session_chains_daily": "* exclude (built_at)",
    "marts.fct_user_days": "* exclude (built_at)",
}


def marts_differences(left: Path, right: Path, tables=COMPARED_MARTS) -> dict[str, tuple]:
    """Tables that differ, or have different or no rows: EXCEPT ALL both ways."""
    compared = compare_tables(left, right, tables)
    return {
        table: (only_left, only_right, counts)
        for table, (only_left, only_right, counts) in compared.items()
        if only_left or only_right or counts[0] != counts[1] or counts[0] == 0
    }


def stderr_problems(stderr: str) -> list[str]:
    """The stderr lines that are not `chatwh run` progress lines (those start with two spaces)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("  ")]


# --------------------------------------------------------------------------- late files


@dataclass(frozen=True)
class LateDelivery:
    """Files that land late under an older dt folder, and what they should change."""

    day: date
    files: dict[str, str]  # path relative to the landing zone -> content
    merged_assistant: str
    merged_user: str  # a web user two of whose sessions the late events join into one
    new_user: str  # a web user seen for the first time in the late file

    def write(self, landing: Path) -> None:
        for relative, content in self.files.items():
            target = landing / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _web_interactions(landing: Path, assistants: set[str]) -> Iterator[tuple[dict, str]]:
    """Every well-formed `Chat Message Sent` of the web files, with its raw line."""
    for path in sorted((landing / "web").glob("dt=*/*.jsonl*")):
        for line in read_lines(path):
            try:
                event = json.loads(line)
                moment = datetime.fromisoformat(event["timestamp"])
            except (ValueError, TypeError, KeyError):
                continue
            if (
                isinstance(event, dict)
                and event.get("type") == "track"
                and event.get("event") == "Chat Message Sent"
                and event.get("messageId")
                and event.get("anonymousId")
                and moment.tzinfo is not None
                and (event.get("properties") or {}).get("assistant_id") in assistants
            ):
                event["_at"], event["_dt"] = moment, date.fromisoformat(path.parent.name[3:])
                yield event, line


def plan_late_delivery(landing: Path) -> LateDelivery:
    """Late files for the second-to-last dt, built from the simulated data itself.

    - web: events that fill the shortest gap (> 30 min) between two sessions of one user, so
      the two sessions become one; a redelivery of an interaction first delivered on the
      first day; and the first interaction of a new user;
    - whatsapp: a redelivery of a body (with user messages) first delivered on the first day.
    """
    days = arrival_days(landing)
    late_day, first_day = days[-2], days[0]
    latest_allowed = datetime.combine(late_day, datetime.min.time(), UTC) + timedelta(days=2)
    with open(landing / "assistants.csv", encoding="utf-8") as handle:
        assistants = {line.split(",")[0] for line in handle.read().splitlines()[1:] if line}

    events = list(_web_interactions(landing, assistants))
    assert events, "the simulated landing zone has no web interactions"
    times: dict[tuple[str, str], set[datetime]] = defaultdict(set)
    for event, _ in events:
        times[(event["properties"]["assistant_id"], event["anonymousId"])].add(event["_at"])
    gaps = []
    for (assistant, user), moments in times.items():
        ordered = sorted(moments)
        for before, after in itertools.pairwise(ordered):
            if after - before > SESSION_GAP and after < latest_allowed:
                gaps.append((after - before, assistant, user, before, after))
    assert gaps, "no web user has two sessions to join"
    _, assistant, user, before, after = min(gaps)

    web_lines = []
    moment = before + timedelta(minutes=20)
    while moment < after:
        web_lines.append(
            {
                "type": "track",
                "event": "Chat Message Sent",
                "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"late/{user}/{moment}")),
                "anonymousId": user,
                "timestamp": _iso(moment),
                "properties": {"assistant_id": assistant},
            }
        )
        moment += timedelta(minutes=20)
    new_user = str(uuid.uuid5(uuid.NAMESPACE_URL, f"late-new-user/{landing}"))
    web_lines.append(
        {
            "type": "track",
            "event": "Chat Message Sent",
            "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"late/{new_user}")),
            "anonymousId": new_user,
            "timestamp": _iso(before + timedelta(minutes=5)),
            "properties": {"assistant_id": assistant},
        }
    )
    redelivered_web = [line for event, line in events if event["_dt"] == first_day]
    assert redelivered_web, "no web interaction delivered on the first day"
    whatsapp_bodies = [
        line
        for path in sorted((landing / "whatsapp" / f"dt={first_day}").glob("*.jsonl*"))
        for line in read_lines(path)
        if '"messages":[{' in line.replace(" ", "")
    ]
    assert whatsapp_bodies, "no WhatsApp body with user messages on the first day"
    web_content = "\n".join([*map(json.dumps, web_lines), redelivered_web[0]]) + "\n"
    return LateDelivery(
        day=late_day,
        files={
            f"web/dt={late_day}/late-arrival.jsonl": web_content,
            f"whatsapp/dt={late_day}/late-arrival.jsonl": whatsapp_bodies[0] + "\n",
        },
        merged_assistant=assistant,
        merged_user=user,
        new_user=new_user,
    )


@dataclass(frozen=True)
class LateWorld:
    """One simulated landing zone twice: without the late files (loaded day by day) and with
    them (the reference, loaded by one backfill run on a fresh warehouse and Dagster home)."""

    incremental: Deployment
    reference: Deployment
    late: LateDelivery
    days: list[date]
    reference_run_output: str


def _build_late_world(folder: Path) -> None:
    incremental = make_deployment(folder / "incremental")
    incremental.chatwh(
        "simulate",
        "--out",
        str(incremental.landing),
        "--start",
        START.isoformat(),
        "--days",
        str(DAYS),
        "--users",
        str(USERS),
    )
    late = plan_late_delivery(incremental.landing)
    (folder / "late.json").write_text(json.dumps({**asdict(late), "day": late.day.isoformat()}))
    reference = make_deployment(folder / "reference")
    shutil.copytree(incremental.landing, reference.landing)
    late.write(reference.landing)
    days = arrival_days(incremental.landing)
    completed = reference.run("--from", days[0].isoformat(), "--to", days[-1].isoformat())
    (folder / "reference-run.txt").write_text(completed.stdout)
