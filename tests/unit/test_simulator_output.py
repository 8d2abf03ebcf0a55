"""The simulator's output pinned byte for byte, and its presets' shapes.

The checksum was computed from the simulator before it became its own package: a refactor
that changes one byte of a landing zone (a path, a line, a gzip member) fails here.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import build_parser
from simulator import SHAPES, Params, simulate

# `chatwh simulate` defaults (seed 42, a quarter of the files gzipped) on a small zone.
PINNED = {"start": date(2026, 1, 1), "days": 6, "users": 300}
PINNED_SHA256 = "87c8a075d4e3d601d3857bd6f7962a106ea9a5bd511c35d71704165a436eaa25"


def landing_digest(root: Path) -> str:
    """sha-256 over every file's relative path and bytes, in path order.

    gzip members are written with mtime 0 (``gzip.compress(..., mtime=0)``), so the bytes
    of a file do not depend on when it was written.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def test_default_output_is_pinned(tmp_path: Path) -> None:
    summary = simulate(tmp_path, **PINNED)
    names = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert any(n.endswith(".jsonl.gz") for n in names) and any(n.endswith(".jsonl") for n in names)
    assert summary.files == len(names) - 1  # and assistants.csv
    assert landing_digest(tmp_path) == PINNED_SHA256


MANY_USERS = {"start": date(2026, 1, 1), "days": 90, "users": 400, "seed": 5}


@pytest.fixture(scope="module")
def many_users(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    """A tiny ``many-users`` landing zone, its lines in DuckDB (``objs``: the JSON objects)."""
    out = tmp_path_factory.mktemp("many_users")
    summary = simulate(out, **MANY_USERS, params=SHAPES["many-users"])
    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE objs AS
        SELECT regexp_extract(filename, '/(web|whatsapp)/dt=', 1) AS channel, line::JSON AS j
        FROM read_csv('{out}/*/dt=*/*.jsonl*', columns = {{'line': 'VARCHAR'}}, delim = chr(30),
            quote = '', escape = '', header = false, auto_detect = false, filename = true)
        WHERE CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END"""
    )
    con.execute(f"CREATE TABLE assistants AS FROM read_csv('{out}/assistants.csv', all_varchar=1)")
    con.execute("CREATE TABLE summary AS SELECT ? AS messages", [summary.messages])
    return out, con


def test_many_users_writes_one_file_per_channel_and_day(many_users) -> None:
    out, _ = many_users
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jsonl*"))
    folders = {f.rsplit("/", 1)[0] for f in files}
    assert len(files) == len(folders) > MANY_USERS["days"]  # a quiet day may have no folder
    assert all(f.split("/")[-1].startswith("part-0.jsonl") for f in files)


def test_many_users_has_three_assistants_with_traffic(many_users) -> None:
    _, con = many_users
    assert con.execute("SELECT count(*) FROM assistants").fetchone()[0] == 3
    active = con.execute(
        """SELECT count(DISTINCT j->'properties'->>'assistant_id') FROM objs
        WHERE channel = 'web' AND j->>'event' = 'Chat Message Sent'
            AND j->'properties'->>'assistant_id' IN (SELECT assistant_id FROM assistants)"""
    ).fetchone()[0]
    assert active == 3


def test_many_users_sends_one_message_per_whatsapp_body(many_users) -> None:
    _, con = many_users
    shapes = con.execute(
        """SELECT DISTINCT json_array_length(j->'entry'),
            len(json_extract(j, '$.entry[*].changes[*]')),
            len(json_extract(j, '$.entry[*].changes[*].value.messages[*]')),
            len(json_extract(j, '$.entry[*].changes[*].value.statuses[*]'))
        FROM objs WHERE channel = 'whatsapp'"""
    ).fetchall()
    assert shapes == [(1, 1, 1, 0)]  # one entry, one change, one message, no status


def test_many_users_come_about_twice(many_users) -> None:
    """Users and their sessions, counted from the lines as the warehouse would: a web session
    is a conversation; a WhatsApp session ends after 30 minutes without a message."""
    _, con = many_users
    users, sessions, most, messages = con.execute(
        """WITH web AS (
            SELECT DISTINCT j->'properties'->>'assistant_id' || '/' || (j->>'anonymousId') AS user,
                j->'properties'->>'conversation_id' AS conversation, j->>'messageId' AS message
            FROM objs
            WHERE channel = 'web' AND j->>'event' = 'Chat Message Sent'
                AND j->>'messageId' IS NOT NULL AND j->>'anonymousId' IS NOT NULL
                AND regexp_matches(j->>'timestamp', '(Z|[+-][0-9]{2}:[0-9]{2})$')
                AND j->'properties'->>'assistant_id' IN (SELECT assistant_id FROM assistants)
        ), wa AS (
            SELECT DISTINCT v->'metadata'->>'phone_number_id' || '/'
                    || coalesce(m->>'from', m->>'from_user_id') AS user,
                m->>'id' AS message, (m->>'timestamp')::BIGINT AS t
            FROM objs,
                unnest(json_extract(j, '$.entry[*].changes[*].value')) AS v(v),
                unnest(json_extract(v, '$.messages[*]')) AS m(m)
            WHERE channel = 'whatsapp' AND m->>'type' <> 'request_welcome'
                AND v->'metadata'->>'phone_number_id'
                    IN (SELECT whatsapp_phone_number_id FROM assistants)
        ), wa_starts AS (
            SELECT user, message,
                coalesce(t - lag(t) OVER (PARTITION BY user ORDER BY t) > 1800, true) AS starts
            FROM wa
        ), per_user AS (
            SELECT user, count(DISTINCT conversation) AS sessions, count(*) AS messages
            FROM web GROUP BY user
            UNION ALL
            SELECT user, count(*) FILTER (starts), count(*) FROM wa_starts GROUP BY user
        )
        SELECT count(*), sum(sessions), max(sessions), sum(messages) FROM per_user"""
    ).fetchone()
    assert users == MANY_USERS["users"]
    assert messages == con.execute("SELECT messages FROM summary").fetchone()[0]
    assert most == 2
    assert 1.7 < sessions / users <= 2.0
    assert 5.0 < messages / users < 7.5  # ~3.3 messages per session


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_cli_offers_every_shape(shape: str) -> None:
    args = build_parser().parse_args(["simulate", "--out", "x", "--shape", shape])
    assert SHAPES[args.shape] is SHAPES[shape]


@pytest.mark.parametrize(
    "params", [Params(assistants=0), Params(assistants=5), Params(sessions_per_user=0)]
)
def test_bad_params(tmp_path: Path, params: Params) -> None:
    with pytest.raises(ValueError):
        simulate(tmp_path, PINNED["start"], days=2, users=20, params=params)
    assert not (tmp_path / "assistants.csv").exists()  # checked before anything is written
