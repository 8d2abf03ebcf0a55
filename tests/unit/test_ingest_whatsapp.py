"""Ingest (landing zone -> raw schema) of the real WhatsApp payloads.

The unit under test is `orchestration.ingest.ingest`, called directly on a real DuckDB file in
a temp folder. Expected counts come from the fixtures' SOURCE.md files and SPEC §1, and are
cross-checked against a plain Python reading of the same payloads.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tests.support.fixture_landing import java_bodies, pywa_bodies, write_whatsapp_landing
from tests.support.ingest_support import (
    FIXTURE_ASSISTANTS,
    FIXTURE_DAY,
    JAVA_BUSINESS_PHONE,
    JAVA_REUSED_WAMID,
    JAVA_WA_ID,
    NOT_INTERACTIONS,
    PYWA_BSUID,
    PYWA_WA_ID,
    Counts,
    audit_of,
    load,
    pseudonym,
    quarantine_of,
    rows,
    write_lines,
)

# --------------------------------------------------------------------------- a reference


def reference_counts(bodies: list[tuple[str, str]], known_phone_ids: set[str]) -> Counts:
    """Plain-Python reading of payloads that hold one change and at most one item each.

    Each payload is one record; a user message is an interaction unless its type is system
    or request_welcome; (id, from or from_user_id, timestamp) is the de-duplication key.
    """
    seen: set[tuple[str, str, str]] = set()
    loaded = skipped = duplicates = quarantined = 0
    for _, text in bodies:
        try:
            body = json.loads(text)
        except ValueError:
            quarantined += 1
            continue
        ((change,),) = [entry["changes"] for entry in body["entry"]]
        value = change["value"]
        messages = value.get("messages", []) if change["field"] == "messages" else []
        assert len(messages) <= 1 and len(value.get("statuses", [])) <= 1
        if not messages:
            skipped += 1
            continue
        message = messages[0]
        key = (message["id"], message.get("from") or message["from_user_id"], message["timestamp"])
        if value["metadata"]["phone_number_id"] not in known_phone_ids:
            quarantined += 1
        elif message["type"] in NOT_INTERACTIONS:
            skipped += 1
        elif key in seen:
            duplicates += 1
        else:
            seen.add(key)
            loaded += 1
    return Counts(len(bodies), loaded, skipped, duplicates, quarantined)


def known_phone_ids() -> set[str]:
    return {row[3] for row in FIXTURE_ASSISTANTS}


# --------------------------------------------------------------------------- WhatsApp payloads


def test_pywa_payloads_load_with_the_documented_counts(
    con: duckdb.DuckDBPyConnection, fixture_landing: Path
) -> None:
    bodies = pywa_bodies()
    path = write_whatsapp_landing(fixture_landing, FIXTURE_DAY.isoformat(), bodies)
    summary = load(con, fixture_landing, FIXTURE_DAY)

    # SOURCE.md: 75 payloads, each with 1 entry, 1 change and at most 1 item: 75 records.
    # 37 inbound messages, of which system (2) and request_welcome (1) are not interactions:
    # 34. The revoke (deleted_message.json) names <BUSINESS_PHONE_NUMBER_ID>: quarantined, 33.
    # By (id, from, timestamp), 8 of those repeat an earlier one: call_permission_update's
    # accept/reject, callback_selection's pair, flow_completion's pair (wamid.x, zyzxyz,
    # wegrchytvwcggt==) and in message.json image/media_with_url, the reaction and its two
    # un-reactions, the two locations and the two unsupported (same wamid.xyzxyz and second).
    # Skipped: 75 - 34 = 41 (7 statuses, 3 echoes, 4 calls, 24 other fields, 3 non-interactions).
    expected = Counts(records=75, loaded=25, skipped=41, duplicates=8, quarantined=1)
    assert reference_counts(bodies, known_phone_ids()) == expected
    assert audit_of(con, path) == expected
    assert summary.channels["whatsapp"].records == 75

    revoke_line = 1 + [case for case, _ in bodies].index("deleted_message:revoke")
    assert list(quarantine_of(con, path)) == [revoke_line]
    assert "phone_number_id" in quarantine_of(con, path)[revoke_line]


def test_pywa_message_types_users_and_reused_ids(
    con: duckdb.DuckDBPyConnection, fixture_landing: Path
) -> None:
    write_whatsapp_landing(fixture_landing, FIXTURE_DAY.isoformat(), pywa_bodies())
    load(con, fixture_landing, FIXTURE_DAY)

    # 17 distinct types; system and request_welcome are not interactions, revoke is
    # quarantined (placeholder phone_number_id).
    types = {row[0] for row in rows(con, "select message_type from raw.whatsapp_messages")}
    assert types == {
        "text", "image", "video", "document", "audio", "sticker", "reaction", "location",
        "contacts", "order", "unsupported", "interactive", "button", "edit",
    }  # fmt: skip
    # Every user is a pseudonym: wa_id 972987654321 everywhere, except edited_message.json
    # (from 16505551234, on phone_number_id 106540352242922 = acme-support).
    users = dict(rows(con, "select user_id, count(*) from raw.whatsapp_messages group by 1"))
    assert users == {pseudonym(PYWA_WA_ID): 24, pseudonym("16505551234"): 1}
    assert rows(
        con,
        "select assistant_id, message_type from raw.whatsapp_messages where user_id = ?",
        [pseudonym("16505551234")],
    ) == [("acme-support", "edit")]
    # wamid.xyzxyz is shared by 21 messages of message.json (16 distinct seconds) and by
    # callback_button's button: 17 distinct interactions keep it; the id alone would keep 1.
    assert rows(
        con, "select count(*) from raw.whatsapp_messages where message_id = 'wamid.xyzxyz'"
    ) == [(17,)]


def test_java_payloads_load_with_the_documented_counts(
    con: duckdb.DuckDBPyConnection, fixture_landing: Path
) -> None:
    bodies = java_bodies()
    path = write_whatsapp_landing(fixture_landing, FIXTURE_DAY.isoformat(), bodies)
    load(con, fixture_landing, FIXTURE_DAY)

    # SOURCE.md: 25 files; 12 inbound messages (all distinct by id, from and timestamp),
    # 5 statuses of which textMessageStatusRead.json is malformed JSON (quarantined),
    # 8 non-message payloads: 12 loaded, 4 + 8 skipped, 1 quarantined.
    expected = Counts(records=25, loaded=12, skipped=12, duplicates=0, quarantined=1)
    assert reference_counts(bodies, known_phone_ids()) == expected
    assert audit_of(con, path) == expected
    malformed_line = 1 + [name for name, _ in bodies].index("textMessageStatusRead")
    reasons = quarantine_of(con, path)
    assert list(reasons) == [malformed_line] and "JSON" in reasons[malformed_line]

    # The wamid reused 9 times: 6 inbound messages at 6 different seconds, all kept.
    assert rows(
        con,
        "select count(*) from raw.whatsapp_messages where message_id = ?",
        [JAVA_REUSED_WAMID],
    ) == [(6,)]
    # textMessage2.json: `from` is the business's own phone_number_id, and SPEC §1 makes
    # `from` the user's key (not contacts[].wa_id).
    users = dict(rows(con, "select user_id, count(*) from raw.whatsapp_messages group by 1"))
    assert users == {pseudonym(JAVA_WA_ID): 11, pseudonym(JAVA_BUSINESS_PHONE): 1}


def _quick_reply_without_context() -> dict[str, Any]:
    """callback_button.json's payload that carries both `from` and `from_user_id`."""
    name, body = next(pair for pair in pywa_bodies() if pair[0].endswith("without_context"))
    assert name == "callback_button:quick_reply_without_context"
    return json.loads(body)


def test_from_user_id_is_the_key_only_without_from(
    con: duckdb.DuckDBPyConnection, fixture_landing: Path
) -> None:
    with_both = _quick_reply_without_context()
    bsuid_only = copy.deepcopy(with_both)
    message = bsuid_only["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message.pop("from") == PYWA_WA_ID and message["from_user_id"] == PYWA_BSUID
    path = write_lines(fixture_landing, "whatsapp", FIXTURE_DAY, "a.jsonl", [with_both, bsuid_only])
    load(con, fixture_landing, FIXTURE_DAY)

    assert rows(con, "select line_number, user_id from raw.whatsapp_messages order by 1") == [
        (1, pseudonym(PYWA_WA_ID)),
        (2, pseudonym(PYWA_BSUID)),
    ]
    assert audit_of(con, path) == Counts(2, 2, 0, 0, 0)


def test_one_body_with_several_entries_changes_and_messages(
    con: duckdb.DuckDBPyConnection, fixture_landing: Path
) -> None:
    payloads = {name: json.loads(body) for name, body in pywa_bodies()}
    picked = ["message:text", "message:video", "message_status:sent", "outgoing_message:text"]
    entries = [payloads[name]["entry"][0] for name in picked]
    # Two entries: the first with the two messages in one change plus a status change,
    # the second with the echo change.
    first = copy.deepcopy(entries[0])
    first["changes"][0]["value"]["messages"] += entries[1]["changes"][0]["value"]["messages"]
    first["changes"].append(entries[2]["changes"][0])
    body = {"object": "whatsapp_business_account", "entry": [first, entries[3]]}
    path = write_lines(fixture_landing, "whatsapp", FIXTURE_DAY, "a.jsonl", [body])
    load(con, fixture_landing, FIXTURE_DAY)

    # 2 messages (text, video: distinct seconds), 1 status, 1 echo.
    assert audit_of(con, path) == Counts(
        records=4, loaded=2, skipped=2, duplicates=0, quarantined=0
    )
    assert rows(con, "select message_type from raw.whatsapp_messages order by 1") == [
        ("text",),
        ("video",),
    ]


def test_redelivered_body_is_a_duplicate_in_file_across_files_and_days(
    con: duckdb.DuckDBPyConnection, fixture_landing: Path
) -> None:
    text = dict(pywa_bodies())["message:text"]
    day_two = date(2025, 8, 2)
    first = write_lines(fixture_landing, "whatsapp", FIXTURE_DAY, "a.jsonl", [text, text])
    second = write_lines(fixture_landing, "whatsapp", FIXTURE_DAY, "b.jsonl", [text])
    third = write_lines(fixture_landing, "whatsapp", day_two, "a.jsonl", [text])
    load(con, fixture_landing, FIXTURE_DAY)
    load(con, fixture_landing, day_two)

    assert audit_of(con, first) == Counts(2, 1, 0, 1, 0)
    assert audit_of(con, second) == Counts(1, 0, 0, 1, 0)
    assert audit_of(con, third) == Counts(1, 0, 0, 1, 0)
    assert rows(con, "select source_file, line_number from raw.whatsapp_messages") == [
        (str(first), 1)
    ]
