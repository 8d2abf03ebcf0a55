"""Hostile landing lines: a hypothesis fuzz test mixes random lines with good ones; line
numbers stay exact across files read in one call and in both reads; control characters never
cut or hide a line. `ingest` runs on a real DuckDB file and must never raise.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.warehouse import connect
from tests.support.ingest_support import (
    DAY,
    Counts,
    assert_counts_add_up,
    audit_of,
    encode,
    good_line,
    is_blank,
    load,
    loaded_lines,
    new_landing,
    quarantine_of,
    rows,
    wa_body,
    wa_message,
    web_event,
    write_lines,
)

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
