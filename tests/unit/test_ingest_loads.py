"""Ingest (landing zone -> raw schema) over several loads: idempotent re-loads, ranges in
chunks or in another order, timestamps around the arrival day, good lines next to bad ones,
per-file counts; and one test through the real `chatwh run` subprocess.

The unit under test is `orchestration.ingest.ingest`, called directly on a real DuckDB file in
a temp folder; expected counts come from the fixtures' SOURCE.md files and SPEC §1.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration.ingest import ingest, load_assistants
from orchestration.pseudonym import pseudonymize
from orchestration.warehouse import connect, ensure_raw_schema
from tests.conftest import TEST_KEY, Deployment
from tests.support.fixture_landing import java_bodies, pywa_bodies, write_whatsapp_landing
from tests.support.ingest_support import (
    DAY,
    FIXTURE_ASSISTANTS,
    FIXTURE_DAY,
    JAVA_BUSINESS_PHONE,
    JAVA_WA_ID,
    KEY,
    OPENED,
    PYWA_WA_ID,
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
