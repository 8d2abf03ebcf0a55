"""Privacy: `chatwh forget` erases a person everywhere and for good.

Everything runs the real `chatwh` command in subprocesses against real DuckDB files, on a
small simulated landing zone loaded once per session as the reference (an uninterrupted run).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from orchestration.pseudonym import pseudonymize
from tests.conftest import TEST_KEY
from tests.support.reliability import (
    COMPARED,
    Reference,
    copy_warehouse,
    differences,
    fresh,
    where_found,
)
from tests.support.support import query, read_lines

pytestmark = pytest.mark.xdist_group("reliability")

# --------------------------------------------------------------------------- erasure


def _whatsapp_senders(landing: Path) -> Counter[str]:
    """wa_id -> user messages, read from the landing files as WhatsApp delivered them."""
    senders: Counter[str] = Counter()
    for path in sorted((landing / "whatsapp").glob("dt=*/*.jsonl*")):
        for line in read_lines(path):
            try:
                body = json.loads(line)
                changes = [c for e in body["entry"] for c in e["changes"]]
            except (ValueError, TypeError, KeyError):
                continue
            for change in changes:
                if not isinstance(change, dict) or change.get("field") != "messages":
                    continue
                for message in (change.get("value") or {}).get("messages") or []:
                    if isinstance(message, dict) and isinstance(message.get("from"), str):
                        senders[message["from"]] += 1
    return senders


def _web_senders(landing: Path) -> Counter[str]:
    senders: Counter[str] = Counter()
    for path in sorted((landing / "web").glob("dt=*/*.jsonl*")):
        for line in read_lines(path):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(event, dict)
                and event.get("event") == "Chat Message Sent"
                and isinstance(event.get("anonymousId"), str)
            ):
                senders[event["anonymousId"]] += 1
    return senders


def _pick(warehouse: Path, channel: str, candidates: Counter[str], key: bytes) -> str:
    """A person of the landing files who is a customer in the warehouse: preferably one with
    a quarantined record that names them (a place erasure must reach too), then the most
    active."""
    customers = {
        row[0]
        for row in query(
            warehouse, "select user_id from marts.customers where channel = ?", [channel]
        )
    }
    quarantined = " ".join(
        row[0]
        for row in query(
            warehouse,
            "select record::varchar from raw.quarantine where record is not null and channel = ?",
            [channel],
        )
    )

    def preference(item: tuple[str, int]) -> tuple:
        return (item[0] not in quarantined, -item[1], item[0])

    for person, _ in sorted(candidates.items(), key=preference):
        user_id = pseudonymize(key, person) if channel == "whatsapp" else person
        if user_id in customers:
            return person
    raise AssertionError(f"no {channel} person of the landing files is in marts.customers")


def _window(warehouse: Path) -> tuple[date, date]:
    return query(
        warehouse, "select min(first_session_date), max(last_session_date) from marts.customers"
    )[0]


def _sessions_totals(warehouse: Path, assistants: set[str]) -> dict[str, tuple[int, int, int]]:
    first, last = _window(warehouse)
    totals = {}
    for assistant in sorted(assistants):
        totals[assistant] = query(
            warehouse,
            "select total_users, unique_users, recurring_users from marts.sessions_view(?, ?, ?)",
            [assistant, first, last],
        )[0]
    return totals


def test_forget_erases_a_person_everywhere_and_for_good(reference: Reference, tmp_path):
    deployment = fresh(reference, tmp_path, with_warehouse=True)
    warehouse, key = deployment.warehouse, TEST_KEY.encode()
    wa_id = _pick(warehouse, "whatsapp", _whatsapp_senders(deployment.landing), key)
    anonymous_id = _pick(warehouse, "web", _web_senders(deployment.landing), key)
    people = {
        "whatsapp": (wa_id, pseudonymize(key, wa_id), pseudonymize(key, wa_id)),
        "web": (anonymous_id, pseudonymize(key, anonymous_id), anonymous_id),
    }  # channel -> (raw id, pseudonym, id in the tables)
    assert where_found(warehouse, wa_id) == set(), "raw phone numbers must never be stored"
    assert where_found(warehouse, anonymous_id), "the web person should be in the warehouse"

    rows_of = {
        channel: query(
            warehouse,
            "select assistant_id, lifetime_sessions from marts.customers "
            "where channel = ? and user_id = ?",
            [channel, user_id],
        )
        for channel, (_, _, user_id) in people.items()
    }
    interactions = {
        "whatsapp": query(
            warehouse,
            "select count(*) from raw.whatsapp_messages where user_id = ?",
            [people["whatsapp"][2]],
        )[0][0],
        "web": query(
            warehouse, "select count(*) from raw.web_events where anonymous_id = ?", [anonymous_id]
        )[0][0],
    }
    customers_before = query(warehouse, "select count(*) from marts.customers")[0][0]
    assistants = {row[0] for rows in rows_of.values() for row in rows}
    totals_before = _sessions_totals(warehouse, assistants)

    for channel, option in (("whatsapp", "--wa-id"), ("web", "--anonymous-id")):
        raw_id, pseudonym, _ = people[channel]
        completed = deployment.chatwh("forget", option, raw_id, "--warehouse", str(warehouse))
        output = completed.stdout + completed.stderr
        assert raw_id not in output
        assert f"{interactions[channel]} interactions" in output, output
        assert pseudonym[:12] in output

    def assert_forgotten(where: Path) -> None:
        for channel, (raw_id, pseudonym, _) in people.items():
            assert where_found(where, raw_id) == set(), (channel, where_found(where, raw_id))
            assert where_found(where, pseudonym) == {"raw.erasures.user_id"}, channel
        assert sorted(query(where, "select channel, user_id from raw.erasures")) == sorted(
            (channel, pseudonym) for channel, (_, pseudonym, _) in people.items()
        )

    assert_forgotten(warehouse)
    erased_rows = [row for rows in rows_of.values() for row in rows]
    assert query(warehouse, "select count(*) from marts.customers")[0][0] == (
        customers_before - len(erased_rows)
    )
    expected = {}
    for assistant, (total, unique, recurring) in totals_before.items():
        gone = [sessions for owner, sessions in erased_rows if owner == assistant]
        gone_recurring = sum(1 for sessions in gone if sessions > 1)
        expected[assistant] = (
            total - len(gone),
            unique - (len(gone) - gone_recurring),
            recurring - gone_recurring,
        )
    assert _sessions_totals(warehouse, assistants) == expected

    snapshot = tmp_path / "after-erasure.duckdb"
    copy_warehouse(warehouse, snapshot)
    deployment.run()  # re-load every raw file, the person's included
    assert_forgotten(warehouse)
    assert (
        differences(
            warehouse,
            snapshot,
            {
                table: columns
                for table, columns in COMPARED.items()
                if not table.startswith("raw.load")
            },
        )
        == {}
    )
    erased = dict(
        query(warehouse, "select channel, sum(erased) from raw.load_audit group by channel")
    )
    assert erased["whatsapp"] >= interactions["whatsapp"] > 0
    assert erased["web"] >= interactions["web"] > 0
