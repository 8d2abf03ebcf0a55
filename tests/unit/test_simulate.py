"""Tests of the landing-zone simulator, on real files in a temporary folder, checked with DuckDB."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import duckdb
import pytest

from simulator import SEED_ASSISTANTS, SimulationSummary, simulate

START = date(2026, 1, 1)
DAYS = 45
USERS = 500


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("landing")
    return out, simulate(out, START, days=DAYS, users=USERS, seed=7)


@pytest.fixture(scope="module")
def con(landing: tuple[Path, SimulationSummary]) -> duckdb.DuckDBPyConnection:
    """Tables over the landing: ``raw`` (every line), ``objs`` (JSON objects), ``wa_messages``."""
    out, _ = landing
    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE raw AS
        SELECT filename, regexp_extract(filename, '/(web|whatsapp)/dt=', 1) AS channel,
            regexp_extract(filename, 'dt=([0-9-]+)/', 1)::DATE AS dt, line
        FROM read_csv('{out}/*/dt=*/*.jsonl*', columns = {{'line': 'VARCHAR'}}, delim = chr(30),
            quote = '', escape = '', header = false, auto_detect = false, filename = true)"""
    )
    con.execute(f"CREATE TABLE assistants AS FROM read_csv('{out}/assistants.csv', all_varchar=1)")
    con.execute(
        """CREATE TABLE objs AS
        SELECT filename, channel, dt, line, line::JSON AS j FROM raw
        WHERE CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END"""
    )
    con.execute(
        """CREATE TABLE wa_messages AS
        WITH bodies AS (
            SELECT filename, dt, line, unnest(json_extract(j, '$.entry[*].changes[*].value')) AS v
            FROM objs WHERE channel = 'whatsapp'
        )
        SELECT filename, dt, line, v->'metadata'->>'phone_number_id' AS phone_number_id,
            unnest(json_extract(v, '$.messages[*]')) AS m
        FROM bodies"""
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    runs = [(tmp_path / "a", 3), (tmp_path / "b", 3), (tmp_path / "c", 4)]
    for out, seed in runs:
        simulate(out, START, days=12, users=150, seed=seed)
    a, b, c = (_files(out) for out, _ in runs)
    assert any(name.endswith(".gz") for name in a)
    assert a == b
    assert a != c


def _lines(root: Path) -> dict[str, bytes]:
    """Each file's content, uncompressed, by its name without ``.gz``."""
    return {
        name.removesuffix(".gz"): gzip.decompress(data) if name.endswith(".gz") else data
        for name, data in _files(root).items()
    }


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_gzip_share_changes_the_compression_not_the_lines(tmp_path: Path, share: float) -> None:
    simulate(tmp_path / "default", START, days=6, users=80, seed=3)
    simulate(tmp_path / "other", START, days=6, users=80, seed=3, gzip_share=share)
    names = [name for name in _files(tmp_path / "other") if name != "assistants.csv"]
    assert all(name.endswith(".gz") == (share == 1.0) for name in names)
    assert _lines(tmp_path / "other") == _lines(tmp_path / "default")


def test_layout(landing: tuple[Path, SimulationSummary]) -> None:
    out, summary = landing
    assert (out / "assistants.csv").read_bytes() == SEED_ASSISTANTS.read_bytes()
    files = [p for p in out.rglob("*") if p.is_file() and p.name != "assistants.csv"]
    assert len(files) == summary.files
    days = {str(date.fromordinal(START.toordinal() + d)) for d in range(DAYS)}
    for path in files:
        channel, folder = path.relative_to(out).parts[:2]
        assert channel in {"web", "whatsapp"}
        assert folder.removeprefix("dt=") in days
        assert path.name.endswith((".jsonl", ".jsonl.gz"))
    gz = [p for p in files if p.suffix == ".gz"]
    assert gz and all(gzip.decompress(p.read_bytes()) for p in gz)
    assert summary.days == DAYS


def test_summary_counts_every_line(landing, con) -> None:
    _, summary = landing
    assert _one(con, "SELECT count(*) FROM raw") == summary.lines
    assert _one(con, "SELECT count(DISTINCT filename) FROM raw") == summary.files


def test_both_channels_and_all_assistants(con) -> None:
    web = con.execute(
        "SELECT DISTINCT j->'properties'->>'assistant_id' FROM objs"
        " WHERE channel = 'web' AND j->>'event' = 'Chat Message Sent'"
        " AND j->'properties'->>'assistant_id' IN (SELECT assistant_id FROM assistants)"
    ).fetchall()
    assert {r[0] for r in web} == {r[0] for r in con.execute("FROM assistants").fetchall()}
    whatsapp = {
        r[0] for r in con.execute("SELECT DISTINCT phone_number_id FROM wa_messages").fetchall()
    }
    phones = con.execute("SELECT whatsapp_phone_number_id FROM assistants").fetchall()
    assert {p for (p,) in phones if p} <= whatsapp
    assert None in {p for (p,) in phones}  # one assistant without WhatsApp


def test_messages_match_an_independent_count(landing, con) -> None:
    """A de-duplicated count of valid interactions equals the summary; so do the users."""
    _, summary = landing
    web_messages, web_users = con.execute(
        """SELECT count(DISTINCT j->>'messageId'),
            count(DISTINCT (j->'properties'->>'assistant_id', j->>'anonymousId'))
        FROM objs
        WHERE channel = 'web' AND j->>'type' = 'track' AND j->>'event' = 'Chat Message Sent'
            AND j->>'messageId' IS NOT NULL AND j->>'anonymousId' IS NOT NULL
            AND regexp_matches(j->>'timestamp', '(Z|[+-][0-9]{2}:[0-9]{2})$')
            AND j->'properties'->>'assistant_id' IN (SELECT assistant_id FROM assistants)"""
    ).fetchone()
    wa_messages, wa_users = con.execute(
        """SELECT count(*), count(DISTINCT (phone_number_id, user_key))
        FROM (
            SELECT DISTINCT phone_number_id, m->>'id',
                coalesce(m->>'from', m->>'from_user_id') AS user_key, m->>'timestamp'
            FROM wa_messages
            WHERE phone_number_id IN (SELECT whatsapp_phone_number_id FROM assistants)
                AND m->>'type' NOT IN ('request_welcome', 'system')
        )"""
    ).fetchone()
    assert web_messages > 0 and wa_messages > 0
    assert web_messages + wa_messages == summary.messages
    assert web_users + wa_users == USERS


def test_good_web_lines_have_the_required_fields(con) -> None:
    missing = _one(
        con,
        """SELECT count(*) FROM objs
        WHERE channel = 'web' AND j->>'type' = 'track'
            AND j->>'messageId' IS NOT NULL AND j->>'anonymousId' IS NOT NULL
            AND j->'properties'->>'assistant_id' IN (SELECT assistant_id FROM assistants)
            AND regexp_matches(j->>'timestamp', '(Z|[+-][0-9]{2}:[0-9]{2})$')
            AND (j->>'event' NOT IN ('Chat Widget Opened', 'Chat Message Sent',
                                     'Chat Message Received', 'Chat Widget Closed')
                 OR try_cast(j->>'timestamp' AS TIMESTAMPTZ) IS NULL)""",
    )
    assert missing == 0
    kinds = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT j->>'type' FROM objs WHERE channel = 'web'"
        ).fetchall()
    }
    assert kinds == {"track", "page", "identify"}
    offsets = _one(
        con,
        "SELECT count(*) FROM objs WHERE channel = 'web'"
        " AND regexp_matches(j->>'timestamp', '[+-][0-9]{2}:[0-9]{2}$')",
    )
    assert offsets > 0


def test_events_lie_in_the_period_and_never_after_their_file(con) -> None:
    outside = _one(
        con,
        f"""SELECT count(*) FROM (
            SELECT dt, try_cast(j->>'timestamp' AS TIMESTAMPTZ) AS happened FROM objs
            WHERE channel = 'web' AND j->>'type' = 'track'
            UNION ALL
            SELECT dt, to_timestamp((m->>'timestamp')::BIGINT) FROM wa_messages
        )
        WHERE happened IS NOT NULL AND (happened < TIMESTAMPTZ '{START} 00:00:00+00'
            OR happened >= TIMESTAMPTZ '{START} 00:00:00+00' + INTERVAL {DAYS} DAY
            OR happened >= (dt + INTERVAL 1 DAY)::TIMESTAMP AT TIME ZONE 'UTC')""",
    )
    assert outside == 0


def test_late_and_repeated_deliveries(con) -> None:
    late = _one(
        con,
        """SELECT count(*) FROM wa_messages
        WHERE to_timestamp((m->>'timestamp')::BIGINT) < dt::TIMESTAMP AT TIME ZONE 'UTC'""",
    )
    assert late > 0
    same_file, other_file, other_day = con.execute(
        """WITH copies AS (
            SELECT line, count(*) AS n, count(DISTINCT filename) AS files, count(DISTINCT dt) AS dts
            FROM raw GROUP BY line HAVING count(*) > 1
        )
        SELECT count(*) FILTER (files < n), count(*) FILTER (files > 1 AND dts = 1),
            count(*) FILTER (dts > 1)
        FROM copies"""
    ).fetchone()
    assert same_file > 0 and other_file > 0 and other_day > 0


def test_bad_lines_of_every_kind(landing, con) -> None:
    _, summary = landing
    reasons = dict(
        con.execute(
            """WITH parsed AS (
                SELECT channel, line, CASE WHEN json_valid(line) THEN line END::JSON AS j FROM raw
            ), classified AS (
                SELECT CASE
                    WHEN j IS NULL THEN 'not json'
                    WHEN json_type(j) <> 'OBJECT' THEN 'not an object'
                    WHEN channel = 'web' AND j->>'messageId' IS NULL THEN 'no messageId'
                    WHEN channel = 'web' AND j->>'anonymousId' IS NULL THEN 'no anonymousId'
                    WHEN channel = 'web'
                        AND NOT regexp_matches(j->>'timestamp', '(Z|[+-][0-9]{2}:[0-9]{2})$')
                        THEN 'timestamp without offset'
                    WHEN channel = 'web' AND j->>'type' = 'track'
                        AND j->'properties'->>'assistant_id'
                            NOT IN (SELECT assistant_id FROM assistants)
                        THEN 'unknown assistant'
                    WHEN channel = 'whatsapp' AND list_contains(json_extract_string(
                            j, '$.entry[*].changes[*].value.metadata.phone_number_id'),
                            '100000000000001')
                        THEN 'unknown phone number id'
                    END AS reason
                FROM parsed
            )
            SELECT reason, count(*) FROM classified WHERE reason IS NOT NULL GROUP BY reason"""
        ).fetchall()
    )
    assert set(reasons) == {
        "not json", "not an object", "no messageId", "no anonymousId",
        "timestamp without offset", "unknown assistant", "unknown phone number id",
    }  # fmt: skip
    assert sum(reasons.values()) == summary.bad_lines
    assert 0.002 < summary.bad_lines / summary.lines < 0.01
    truncated = _one(con, "SELECT count(*) FROM raw WHERE NOT json_valid(line) AND line LIKE '{%'")
    assert truncated > 0


def test_whatsapp_payload_shapes(con) -> None:
    types = {r[0] for r in con.execute("SELECT DISTINCT m->>'type' FROM wa_messages").fetchall()}
    assert {"text", "image", "interactive", "button", "reaction", "location"} <= types
    assert "request_welcome" in types
    assert _one(
        con, "SELECT bool_and(regexp_matches(m->>'timestamp', '^[0-9]{10}$')) FROM wa_messages"
    )
    assert _one(con, "SELECT bool_and(starts_with(m->>'id', 'wamid.')) FROM wa_messages")
    statuses = con.execute(
        "SELECT DISTINCT unnest(json_extract_string("
        " j, '$.entry[*].changes[*].value.statuses[*].status'))"
        " FROM objs WHERE channel = 'whatsapp'"
    ).fetchall()
    assert {s for (s,) in statuses} == {"sent", "delivered", "read"}
    several = con.execute(
        """SELECT count(*) FILTER (json_array_length(j->'entry') > 1),
            count(*) FILTER (len(json_extract(j, '$.entry[*].changes[*]')) > 1),
            count(*) FILTER (len(json_extract(j, '$.entry[*].changes[*].value.messages[*]')) > 1)
        FROM objs WHERE channel = 'whatsapp'"""
    ).fetchone()
    assert all(n > 0 for n in several)


def test_users_without_phone_number_carry_a_business_scoped_id(con) -> None:
    rows = con.execute(
        """SELECT m->>'from_user_id', line FROM wa_messages
        WHERE m->>'from' IS NULL AND m->>'type' <> 'request_welcome'"""
    ).fetchall()
    assert rows
    for user_id, line in rows:
        assert user_id.startswith("US.")
        assert f'"user_id":"{user_id}"' in line
    # Their contacts have no wa_id (a line can also hold other users' changes).
    contacts = _one(
        con,
        """SELECT count(*)
        FROM objs, unnest(json_extract(j, '$.entry[*].changes[*].value.contacts[*]')) AS c(c)
        WHERE channel = 'whatsapp' AND c->>'wa_id' IS NULL AND c->>'user_id' LIKE 'US.%'""",
    )
    assert contacts > 0


def test_personal_data_looks_real(con) -> None:
    phones = con.execute(
        "SELECT DISTINCT m->>'from' FROM wa_messages"
        " WHERE phone_number_id = '106540352242922' AND m->>'from' IS NOT NULL"
    ).fetchall()
    assert phones and all(p.startswith("346") and len(p) == 11 and p.isdigit() for (p,) in phones)
    names = con.execute(
        """SELECT DISTINCT unnest(json_extract_string(
            j, '$.entry[*].changes[*].value.contacts[*].profile.name'))
        FROM objs WHERE channel = 'whatsapp'"""
    ).fetchall()
    assert names and all(len(name.split(" ")) == 2 for (name,) in names)
    ips = con.execute(
        "SELECT DISTINCT j->'context'->>'ip' FROM objs WHERE channel = 'web'"
    ).fetchall()
    assert all(ip.count(".") == 3 for (ip,) in ips)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"days": 0}, ValueError),
        ({"users": 0}, ValueError),
        ({"gzip_share": 1.5}, ValueError),
        ({"gzip_share": -0.1}, ValueError),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        simulate(tmp_path, START, **kwargs)


def test_never_overwrites_a_landing_zone(tmp_path: Path) -> None:
    simulate(tmp_path, START, days=2, users=20)
    with pytest.raises(FileExistsError):
        simulate(tmp_path, START, days=2, users=20)
