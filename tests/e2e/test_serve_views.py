"""`chatwh serve`: the HTTP API on the simulated warehouse (SPEC §6), through the real
command in a subprocess and a real HTTP client: the same JSON as `chatwh ... --json`, the
snapshot and its answer cache, keys (401), scopes (404), bad and hostile parameters (422,
never a 500).
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import date
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from orchestration import settings
from orchestration.serve.answers import Answers
from orchestration.serve.app import HEAVY_NICE, HEAVY_THREADS, ServeConfig, create_app
from orchestration.serve.snapshot import SERVING_TABLES
from tests.support.serve_support import (
    ACME,
    GLOBEX,
    INITECH,
    PARAMETERS,
    VIEWS,
    WINDOW,
    Site,
    cli_json,
    create_key,
    one_line_problem,
)

pytestmark = pytest.mark.xdist_group("simulated")


# --------------------------------------------------------------------------- the views


@pytest.mark.parametrize(
    ("view", "params", "args"),
    [
        ("dashboard", {"as_of": "2026-02-14"}, ["--as-of", "2026-02-14"]),
        ("dashboard", {}, []),
        ("sessions", WINDOW, ["--from", "2026-01-01", "--to", "2026-02-14"]),
        (
            "sessions",
            {**WINDOW, "channel": "whatsapp"},
            ["--from", "2026-01-01", "--to", "2026-02-14", "--channel", "whatsapp"],
        ),
        ("customers", WINDOW, ["--from", "2026-01-01", "--to", "2026-02-14"]),
        (
            "customers",
            {"from": "2026-01-10", "to": "2026-01-20", "grain": "day", "channel": "web"},
            ["--from", "2026-01-10", "--to", "2026-01-20", "--grain", "day", "--channel", "web"],
        ),
        (
            "customers",
            {**WINDOW, "grain": "month"},
            ["--from", "2026-01-01", "--to", "2026-02-14", "--grain", "month"],
        ),
    ],
)
def test_every_view_answers_the_same_json_as_the_cli(site: Site, view, params, args):
    response = site.server.get(f"/v1/assistants/{ACME}/{view}", site.key, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    expected = cli_json(site.deployment, view, "--assistant", ACME, *args)
    assert response.json() == expected
    if view != "dashboard":
        assert response.json()["total_users"] > 0  # the window has data: a real comparison


def test_assistants_lists_only_the_keys_own(site: Site):
    answer = site.server.get("/v1/assistants", site.key).json()
    assert answer == {
        "assistants": [
            {"assistant_id": ACME, "name": "Acme Support", "timezone": "Europe/Madrid"},
            {"assistant_id": GLOBEX, "name": "Globex Sales", "timezone": "America/New_York"},
        ]
    }
    other = site.server.get("/v1/assistants", site.other_key).json()
    assert [row["assistant_id"] for row in other["assistants"]] == [INITECH]


def test_healthz_says_which_build_it_serves_without_a_key(site: Site):
    answer = site.server.get("/healthz").json()
    assert answer["status"] == "ok"
    link = settings.serving_dir(site.deployment.warehouse) / "current.duckdb"
    with duckdb.connect(str(link), read_only=True) as con:
        [[published]] = con.execute("select published_at from main.snapshot_info").fetchall()
    assert answer["snapshot_published_at"].startswith(published.strftime("%Y-%m-%dT%H:%M:%S"))


def test_the_snapshot_holds_the_serving_marts_and_macros_and_nothing_else(site: Site):
    warehouse = site.deployment.warehouse
    link = settings.serving_dir(warehouse) / "current.duckdb"
    assert link.is_symlink() and link.resolve().name.startswith("snapshot-")
    with duckdb.connect(str(link), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() order by all"
        ).fetchall()
        macros = con.execute(
            "select function_name from duckdb_functions() "
            "where schema_name = 'marts' and function_type = 'table_macro' order by all"
        ).fetchall()
        counts = {
            table: con.execute(f"select count(*) from marts.{table}").fetchall()[0][0]
            for table in SERVING_TABLES
        }
        user_columns = con.execute(
            "select table_name, column_name from duckdb_columns() where column_name = 'user_id'"
        ).fetchall()
        customers = con.execute("select sum(users) from marts.new_users_daily").fetchall()[0][0]
    assert tables == sorted(
        [("main", "snapshot_info")]
        + [("marts", table) for table in ("dashboard_days", "new_users_daily", "user_day_links")]
        + [("marts", table) for table in SERVING_TABLES]
    )
    assert user_columns == []  # no user id: the views need none
    assert [name for (name,) in macros] == [
        "customers_buckets",
        "customers_frame",
        "customers_new_users",
        "customers_view",
        "dashboard_month_users",
        "dashboard_months",
        "dashboard_view",
        "sessions_view",
    ]
    assert counts == {
        table: site.deployment.query(f"select count(*) from marts.{table}")[0][0]
        for table in SERVING_TABLES
    }
    assert customers == site.deployment.query("select count(*) from marts.customers")[0][0]
    assert counts["session_chains_daily"] > 0


def snapshot_and_warehouse(site: Site, sql: str, cases: list[list]) -> tuple[list, list]:
    """The rows of ``sql`` for each case, on the served snapshot and on the warehouse."""
    link = settings.serving_dir(site.deployment.warehouse) / "current.duckdb"
    with (
        duckdb.connect(str(link), read_only=True) as snapshot,
        duckdb.connect(str(site.deployment.warehouse), read_only=True) as warehouse,
    ):
        served = [snapshot.execute(sql, case).fetchall() for case in cases]
        built = [warehouse.execute(sql, case).fetchall() for case in cases]
    return served, built


CUSTOMERS_SQL = "select * from marts.customers_view(?, ?, ?, grain := ?, channel := ?)"


def test_the_snapshots_customers_view_counts_as_the_warehouses(site: Site):
    """The snapshot answers the Customers view from its own serving table (user_day_links):
    row for row the warehouse's, for every assistant, channel and grain, over windows that
    start and end inside and outside the data and cut weeks and months."""
    windows = [
        (date(2026, 1, 1), date(2026, 2, 14)),
        (date(2025, 12, 20), date(2026, 1, 3)),
        (date(2026, 1, 7), date(2026, 1, 7)),
        (date(2026, 1, 14), date(2026, 2, 2)),
        (date(2026, 1, 30), date(2026, 3, 5)),
        (date(2025, 6, 1), date(2026, 6, 1)),
    ]
    cases = [
        [assistant, first, last, grain, channel]
        for assistant in (ACME, GLOBEX, INITECH)
        for first, last in windows
        for grain in (None, "day", "week", "month")
        for channel in ("all", "web", "whatsapp")
    ]
    served, built = snapshot_and_warehouse(site, CUSTOMERS_SQL, cases)
    assert served == built
    assert sum(row[12] for rows in served for row in rows) > 0  # active users: real counts


DASHBOARD_SQL = "select * from marts.dashboard_view(?, as_of := ?)"


def test_the_snapshots_dashboard_counts_as_the_warehouses(site: Site):
    """The snapshot answers the Dashboard from its month-to-date users per day
    (dashboard_days): row for row the warehouse's, for every assistant, as of days before,
    inside and after the data, first and last days of months, and today (no as-of)."""
    as_of_days = [
        date(2024, 12, 31),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 1, 17),
        date(2026, 1, 31),
        date(2026, 2, 1),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2027, 2, 1),
        None,
    ]
    cases = [[assistant, day] for assistant in (ACME, GLOBEX, INITECH) for day in as_of_days]
    served, built = snapshot_and_warehouse(site, DASHBOARD_SQL, cases)
    assert served == built
    assert all(len(rows) == 12 for rows in served)
    assert sum(row[5] for rows in served for row in rows) > 0  # users: real counts


def test_a_repeated_question_gets_the_same_answer_from_the_cache(site: Site):
    params = {"from": "2026-01-03", "to": "2026-02-09", "channel": "web"}
    path = f"/v1/assistants/{ACME}/customers"
    first, again = (site.server.get(path, site.key, params=params) for _ in range(2))
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert again.headers["cache-control"] == "no-store"
    args = ["--from", "2026-01-03", "--to", "2026-02-09", "--channel", "web"]
    assert again.json() == cli_json(site.deployment, "customers", "--assistant", ACME, *args)
    # the cache answers after the key's check, never in place of it
    refused = site.server.get(path, site.other_key, params=params)
    assert refused.status_code == 404


def test_the_answer_cache_is_bounded_and_keeps_the_recently_used():
    answers = Answers(limit=2)
    assert answers.held("a") is None
    answers.keep("a", b"a")
    answers.keep("b", b"b")
    assert answers.held("a") == b"a"  # now the most recently used
    answers.keep("c", b"c")  # over the limit: "b" leaves, not "a"
    assert answers.held("b") is None
    assert (answers.held("a"), answers.held("c")) == (b"a", b"c")
    assert len(answers) == 2


@pytest.mark.skipif(sys.platform != "linux", reason="a nice value per thread is Linux's")
def test_customers_answers_run_on_their_own_lower_priority_threads(tmp_path: Path):
    app = create_app(ServeConfig(serving=tmp_path, keys=tmp_path / "keys.sqlite"))
    server_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def where() -> tuple[str, int]:
        return threading.current_thread().name, os.getpriority(
            os.PRIO_PROCESS, threading.get_native_id()
        )

    heavy = app.state.heavy_threads
    seen = {heavy.submit(where).result() for _ in range(4 * HEAVY_THREADS)}
    assert {name.rsplit("_", 1)[0] for name, _ in seen} == {"heavy-view"}
    assert {nice for _, nice in seen} == {min(server_nice + HEAVY_NICE, 19)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == server_nice
    heavy.shutdown()


# --------------------------------------------------------------------------- keys and scopes


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer cwk_not-a-key", "Basic YWNtZTpzZWNyZXQ=", "Bearer", "cwk_without_scheme"],
)
def test_no_key_or_an_unknown_one_gets_401(site: Site, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    for path in ["/v1/assistants", *(f"/v1/assistants/{ACME}/{view}" for view in VIEWS)]:
        response = site.server.get(path, headers=headers, params=PARAMETERS.get(path[-9:], {}))
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "key" in one_line_problem(response)


def test_a_revoked_key_gets_401_at_once_without_a_restart(site: Site):
    key_id, key = create_key(site.deployment, ACME)
    assert site.server.get("/v1/assistants", key).status_code == 200
    revoked = site.deployment.chatwh("keys", "revoke", key_id)
    assert revoked.stdout.strip() == f"revoked key {key_id}"
    response = site.server.get(f"/v1/assistants/{ACME}/sessions", key, params=WINDOW)
    assert response.status_code == 401
    assert one_line_problem(response) == "unknown or revoked API key"
    again = site.deployment.chatwh("keys", "revoke", key_id)
    assert again.stdout.strip() == f"{key_id} was revoked before"


@pytest.mark.parametrize("view", VIEWS)
def test_another_clients_assistant_is_404_exactly_like_no_assistant(site: Site, view):
    params = PARAMETERS[view]
    others = site.server.get(f"/v1/assistants/{INITECH}/{view}", site.key, params=params)
    nobody = site.server.get(f"/v1/assistants/no-such-assistant/{view}", site.key, params=params)
    assert others.status_code == nobody.status_code == 404
    assert others.content == nobody.content
    assert one_line_problem(others) == "assistant not found"
    assert INITECH not in others.text
    # the owner of that assistant reads it
    mine = site.server.get(f"/v1/assistants/{INITECH}/{view}", site.other_key, params=params)
    assert mine.status_code == 200


@pytest.mark.parametrize(
    ("view", "params", "message"),
    [
        ("sessions", {"to": "2026-02-14"}, "from: required"),
        ("sessions", {"from": "2026-13-01", "to": "2026-02-14"}, "from: not a date (YYYY-MM-DD)"),
        ("sessions", {"from": "2026-02-30", "to": "2026-03-14"}, "from: not a date (YYYY-MM-DD)"),
        ("sessions", {"from": "20260101", "to": "2026-02-14"}, "from: not a date (YYYY-MM-DD)"),
        (
            "sessions",
            {"from": "2026-02-14", "to": "2026-01-01"},
            "from 2026-02-14 is after to 2026-01-01",
        ),
        (
            "sessions",
            {**WINDOW, "channel": "sms"},
            "channel: input should be 'all', 'web' or 'whatsapp'",
        ),
        (
            "customers",
            {**WINDOW, "grain": "year"},
            "grain: input should be 'day', 'week' or 'month'",
        ),
        (
            "customers",
            {"from": "2000-01-01", "to": "2026-01-01"},
            "the window is longer than 3660 days",
        ),
        (
            "customers",
            {**WINDOW, "chanel": "web"},
            "unknown parameter 'chanel': this endpoint takes from, to, grain, channel",
        ),
        (
            "sessions",
            [("from", "2026-01-01"), ("to", "2026-02-14"), ("channel", "web"), ("channel", "all")],
            "channel: given more than once",
        ),
        ("dashboard", {"as_of": "yesterday"}, "as_of: not a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_parameter_gets_422_with_one_clear_line(site: Site, view, params, message):
    response = site.server.get(f"/v1/assistants/{ACME}/{view}", site.key, params=params)
    assert response.status_code == 422, response.text
    assert one_line_problem(response) == message


HOSTILE = [
    "' or '1'='1",
    "acme-support'; drop table marts.customers; --",
    "acme-support' union select user_id from marts.customers --",
    '") or 1=1 --',
    "../../../etc/passwd",
    "acme-support\x00",
    "<script>alert(1)</script>",
    "{{7*7}}${7*7}",
    "$(touch /tmp/chatwh-pwned)",
    "\u202e\U0001f642" * 20,
    "a" * 5000,
    "2026-01-01' or '1'='1",
    "2026-01-01; select 1",
]


def test_hostile_input_in_every_parameter_never_reaches_sql_nor_fails(site: Site):
    """Every value is bound or refused: 401, 404 or 422 with one line, never a 500, and the
    data the API serves is the same afterwards."""
    server, key = site.server, site.key
    before = {
        view: server.get(f"/v1/assistants/{ACME}/{view}", key, params=PARAMETERS[view]).json()
        for view in VIEWS
    }
    published = server.get("/healthz").json()
    seen: list[tuple[str, int]] = []
    for value in HOSTILE:
        for view in VIEWS:  # the path parameter
            path = f"/v1/assistants/{quote(value, safe='')}/{view}"
            response = server.get(path, key, params=PARAMETERS[view])
            assert response.status_code == 404, (value, response.text)
            seen.append((path, response.status_code))
        for view, params in PARAMETERS.items():  # each query parameter
            for name in params:
                response = server.get(
                    f"/v1/assistants/{ACME}/{view}", key, params={**params, name: value}
                )
                assert response.status_code == 422, (view, name, value, response.text)
                assert one_line_problem(response).startswith(f"{name}:")
        if not any(ord(char) < 32 or ord(char) == 127 for char in value):  # legal in HTTP
            response = server.get(  # the key itself
                "/v1/assistants", headers={"Authorization": b"Bearer " + value.encode("utf-8")}
            )
            assert response.status_code == 401, (value, response.text)
    after = {
        view: server.get(f"/v1/assistants/{ACME}/{view}", key, params=PARAMETERS[view]).json()
        for view in VIEWS
    }
    assert after == before
    assert server.get("/healthz").json() == published
    assert not Path("/tmp/chatwh-pwned").exists()
    assert all(status < 500 for _, status in seen)
    assert all(record["status"] < 500 for record in server.access_log())
