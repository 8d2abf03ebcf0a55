"""Hostile landing files: every bad line is quarantined with a reason, its neighbours load.

The corpus is tests/fixtures/nasty (see its README for the `_expect` convention); lines of
several MB are generated here; a hypothesis fuzz test mixes random lines with good ones.
`ingest` runs on a real DuckDB file and must never raise.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.ingest import MAX_LINE_BYTES
from orchestration.pseudonym import pseudonymize
from orchestration.warehouse import connect
from tests.support.fixture_landing import FIXTURES
from tests.support.ingest_support import (
    DAY,
    KEY,
    Counts,
    assert_counts_add_up,
    audit_of,
    encode,
    load,
    new_landing,
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


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return new_landing(tmp_path)


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


# --------------------------------------------------------------------------- fuzzing

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Random bytes without line breaks (a bare CR breaks a line too: the reader's new-line
# detection takes CR, LF and CRLF).
RANDOM_BYTES = st.binary(min_size=1, max_size=120).map(
    lambda raw: raw.replace(b"\n", b" ").replace(b"\r", b" ")
)


def _mutated(base: dict[str, Any], paths: list[list[str]]) -> st.SearchStrategy[bytes]:
    """A good record with one field replaced by a random JSON value, or removed."""

    def mutate(path: list[str], value: Any, remove: bool) -> bytes:
        record = json.loads(json.dumps(base))
        holder = record
        for key in path[:-1]:
            holder = holder[key] if isinstance(holder, dict) else holder[int(key)]
        if remove:
            holder.pop(path[-1] if isinstance(holder, dict) else int(path[-1]))
        elif isinstance(holder, dict):
            holder[path[-1]] = value
        else:
            holder[int(path[-1])] = value
        return encode(record)

    return st.builds(mutate, st.sampled_from(paths), JSON_VALUES, st.booleans())


WEB_PATHS = [["type"], ["event"], ["messageId"], ["anonymousId"], ["timestamp"], ["properties"],
             ["properties", "assistant_id"]]  # fmt: skip
MESSAGE = ["entry", "0", "changes", "0", "value", "messages", "0"]
WA_PATHS = [["object"], ["entry"], ["entry", "0", "changes"], MESSAGE[:5], MESSAGE[:6], MESSAGE,
            [*MESSAGE, "id"], [*MESSAGE, "from"], [*MESSAGE, "timestamp"], [*MESSAGE, "type"],
            [*MESSAGE[:5], "metadata", "phone_number_id"], [*MESSAGE[:4], "field"]]  # fmt: skip


def noise(channel: str) -> st.SearchStrategy[bytes]:
    base = web_event("mutant") if channel == "web" else wa_body([wa_message("wamid.mutant")])
    paths = WEB_PATHS if channel == "web" else WA_PATHS
    return st.one_of(
        RANDOM_BYTES,
        JSON_VALUES.map(lambda value: encode(json.dumps(value))),
        _mutated(base, paths),
    )


def fuzz_lines(channel: str) -> st.SearchStrategy[list[bytes | None]]:
    """Noise lines with `None` where a good line goes; the first line is always good."""
    return st.lists(st.one_of(st.none(), noise(channel)), min_size=1, max_size=12).map(
        lambda lines: [None, *lines]
    )


def check_fuzzed_file(channel: str, drawn: list[bytes | None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        landing = new_landing(root)
        lines = [good_line(channel, f"good-{n}") if line is None else line
                 for n, line in enumerate(drawn)]  # fmt: skip
        path = write_lines(landing, channel, DAY, "fuzz.jsonl", lines)
        with connect(root / "warehouse.duckdb") as con:
            load(con, landing, DAY)  # never raises
            assert_counts_add_up(con)
            counts = audit_of(con, path)
            non_blank = sum(not is_blank(line) for line in lines)
            if channel == "web":
                assert counts.records == non_blank
            else:  # a webhook body holds one record or more
                assert counts.records >= non_blank
            loaded = loaded_lines(con, channel, path)
        prefix = "" if channel == "web" else "wamid."
        for number, line in enumerate(drawn, 1):
            if line is None:
                assert loaded.get(number) == f"{prefix}good-{number - 1}"


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(drawn=fuzz_lines("web"))
def test_fuzzed_web_lines_never_break_ingest(drawn: list[bytes | None]) -> None:
    check_fuzzed_file("web", drawn)


@FUZZ
@given(drawn=fuzz_lines("whatsapp"))
def test_fuzzed_whatsapp_bodies_never_break_ingest(drawn: list[bytes | None]) -> None:
    check_fuzzed_file("whatsapp", drawn)


def test_line_numbers_stay_exact_across_files_read_in_one_call(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    """A day's files are read in one call; rejected lines in some files must not shift the
    line numbers of the others (or of their own later lines)."""
    bad_every = {"a.jsonl": 7, "b.jsonl": None, "c.jsonl.gz": 5, "d.jsonl": 3}
    expected_bad: dict[str, list[int]] = {}
    for name, every in bad_every.items():
        lines = [
            b"\xff not utf-8" if every and number % every == 0 else
            encode(web_event(f"{name}-{number}"))
            for number in range(1, 60)
        ]  # fmt: skip
        folder = landing / "web" / f"dt={DAY.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        data = b"".join(line + b"\n" for line in lines)
        (folder / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        expected_bad[name] = [n for n in range(1, 60) if every and n % every == 0]
    load(con, landing, DAY)

    assert rows(
        con,
        "select count(*) filter (where message_id <> regexp_extract(source_file, '[^/]*$') "
        "|| '-' || line_number), count(distinct source_file) from raw.web_events",
    ) == [(0, 4)]
    folder = landing / "web" / f"dt={DAY.isoformat()}"
    for name, bad in expected_bad.items():
        assert sorted(quarantine_of(con, folder / name)) == bad, name
    assert_counts_add_up(con)


@pytest.mark.parametrize("rejected_line", [False, True], ids=["streamed", "read-first"])
def test_both_reads_number_lines_alike(
    con: duckdb.DuckDBPyConnection, landing: Path, monkeypatch, rejected_line: bool
) -> None:
    """Files are streamed into the classification and numbered afterwards; a chunk with a
    rejected line is loaded again with its lines read first. Both number every line of
    every file (blank lines counted, never recorded) and load the same."""
    import orchestration.ingest.load as ingest_module

    careful_reads = []
    read_lines = ingest_module.read_lines

    def recorded(con, files, channel):
        careful_reads.extend(files)
        read_lines(con, files, channel)

    monkeypatch.setattr(ingest_module, "read_lines", recorded)
    expected: dict[Path, tuple[dict[int, str], list[int]]] = {}
    for channel in ("web", "whatsapp"):
        for name in ("a.jsonl", "b.jsonl.gz", "c.jsonl"):
            lines, good, bad = [], {}, []
            for number in range(1, 301):
                if number % 17 == 0:
                    lines.append(b"" if number % 2 else b" \t ")
                elif number % 23 == 0:
                    lines.append(b"not json")
                    bad.append(number)
                elif rejected_line and name == "c.jsonl" and number == 250:
                    lines.append(b"\xff not utf-8")
                    bad.append(number)
                else:
                    message = f"{channel}-{name}-{number}"
                    lines.append(good_line(channel, message))
                    good[number] = message if channel == "web" else f"wamid.{message}"
            folder = landing / channel / f"dt={DAY.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            data = b"".join(line + b"\n" for line in lines)
            path = folder / name
            path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
            expected[path] = (good, bad)
    load(con, landing, DAY)

    assert bool(careful_reads) == rejected_line
    for path, (good, bad) in expected.items():
        channel = path.parent.parent.name
        assert loaded_lines(con, channel, path) == good, path
        assert sorted(quarantine_of(con, path)) == bad, path
        assert audit_of(con, path).records == len(good) + len(bad)
    assert_counts_add_up(con)


def test_control_characters_never_cut_or_hide_a_line(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    """Found by the fuzz test: a line of just 0x1F (once the reader's delimiter) read as
    blank and vanished from the audit. Control characters are kept, and such lines are
    quarantined."""
    path = write_lines(landing, "whatsapp", DAY, "control.jsonl", [
        good_line("whatsapp", "good-0"), b"\x1f", b"ab\x1fcd", b"\x1e\x1d",
    ])  # fmt: skip
    load(con, landing, DAY)

    assert quarantine_of(con, path) == {
        2: "not valid JSON", 3: "not valid JSON", 4: "not valid JSON"
    }  # fmt: skip
    assert audit_of(con, path) == Counts(4, 1, 0, 0, 3)
