"""SPEC §4: no phone number, profile name, message text or IP address leaves the landing zone.

After the `simulated` fixture's full `chatwh run`, every personal value of the raw landing
files (extracted with DuckDB, set-at-a-time) is searched for in every text column of every
table of the warehouse, in the warehouse's own files, and in every file under the Dagster home
(run storage, event logs, compute logs). The WhatsApp pseudonyms are checked against Python's
`hmac`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import TEST_KEY, Deployment

# Values shorter than this cannot be told apart from everyday words and emoji.
MIN_LENGTH = 4
MESSAGE_BODIES = [
    "$.text.body", "$.button.text", "$.interactive.button_reply.title",
    "$.interactive.list_reply.title", "$.interactive.list_reply.description",
    "$.location.name", "$.location.address", "$.image.caption", "$.document.caption",
]  # fmt: skip
PERSONAL_VALUES = f"""
create temp table personal as
with documents as (
    select line from landing_lines where json_valid(line)
),
messages as (
    select unnest(json_extract(line, '$.entry[*].changes[*].value.messages[*]')) as message
    from documents
),
contacts as (
    select unnest(json_extract(line, '$.entry[*].changes[*].value.contacts[*]')) as contact
    from documents
),
found(kind, value) as (
    select 'ip address', line ->> '$.context.ip' from documents
    union all select 'message text', line ->> '$.properties.text' from documents
    union all select 'phone number', message ->> '$.from' from messages
    union all select 'message text', unnest(json_extract_string(message, {MESSAGE_BODIES}))
        from messages
    union all select 'phone number', contact ->> '$.wa_id' from contacts
    union all select 'profile name', contact ->> '$.profile.name' from contacts
    union all select 'profile name', contact ->> '$.profile.username' from contacts
    union all select 'phone number', unnest(json_extract_string(
        line, '$.entry[*].changes[*].value.statuses[*].recipient_id')) from documents
)
select distinct kind, value from found where length(value) >= {MIN_LENGTH}
"""


@pytest.fixture(scope="module")
def scan(simulated: Deployment) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the landing's lines, its personal values and the warehouse."""
    with duckdb.connect() as con:
        con.execute(
            """
            create temp table landing_lines as
            select line from read_csv(
                ?, columns = {'line': 'VARCHAR'}, delim = chr(31), quote = '', escape = '',
                header = false, auto_detect = false, new_line = '\\n', ignore_errors = true
            )
            """,
            [str(simulated.landing / "*" / "dt=*" / "*.jsonl*")],
        )
        con.execute(PERSONAL_VALUES)
        con.execute(f"attach '{simulated.warehouse}' as warehouse (read_only)")
        yield con


def test_the_landing_zone_holds_personal_values_of_every_kind(
    scan: duckdb.DuckDBPyConnection,
) -> None:
    kinds = dict(scan.execute("select kind, count(*) from personal group by 1").fetchall())
    assert set(kinds) == {"ip address", "message text", "phone number", "profile name"}
    assert min(kinds.values()) >= 20, kinds  # 300 simulated users: the extraction works


def _text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        """
        select c.schema_name, c.table_name, c.column_name
        from duckdb_columns() as c
        join duckdb_tables() as t using (database_name, schema_name, table_name)
        where c.database_name = 'warehouse'
            and (c.data_type like '%VARCHAR%' or c.data_type like '%JSON%')
        order by all
        """
    ).fetchall()


def test_no_personal_value_in_any_text_column_of_the_warehouse(
    scan: duckdb.DuckDBPyConnection,
) -> None:
    columns = _text_columns(scan)
    tables = {(schema, table) for schema, table, _ in columns}
    assert {("raw", "whatsapp_messages"), ("raw", "quarantine"), ("marts", "customers")} <= tables
    # One text per column (every value, newline-separated), then every personal value
    # against every column in one join.
    scan.execute(
        "create or replace temp table columns_text as "
        + " union all ".join(
            f"select '{schema}.{table}.{column}' as place, "
            f'string_agg("{column}"::varchar, chr(10)) as text '
            f'from warehouse."{schema}"."{table}"'
            for schema, table, column in columns
        )
    )
    leaks = scan.execute(
        """
        select p.kind, c.place, left(p.value, 40)
        from columns_text as c join personal as p on contains(c.text, p.value)
        order by all limit 20
        """
    ).fetchall()
    assert leaks == []


def _personal_bytes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, bytes]]:
    return [
        (kind, value.encode("utf-8"))
        for kind, value in con.execute("select kind, value from personal").fetchall()
    ]


def _leaks_in_files(files: list[Path], values: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    leaks = []
    for path in files:
        data = path.read_bytes()
        leaks += [(kind, str(path)) for kind, value in values if value in data]
    return leaks


def test_no_personal_value_in_the_dagster_home(
    scan: duckdb.DuckDBPyConnection, simulated: Deployment
) -> None:
    home = Path(simulated.env["DAGSTER_HOME"])
    files = [path for path in home.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    # The run storage, the event log of the run and its compute logs all live here.
    assert {"runs.db", "index.db"} <= names, sorted(names)
    assert any(path.parent.name == "compute_logs" for path in files), sorted(names)
    assert _leaks_in_files(files, _personal_bytes(scan)) == []


def test_no_personal_value_in_the_warehouse_files(
    scan: duckdb.DuckDBPyConnection, simulated: Deployment
) -> None:
    warehouse = simulated.warehouse
    files = [path for path in warehouse.parent.glob(f"*{warehouse.name}*") if path.is_file()]
    assert warehouse in files
    assert _leaks_in_files(files, _personal_bytes(scan)) == []


def test_whatsapp_pseudonyms_are_hmac_sha256_of_the_wa_id(
    scan: duckdb.DuckDBPyConnection,
) -> None:
    senders = scan.execute(
        """
        select distinct message ->> '$.id', coalesce(message ->> '$.from',
            message ->> '$.from_user_id')
        from (
            select unnest(json_extract(line, '$.entry[*].changes[*].value.messages[*]'))
                as message
            from landing_lines where json_valid(line)
        )
        """
    ).fetchall()
    key = TEST_KEY.encode()
    expected = {
        message_id: hmac.new(key, sender.encode(), hashlib.sha256).hexdigest()
        for message_id, sender in senders
        if message_id and sender
    }
    stored = scan.execute(
        "select message_id, user_id from warehouse.raw.whatsapp_messages"
    ).fetchall()
    assert len(stored) > 100
    assert {message_id: user_id for message_id, user_id in stored} == {
        message_id: expected[message_id] for message_id, _ in stored
    }
    customers = {
        row[0]
        for row in scan.execute(
            "select user_id from warehouse.marts.customers where channel = 'whatsapp'"
        ).fetchall()
    }
    assert customers and customers <= set(expected.values())
