"""Ingest (landing zone -> raw schema) on the real payloads and on hand-written web lines.

The unit under test is `orchestration.ingest.ingest`, called directly on a real DuckDB file in
a temp folder; one test goes through the real `chatwh run` subprocess. Expected counts come
from the fixtures' SOURCE.md files and SPEC §1, and are cross-checked against a plain Python
reading of the same payloads.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.ingest import ingest, load_assistants
from orchestration.pseudonym import pseudonymize
from orchestration.warehouse import connect, ensure_raw_schema, message_key_sql
from tests.conftest import TEST_KEY, Deployment
from tests.support.fixture_landing import (
    SEGMENT,
    java_bodies,
    pywa_bodies,
    write_whatsapp_landing,
)
from tests.support.ingest_support import (
    ASSISTANT,
    DAY,
    KEY,
    OPENED,
    RECEIVED,
    SENT,
    Counts,
    assert_counts_add_up,
    audit_of,
    load,
    loaded_web_ids,
    new_landing,
    quarantine_of,
    rows,
    wa_body,
    wa_message,
    web_event,
    write_lines,
)

# After the payloads' last timestamp (1753851315 = 2025-07-30): no payload lies in the future.
FIXTURE_DAY = date(2025, 8, 1)
FIXTURE_ASSISTANTS = [
    ("pywa-demo", "Pywa Demo", "Asia/Jerusalem", "1122334455667"),  # the pywa payloads
    ("acme-support", "Acme Support", "Europe/Madrid", "106540352242922"),  # edited_message
    ("java-demo", "Java Demo", "America/Sao_Paulo", "409552778964973"),  # the java payloads
    # audioMessage.json and documentMessage.json were anonymised down to this phone_number_id
    ("java-anonymised", "Java Anonymised", "America/Sao_Paulo", "1111111111111"),
]  # pywa's `<BUSINESS_PHONE_NUMBER_ID>` placeholder (deleted_message.json) names no assistant
NOT_INTERACTIONS = {"system", "request_welcome"}
PYWA_WA_ID = "972987654321"
PYWA_BSUID = "US.13491208655302741918"
JAVA_WA_ID = "1111111111111"
JAVA_BUSINESS_PHONE = "409552778964973"  # textMessage2.json's `from`
JAVA_REUSED_WAMID = "wamid.nBgN6TUyN2k5NzAzM5kzNhUCABI8FDNFQjAxQkE5REI4NEUzQ5Y5QTNgAA=="


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return new_landing(tmp_path)


@pytest.fixture
def fixture_landing(tmp_path: Path) -> Path:
    return new_landing(tmp_path, FIXTURE_ASSISTANTS)


def pseudonym(wa_id: str) -> str:
    return pseudonymize(KEY, wa_id)


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


# --------------------------------------------------------------------------- web lines


def test_web_track_page_identify_chat_events_and_bad_lines(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    def without(field: str, message_id: str) -> dict[str, Any]:
        event = web_event(message_id)
        if field == "properties.assistant_id":
            del event["properties"]["assistant_id"]
        else:
            del event[field]
        return event

    # (line, what must happen: "loaded", "skipped" or a word of the quarantine reason)
    cases: list[tuple[dict[str, Any], str]] = [
        (web_event("sent-z"), "loaded"),
        (web_event("opened", OPENED), "skipped"),
        (web_event("received", RECEIVED), "skipped"),
        (web_event("closed", "Chat Widget Closed"), "skipped"),
        ({**web_event("page"), "type": "page", "name": "Help Center"}, "skipped"),
        ({**web_event("identify"), "type": "identify", "traits": {"plan": "free"}}, "skipped"),
        (without("type", "no-type"), "type"),
        (without("event", "no-event"), "event"),
        (without("messageId", "no-message-id"), "messageId"),
        (without("anonymousId", "no-anonymous-id"), "anonymousId"),
        (without("timestamp", "no-timestamp"), "timestamp"),
        (without("properties.assistant_id", "no-assistant"), "assistant_id"),
        (web_event("no-offset", timestamp="2026-01-05T10:00:00"), "timestamp"),
        (web_event("date-only", timestamp="2026-01-05"), "timestamp"),
        (web_event("ghost", properties={"assistant_id": "ghost-assistant"}), "assistant"),
        (web_event("sent-offset", timestamp="2026-01-05T11:00:00.120+01:00"), "loaded"),
        (web_event("sent-no-millis", timestamp="2026-01-05T10:00:00Z"), "loaded"),
    ]
    path = write_lines(landing, "web", DAY, "events.jsonl", [line for line, _ in cases])
    load(con, landing, DAY)

    expected_loaded = {
        case["messageId"]: number
        for number, (case, want) in enumerate(cases, 1)
        if want == "loaded"
    }
    assert loaded_web_ids(con, path) == expected_loaded
    reasons = quarantine_of(con, path)
    expected_quarantine = {
        number: want
        for number, (_, want) in enumerate(cases, 1)
        if want not in ("loaded", "skipped")
    }
    assert set(reasons) == set(expected_quarantine)
    for number, word in expected_quarantine.items():
        assert word.lower() in reasons[number].lower(), (number, reasons[number])
    skipped = sum(want == "skipped" for _, want in cases)
    assert audit_of(con, path) == Counts(
        len(cases), len(expected_loaded), skipped, 0, len(expected_quarantine)
    )
    # Offsets are converted to UTC (11:00:00.120+01:00 is 10:00:00.120Z).
    assert (
        rows(
            con,
            "select occurred_at from raw.web_events where message_id in ('sent-z', 'sent-offset')",
        )
        == [(datetime(2026, 1, 5, 10, 0, 0, 120000),)] * 2
    )


def _segment_events() -> list[dict[str, Any]]:
    """Every event of the Segment SDK's batch fixtures, in file order."""
    return [
        event
        for path in sorted(SEGMENT.glob("*.json"))
        for event in json.loads(path.read_text())["batch"]
    ]


def test_segment_sdk_events_as_lines(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    events = _segment_events()
    tracks = [event for event in events if event["type"] == "track"]
    assert (len(events), len(tracks)) == (14, 9)  # SOURCE.md
    path = write_lines(landing, "web", DAY, "segment.jsonl", events)
    load(con, landing, DAY)

    # identify, page, screen, group and alias are skipped; the tracks carry no anonymousId
    # (SOURCE.md) nor properties.assistant_id: each misses a required field.
    assert audit_of(con, path) == Counts(14, 0, 5, 0, 9)
    for reason in quarantine_of(con, path).values():
        assert "anonymousId" in reason or "assistant_id" in reason


def test_segment_message_ids_are_the_web_dedup_key(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    tracks = [
        {
            **event,
            "event": SENT,
            "anonymousId": event["userId"],
            "properties": {**event["properties"], "assistant_id": ASSISTANT},
        }
        for event in _segment_events()
        if event["type"] == "track"
    ]
    path = write_lines(landing, "web", DAY, "segment.jsonl", tracks)
    load(con, landing, DAY)

    # 8 tracks share messageId "I'm unique" (with a quote), one uses "abc" (SOURCE.md).
    distinct = {event["messageId"] for event in tracks}
    assert distinct == {"I'm unique", "abc"}
    assert audit_of(con, path) == Counts(9, 2, 0, 7, 0)
    assert loaded_web_ids(con, path) == {
        "I'm unique": 1,
        "abc": 1 + [event["messageId"] for event in tracks].index("abc"),
    }


def test_web_duplicates_in_a_file_across_files_and_across_days(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    day_two = date(2026, 1, 6)
    a = write_lines(landing, "web", DAY, "a.jsonl", [web_event(i) for i in ("m1", "m2", "m1")])
    b = write_lines(landing, "web", DAY, "b.jsonl", [web_event(i) for i in ("m2", "m3")])
    c = write_lines(landing, "web", day_two, "a.jsonl", [web_event(i) for i in ("m1", "m4")])
    load(con, landing, DAY)
    load(con, landing, day_two)

    assert audit_of(con, a) == Counts(3, 2, 0, 1, 0)
    assert audit_of(con, b) == Counts(2, 1, 0, 1, 0)
    assert audit_of(con, c) == Counts(2, 1, 0, 1, 0)  # m1 was loaded on an earlier day
    assert rows(
        con, "select message_id, arrival_date, source_file, line_number from raw.web_events "
        "order by 1"
    ) == [
        ("m1", DAY, str(a), 1), ("m2", DAY, str(a), 2), ("m3", DAY, str(b), 2),
        ("m4", day_two, str(c), 2),
    ]  # fmt: skip


def test_web_ids_are_compared_where_their_keys_match(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    """message_key only narrows the search: a new id whose key some loaded id shares (a
    64-bit collision, made here by hand) still loads, and a repeated id is still a duplicate."""
    day_two = date(2026, 1, 6)
    write_lines(landing, "web", DAY, "a.jsonl", [web_event("m1"), web_event("m2")])
    later = write_lines(landing, "web", day_two, "b.jsonl", [web_event("m3"), web_event("m1")])
    load(con, landing, DAY)
    collision = message_key_sql("'m3'")
    con.execute(f"update raw.web_events set message_key = {collision} where message_id = 'm2'")
    load(con, landing, day_two)

    assert audit_of(con, later) == Counts(2, 1, 0, 1, 0)
    assert loaded_web_ids(con, later) == {"m3": 1}


def test_a_warehouse_from_before_message_keys_gets_them(tmp_path: Path, landing: Path) -> None:
    day_two = date(2026, 1, 6)
    warehouse = tmp_path / "warehouse.duckdb"
    write_lines(landing, "web", DAY, "a.jsonl", [web_event("m1"), web_event("m2")])
    later = write_lines(landing, "web", day_two, "b.jsonl", [web_event("m2"), web_event("m3")])
    with connect(warehouse) as con:
        load(con, landing, DAY)
        con.execute("alter table raw.web_events drop column message_key")  # the old shape
    with connect(warehouse) as con:
        load(con, landing, day_two)
        assert audit_of(con, later) == Counts(2, 1, 0, 1, 0)  # m2 found among the old rows
        assert rows(
            con,
            f"select message_id, message_key = {message_key_sql('message_id')} "
            "from raw.web_events order by 1",
        ) == [("m1", True), ("m2", True), ("m3", True)]


RAW_SNAPSHOT = {
    "raw.web_events": "select * exclude (loaded_at) from raw.web_events order by all",
    "raw.whatsapp_messages": "select * exclude (loaded_at) from raw.whatsapp_messages order by all",
    "raw.quarantine": "select * exclude (quarantined_at) from raw.quarantine order by all",
    "raw.load_audit": "select * exclude (loaded_at) from raw.load_audit order by all",
}


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {table: rows(con, sql) for table, sql in RAW_SNAPSHOT.items()}


def _two_days_of_mixed_lines(landing: Path) -> date:
    day_two = date(2026, 1, 6)
    write_lines(landing, "web", DAY, "a.jsonl", [
        web_event("m1"), web_event("m2", OPENED), "not json", web_event("m1"),
    ])  # fmt: skip
    write_lines(landing, "web", day_two, "a.jsonl", [web_event("m1"), web_event("m3")])
    write_lines(landing, "whatsapp", DAY, "a.jsonl", [
        wa_body([wa_message("wamid.1"), wa_message("wamid.2", "34600999888")]), "{",
    ])  # fmt: skip
    write_lines(landing, "whatsapp", day_two, "a.jsonl", [wa_body([wa_message("wamid.1")])])
    return day_two


def test_reloading_days_is_idempotent(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    day_two = _two_days_of_mixed_lines(landing)
    load(con, landing, DAY)
    load(con, landing, day_two)
    once = snapshot(con)
    assert len(once["raw.web_events"]) == 2 and len(once["raw.whatsapp_messages"]) == 2

    load(con, landing, DAY)
    assert snapshot(con) == once
    load(con, landing, day_two)
    load(con, landing, DAY, day_two)
    assert snapshot(con) == once


def test_a_range_loaded_in_chunks_equals_one_load(
    con: duckdb.DuckDBPyConnection, landing: Path, tmp_path: Path
) -> None:
    """A long range is loaded in chunks of days, one transaction each; a message repeated
    in a later chunk is a duplicate of the one loaded by an earlier chunk."""
    day_two = _two_days_of_mixed_lines(landing)
    whole = load(con, landing, DAY, day_two)
    expected = snapshot(con)

    with connect(tmp_path / "chunked.duckdb") as chunked:
        ensure_raw_schema(chunked)
        load_assistants(chunked, str(landing))  # as the run's raw_assistants asset does
        summary = ingest(chunked, str(landing), [DAY, day_two], KEY, chunk_bytes=1)
        assert snapshot(chunked) == expected  # m1 again on day two: a duplicate there
        assert summary == whole
        assert_counts_add_up(chunked)


def test_loading_days_in_another_order_keeps_each_interaction_once(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    day_two = _two_days_of_mixed_lines(landing)
    load(con, landing, day_two)
    load(con, landing, DAY)

    assert rows(con, "select message_id, count(*) from raw.web_events group by 1 order by 1") == [
        ("m1", 1), ("m3", 1)
    ]  # fmt: skip
    assert rows(
        con, "select message_id, count(*) from raw.whatsapp_messages group by 1 order by 1"
    ) == [("wamid.1", 1), ("wamid.2", 1)]
    assert_counts_add_up(con)


def test_timestamps_around_the_arrival_day(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    cases = [
        ("late", "2026-01-01T08:00:00Z", True),  # days before its dt: a late event
        ("last-second", "2026-01-06T23:59:59Z", True),
        ("boundary", "2026-01-07T00:00:00Z", True),  # exactly one day after the dt's end
        ("too-late", "2026-01-07T00:00:00.001Z", False),  # more than one day after
        ("far-future", "2099-01-01T00:00:00Z", False),
    ]
    path = write_lines(
        landing, "web", DAY, "a.jsonl", [web_event(i, timestamp=t) for i, t, _ in cases]
    )
    load(con, landing, DAY)

    assert set(loaded_web_ids(con, path)) == {i for i, _, ok in cases if ok}
    reasons = quarantine_of(con, path)
    assert sorted(reasons) == [4, 5]
    assert all("after" in reason for reason in reasons.values())


def test_good_lines_next_to_bad_ones_still_load(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    bad: list[str | bytes | dict[str, Any]] = [
        "not json",
        b"\xff\xfe",
        "[]",
        web_event("x", messageId=7),
        "{",
        "null",
    ]
    lines: list[str | bytes | dict[str, Any]] = []
    for number, line in enumerate(bad):
        lines += [web_event(f"good-{number}"), line]
    lines.append(web_event("good-last"))
    web = write_lines(landing, "web", DAY, "a.jsonl", lines)
    whatsapp = write_lines(landing, "whatsapp", DAY, "a.jsonl", [
        wa_body([wa_message("wamid.good-1")]), "{", wa_body([wa_message("wamid.good-2")]),
        wa_body([wa_message("wamid.bad", timestamp=1767607200)]),
        wa_body([wa_message("wamid.good-3")]),
    ])  # fmt: skip
    load(con, landing, DAY)

    assert loaded_web_ids(con, web) == {
        f"good-{number}": 2 * number + 1 for number in range(len(bad))
    } | {"good-last": len(lines)}
    assert sorted(quarantine_of(con, web)) == [2 * number + 2 for number in range(len(bad))]
    assert rows(con, "select message_id, line_number from raw.whatsapp_messages order by 2") == [
        ("wamid.good-1", 1), ("wamid.good-2", 3), ("wamid.good-3", 5)
    ]  # fmt: skip
    assert sorted(quarantine_of(con, whatsapp)) == [2, 4]


def test_per_file_counts_add_up_and_match_the_summary(
    con: duckdb.DuckDBPyConnection, fixture_landing: Path
) -> None:
    write_whatsapp_landing(fixture_landing, FIXTURE_DAY.isoformat(), pywa_bodies())
    java = java_bodies()
    write_lines(fixture_landing, "whatsapp", FIXTURE_DAY, "java.jsonl", [b for _, b in java])
    at = {"timestamp": "2025-07-31T10:00:00Z"}
    web_lines = [
        web_event("w1", **at), "", web_event("w2", OPENED, **at), "oops", web_event("w1", **at),
        "  ",
    ]  # fmt: skip
    web = write_lines(fixture_landing, "web", FIXTURE_DAY, "a.jsonl", web_lines)
    write_lines(fixture_landing, "web", FIXTURE_DAY, "empty.jsonl", [])
    summary = load(con, fixture_landing, FIXTURE_DAY)

    assert_counts_add_up(con)
    # Blank lines are nothing: 4 records in the web file.
    assert audit_of(con, web) == Counts(records=4, loaded=1, skipped=1, duplicates=1, quarantined=1)
    for channel, counts in summary.channels.items():
        totals = rows(
            con,
            "select count(*), sum(records), sum(loaded), sum(skipped), sum(duplicates), "
            "sum(quarantined) from raw.load_audit where channel = ?",
            [channel],
        )[0]
        assert (
            counts.files, counts.records, counts.loaded, counts.skipped, counts.duplicates,
            counts.quarantined,
        ) == totals  # fmt: skip
    assert summary.channels["whatsapp"].records == 75 + 25
    assert summary.channels["web"].files == 2


# --------------------------------------------------------------------------- chatwh run


def test_chatwh_run_loads_the_real_payloads(deployment: Deployment) -> None:
    new_landing(deployment.root, FIXTURE_ASSISTANTS)
    write_whatsapp_landing(deployment.landing, FIXTURE_DAY.isoformat(), pywa_bodies())
    java = [body for _, body in java_bodies()]
    write_lines(deployment.landing, "whatsapp", FIXTURE_DAY, "java.jsonl", java)
    web = [web_event("w1", timestamp="2025-07-31T10:00:00Z"), "not json"]
    write_lines(deployment.landing, "web", FIXTURE_DAY, "a.jsonl", web)

    result = deployment.run("--date", FIXTURE_DAY.isoformat())

    # pywa 75 records (25 loaded, 41 skipped, 8 duplicates, 1 quarantined), java 25 records
    # (12, 12, 0, 1), web 2 records (1 loaded, 1 quarantined).
    assert (
        "1 days, 3 files, 102 records: 38 loaded, 53 skipped, 8 duplicates, 3 quarantined"
        in result.stdout
    )
    assert "Traceback" not in result.stdout + result.stderr
    customers = deployment.query(
        "select assistant_id, channel, user_id from marts.customers order by all"
    )
    key = TEST_KEY.encode()
    assert customers == sorted([
        ("acme-support", "web", "anon-w1"),
        ("acme-support", "whatsapp", pseudonymize(key, "16505551234")),
        ("java-anonymised", "whatsapp", pseudonymize(key, JAVA_WA_ID)),
        ("java-demo", "whatsapp", pseudonymize(key, JAVA_BUSINESS_PHONE)),
        ("java-demo", "whatsapp", pseudonymize(key, JAVA_WA_ID)),
        ("pywa-demo", "whatsapp", pseudonymize(key, PYWA_WA_ID)),
    ])  # fmt: skip
