"""Hostile landing files: every bad line is quarantined with a reason, its neighbours load.

The corpus is tests/fixtures/nasty (see its README for the `_expect` convention); lines of
several MB are generated here; empty, broken and CRLF files, SQL quotes. `ingest` runs on a
real DuckDB file and must never raise.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import MAX_LINE_BYTES
from orchestration.pseudonym import pseudonymize
from tests.support.fixture_landing import FIXTURES
from tests.support.ingest_support import (
    DAY,
    KEY,
    Counts,
    assert_counts_add_up,
    audit_of,
    encode,
    good_line,
    is_blank,
    load,
    loaded_lines,
    quarantine_of,
    rows,
    wa_body,
    wa_message,
    web_event,
    write_lines,
)

NASTY = FIXTURES / "nasty"
DEFAULT_EXPECT = {"not-utf8": "utf-8", "not-json": "json", "deep-nesting": "json"}
EXPECT = re.compile(rb'^\{"_expect":"([^"]+)"')
WHOLE_FILES = ("empty.jsonl", "empty.jsonl.gz", "blank-lines.jsonl")
BROKEN_FILES = ("truncated.jsonl.gz", "not-gzip.jsonl.gz")


@dataclass(frozen=True)
class Sandwich:
    """A corpus file's lines between good ones, and what must become of every line."""

    lines: list[bytes]
    good: dict[int, str]  # line number -> message id of a good neighbour
    expect: dict[int, str]  # line number -> "loaded", "skipped" or a word of the reason


def sandwich(channel: str, corpus_file: Path) -> Sandwich:
    nasty = [line for line in corpus_file.read_bytes().split(b"\n") if not is_blank(line)]
    assert nasty, f"{corpus_file} holds no line"
    lines: list[bytes] = []
    good: dict[int, str] = {}
    expect: dict[int, str] = {}
    for number, line in enumerate([*nasty, None]):
        name = f"good-{corpus_file.stem}-{number}"
        lines.append(good_line(channel, name))
        good[len(lines)] = name if channel == "web" else f"wamid.{name}"
        if line is not None:
            lines.append(line)
            found = EXPECT.match(line)
            expect[len(lines)] = (
                found.group(1).decode() if found else DEFAULT_EXPECT[corpus_file.stem]
            )
    return Sandwich(lines, good, expect)


def corpus_files() -> list[tuple[str, Path]]:
    return [
        (channel, path)
        for channel in ("web", "whatsapp")
        for path in sorted((NASTY / channel).glob("*.jsonl"))
        if path.name not in WHOLE_FILES
    ]


@pytest.mark.parametrize(
    ("channel", "corpus_file"), corpus_files(), ids=lambda value: getattr(value, "stem", value)
)
def test_every_nasty_line_meets_its_fate_and_neighbours_load(
    con: duckdb.DuckDBPyConnection, landing: Path, channel: str, corpus_file: Path
) -> None:
    case = sandwich(channel, corpus_file)
    path = write_lines(landing, channel, DAY, corpus_file.name, case.lines)
    load(con, landing, DAY)

    loaded = loaded_lines(con, channel, path)
    for number, message_id in case.good.items():
        assert loaded.get(number) == message_id, f"good neighbour on line {number}"
    expected_loaded = {n for n, want in case.expect.items() if want == "loaded"}
    assert set(loaded) - set(case.good) == expected_loaded
    for number in expected_loaded:  # stored verbatim: the id is in the line as JSON text
        assert json.dumps(loaded[number], ensure_ascii=False).encode() in case.lines[number - 1]

    reasons = quarantine_of(con, path)
    wanted = {n: w for n, w in case.expect.items() if w not in ("loaded", "skipped")}
    assert set(reasons) == set(wanted)
    for number, word in wanted.items():
        assert word.lower() in reasons[number].lower(), (number, reasons[number])

    skipped = sum(want == "skipped" for want in case.expect.values())
    assert audit_of(con, path) == Counts(
        records=len(case.lines), loaded=len(loaded), skipped=skipped, duplicates=0,
        quarantined=len(wanted),
    )  # fmt: skip


@pytest.mark.parametrize("channel", ["web", "whatsapp"])
def test_empty_broken_and_gzip_files(
    con: duckdb.DuckDBPyConnection, landing: Path, channel: str
) -> None:
    folder = landing / channel / f"dt={DAY.isoformat()}"
    neighbours = write_lines(
        landing, channel, DAY, "neighbours.jsonl", [good_line(channel, f"n{i}") for i in range(3)]
    )
    for name in WHOLE_FILES + BROKEN_FILES:
        shutil.copyfile(NASTY / channel / name, folder / name)
    summary = load(con, landing, DAY)

    for name in WHOLE_FILES:
        assert audit_of(con, folder / name) == Counts(0, 0, 0, 0, 0), name
        assert quarantine_of(con, folder / name) == {}
    for name in BROKEN_FILES:
        assert audit_of(con, folder / name) == Counts(1, 0, 0, 0, 1), name
        ((line_number, reason),) = quarantine_of(con, folder / name).items()
        assert line_number is None and "cannot be read" in reason
    assert audit_of(con, neighbours) == Counts(3, 3, 0, 0, 0)
    assert summary.channels[channel].files == 1 + len(WHOLE_FILES) + len(BROKEN_FILES)


def test_lines_of_several_megabytes(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    big_text = "Hola " * 1_000_000  # 5 MB
    lines = [
        web_event("g1"), web_event("big", properties={"assistant_id": "acme-support",
                                                      "text": big_text}),
        web_event("g2"), "x" * 5_000_000, web_event("g3"), "y" * (MAX_LINE_BYTES + 1),
        web_event("g4"),
    ]  # fmt: skip
    web = write_lines(landing, "web", DAY, "big.jsonl", lines)
    body = wa_body([wa_message("wamid.big", text={"body": big_text})])
    whatsapp = write_lines(landing, "whatsapp", DAY, "big.jsonl", ["{" * 3_000_000, body])
    load(con, landing, DAY)

    assert loaded_lines(con, "web", web) == {1: "g1", 2: "big", 3: "g2", 5: "g3", 7: "g4"}
    reasons = quarantine_of(con, web)
    assert sorted(reasons) == [4, 6]
    assert "json" in reasons[4].lower() and "cannot be read" in reasons[6]
    assert loaded_lines(con, "whatsapp", whatsapp) == {2: "wamid.big"}
    assert list(quarantine_of(con, whatsapp)) == [1]
    # The raw line never enters the quarantine: only its size and hash.
    ((longest,),) = rows(
        con, "select max(strlen(coalesce(record::varchar, ''))) from raw.quarantine"
    )
    assert longest < 1000
    assert_counts_add_up(con)


def test_line_numbers_stay_exact_in_a_large_file(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    lines: list[bytes] = []
    for number in range(1, 40_001):
        if number % 997 == 0:
            lines.append(b"\xff not utf-8")
        elif number % 1009 == 0:
            lines.append(b"not json")
        elif number % 499 == 0:
            lines.append(b"")
        else:
            lines.append(encode(web_event(f"m{number}")))
    path = write_lines(landing, "web", DAY, "large.jsonl", lines)
    load(con, landing, DAY)

    assert rows(
        con,
        "select count(*), count(*) filter (where message_id <> 'm' || line_number) "
        "from raw.web_events",
    ) == [(sum(line.startswith(b"{") for line in lines), 0)]
    bad = [n for n, line in enumerate(lines, 1) if line and not line.startswith(b"{")]
    assert sorted(quarantine_of(con, path)) == bad


def _crlf_file(landing: Path) -> Path:
    lines = [encode(web_event(f"m{n}")) for n in range(1, 4)] + [b"not json"]
    folder = landing / "web" / f"dt={DAY.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "windows.jsonl"
    path.write_bytes(b"".join(line + b"\r\n" for line in lines))
    return path


def test_crlf_files_load_every_line(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    path = _crlf_file(landing)
    load(con, landing, DAY)

    assert audit_of(con, path) == Counts(4, 3, 0, 0, 1)
    assert sorted(loaded_lines(con, "web", path).values()) == ["m1", "m2", "m3"]


def test_crlf_files_keep_their_line_numbers(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    path = _crlf_file(landing)
    load(con, landing, DAY)

    assert loaded_lines(con, "web", path) == {1: "m1", 2: "m2", 3: "m3"}
    assert list(quarantine_of(con, path)) == [4]


def test_sql_quotes_do_no_harm(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    for channel in ("web", "whatsapp"):
        folder = landing / channel / f"dt={DAY.isoformat()}"
        folder.mkdir(parents=True)
        shutil.copyfile(NASTY / channel / "sql-quotes.jsonl", folder / "quotes.jsonl")
    load(con, landing, DAY)
    load(con, landing, DAY)  # a reload deletes and re-inserts the same rows

    assert rows(con, "select count(*) from raw.web_events") == [(5,)]
    assert rows(con, "select message_id from raw.whatsapp_messages order by 1")[0] == (
        "wamid.'; drop table raw.whatsapp_messages; --",
    )
    users = {row[0] for row in rows(con, "select user_id from raw.whatsapp_messages")}
    assert users == {
        pseudonymize(KEY, "34600111222"),
        pseudonymize(KEY, "34600'); drop table raw.erasures; --"),
    }
    assert rows(con, "select count(*) from raw.erasures") == [(0,)]
    assert_counts_add_up(con)
