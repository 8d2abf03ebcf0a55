"""Helpers of the ingest tests: landing files written line by line, loads, audit rows, and
the assistants and ids of the fixtures' real payloads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from orchestration.ingest import LoadSummary, ingest, load_assistants
from orchestration.pseudonym import pseudonymize
from orchestration.warehouse import ensure_raw_schema
from tests.support.fixture_landing import write_assistants

KEY = b"ingest-test-key"
DAY = date(2026, 1, 5)
ASSISTANT = "acme-support"
PHONE_NUMBER_ID = "106540352242922"
ASSISTANTS = [
    (ASSISTANT, "Acme Support", "Europe/Madrid", PHONE_NUMBER_ID),
    ("globex-sales", "Globex Sales", "America/New_York", ""),
]
SENT, OPENED, RECEIVED = "Chat Message Sent", "Chat Widget Opened", "Chat Message Received"

Line = str | bytes | dict[str, Any]


class Counts(NamedTuple):
    """One file's audit: records = loaded + skipped + duplicates + quarantined."""

    records: int
    loaded: int
    skipped: int
    duplicates: int
    quarantined: int


def web_event(message_id: str, event: str = SENT, **fields: Any) -> dict[str, Any]:
    """A Segment `track` event of the chat widget, as the web channel sends it."""
    return {
        "type": "track",
        "event": event,
        "messageId": message_id,
        "anonymousId": f"anon-{message_id}",
        "timestamp": "2026-01-05T10:00:00.120Z",
        "properties": {"assistant_id": ASSISTANT, "text": "Hola"},
        "context": {"ip": "203.0.113.9"},
        **fields,
    }


def wa_message(message_id: str, wa_id: str = "34600111222", **fields: Any) -> dict[str, Any]:
    """One user message of a WhatsApp webhook body (timestamp: 2026-01-05T10:00:00Z)."""
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": "1767607200",
        "type": "text",
        "text": {"body": "hola"},
        **fields,
    }


def wa_body(
    messages: list[Any], phone_number_id: Any = PHONE_NUMBER_ID, **value: Any
) -> dict[str, Any]:
    """A WhatsApp Cloud API webhook body with one entry and one `messages` change."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1054569573275004",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "34800242922",
                                "phone_number_id": phone_number_id,
                            },
                            "messages": messages,
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def encode(line: Line) -> bytes:
    if isinstance(line, dict):
        return json.dumps(line, ensure_ascii=False).encode()
    return line.encode() if isinstance(line, str) else line


def write_lines(landing: Path, channel: str, day: date, name: str, lines: Iterable[Line]) -> Path:
    """Write one landing file (newline-terminated lines) under `<channel>/dt=<day>/`."""
    folder = landing / channel / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"".join(encode(line) + b"\n" for line in lines))
    return path


def new_landing(root: Path, assistants: list[tuple[str, str, str, str]] = ASSISTANTS) -> Path:
    landing = root / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    write_assistants(landing, assistants)
    return landing


def load(con: duckdb.DuckDBPyConnection, landing: Path, *days: date) -> LoadSummary:
    """Load the days as a run does: the assistants (their own asset), then the raw files."""
    ensure_raw_schema(con)
    load_assistants(con, str(landing))
    return ingest(con, str(landing), list(days), KEY)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list:
    return con.execute(sql, params or []).fetchall()


def audit_of(con: duckdb.DuckDBPyConnection, path: Path) -> Counts:
    found = rows(
        con,
        "select records, loaded, skipped, duplicates, quarantined from raw.load_audit "
        "where source_file = ?",
        [str(path)],
    )
    assert len(found) == 1, f"expected one audit row for {path}, got {found}"
    return Counts(*found[0])


def quarantine_of(con: duckdb.DuckDBPyConnection, path: Path) -> dict[int | None, str]:
    """line number -> reason of the file's quarantined records."""
    found = rows(
        con,
        "select line_number, reason from raw.quarantine where source_file = ? order by all",
        [str(path)],
    )
    reasons = dict(found)
    assert len(reasons) == len(found), f"several quarantined records on one line: {found}"
    return reasons


def loaded_web_ids(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    """messageId -> line number of the file's rows in raw.web_events."""
    return dict(
        rows(
            con,
            "select message_id, line_number from raw.web_events where source_file = ?",
            [str(path)],
        )
    )


def assert_counts_add_up(con: duckdb.DuckDBPyConnection) -> None:
    """Every audit row adds up, and matches the rows that raw and the quarantine hold."""
    bad = rows(
        con,
        """
        select a.source_file, a.records, a.loaded, a.skipped, a.duplicates, a.quarantined,
            (select count(*) from raw.quarantine as q where q.source_file = a.source_file),
            (select count(*) from raw.web_events as w where w.source_file = a.source_file)
            + (select count(*) from raw.whatsapp_messages as m
               where m.source_file = a.source_file)
        from raw.load_audit as a
        """,
    )
    for file, records, loaded, skipped, duplicates, quarantined, in_quarantine, in_raw in bad:
        assert loaded + skipped + duplicates + quarantined == records, file
        assert in_quarantine == quarantined, file
        assert in_raw == loaded, file


# --------------------------------------------------------------------------- the fixtures' payloads

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


def pseudonym(wa_id: str) -> str:
    return pseudonymize(KEY, wa_id)


# --------------------------------------------------------------------------- hostile lines


def is_blank(line: bytes) -> bool:
    return line.strip(b" \t") == b""


def good_line(channel: str, name: str) -> bytes:
    if channel == "web":
        return encode(web_event(name))
    return encode(wa_body([wa_message(f"wamid.{name}")]))


def loaded_lines(con: duckdb.DuckDBPyConnection, channel: str, path: Path) -> dict[int, str]:
    """line number -> message id of the file's rows in raw."""
    table = "raw.web_events" if channel == "web" else "raw.whatsapp_messages"
    return dict(
        rows(con, f"select line_number, message_id from {table} where source_file = ?", [str(path)])
    )
