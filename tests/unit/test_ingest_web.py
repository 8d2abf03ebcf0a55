"""Ingest (landing zone -> raw schema) of hand-written web lines: Segment's event types, bad
lines, de-duplication by message id, and a warehouse from before message keys.

The unit under test is `orchestration.ingest.ingest`, called directly on a real DuckDB file in
a temp folder; expected counts come from SPEC §1.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.warehouse import connect, message_key_sql
from tests.support.fixture_landing import SEGMENT
from tests.support.ingest_support import (
    ASSISTANT,
    DAY,
    OPENED,
    RECEIVED,
    SENT,
    Counts,
    audit_of,
    load,
    loaded_web_ids,
    quarantine_of,
    rows,
    web_event,
    write_lines,
)

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
