"""`chatwh serve`: the HTTP API on the simulated warehouse (SPEC §6), through the real
command in a subprocess and a real HTTP client: the same JSON as `chatwh ... --json`, keys
(401), scopes (404), bad and hostile parameters (422, never a 500), CORS, the bind address,
the access log, the API docs without a CDN, and a graceful stop on SIGTERM.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from orchestration import settings
from orchestration.serve.answers import Answers
from orchestration.serve.snapshot import SERVING_SOURCES, SERVING_TABLES

from .conftest import Deployment
from .serve_support import Server, create_key, serving, with_keys

pytestmark = pytest.mark.xdist_group("simulated")

ACME, GLOBEX, INITECH = "acme-support", "globex-sales", "initech-help"
WINDOW = {"from": "2026-01-01", "to": "2026-02-14"}
VIEWS = ("dashboard", "sessions", "customers")
PARAMETERS = {
    "dashboard": {"as_of": "2026-02-14"},
    "sessions": {**WINDOW, "channel": "all"},
    "customers": {**WINDOW, "grain": "week", "channel": "all"},
}


@dataclass(frozen=True)
class Site:
    deployment: Deployment
    server: Server
    key: str  # covers acme-support and globex-sales
    other_key: str  # covers initech-help only


@pytest.fixture(scope="module")
def site(simulated: Deployment, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serve")
    deployment = with_keys(simulated, root / "keys.sqlite")
    _, key = create_key(deployment, ACME, GLOBEX)
    _, other_key = create_key(deployment, INITECH)
    with serving(deployment, root / "serve.log") as server:
        yield Site(deployment, server, key, other_key)


def cli_json(deployment: Deployment, *args: str) -> dict:
    return json.loads(deployment.chatwh(*args, "--json").stdout)


def one_line_problem(response) -> str:
    """The body of an error: {"detail": one line}, and nothing of a traceback."""
    body = response.json()
    assert set(body) == {"detail"}, body
    assert "\n" not in body["detail"] and "Traceback" not in response.text, body
    return body["detail"]


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
        customers = con.execute("select count(*) from marts.customers").fetchall()[0][0]
    assert tables == sorted(
        [("main", "snapshot_info"), ("marts", "customers"), ("marts", "user_day_links")]
        + [("marts", table) for table in SERVING_TABLES]
    )
    assert user_columns == []  # no user id: the views need none
    assert [name for (name,) in macros] == [
        "customers_buckets",
        "customers_frame",
        "customers_view",
        "dashboard_view",
        "sessions_view",
    ]
    assert counts == {
        table: site.deployment.query(f"select count(*) from marts.{table}")[0][0]
        for table in SERVING_TABLES
    }
    assert customers == site.deployment.query("select count(*) from marts.customers")[0][0]
    assert counts["session_chains_daily"] > 0


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
    link = settings.serving_dir(site.deployment.warehouse) / "current.duckdb"
    with (
        duckdb.connect(str(link), read_only=True) as snapshot,
        duckdb.connect(str(site.deployment.warehouse), read_only=True) as warehouse,
    ):
        served = [snapshot.execute(CUSTOMERS_SQL, case).fetchall() for case in cases]
        built = [warehouse.execute(CUSTOMERS_SQL, case).fetchall() for case in cases]
    assert served == built
    assert sum(row[12] for rows in served for row in rows) > 0  # active users: real counts


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
    computed: list[str] = []

    def compute(text: str):
        return lambda: computed.append(text) or text.encode()

    assert answers.get("a", compute("a")) == b"a"
    assert answers.get("b", compute("b")) == b"b"
    assert answers.get("a", compute("a again")) == b"a"  # held: not computed again
    assert answers.get("c", compute("c")) == b"c"  # over the limit: "b" leaves
    assert answers.get("b", compute("b again")) == b"b again"
    assert computed == ["a", "b", "c", "b again"]
    assert len(answers) == 2


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


# --------------------------------------------------------------------------- the key commands


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(site: Site, tmp_path: Path):
    deployment = with_keys(site.deployment, tmp_path / "keys.sqlite")
    created = deployment.chatwh("keys", "create", "--assistant", ACME, "--assistant", GLOBEX)
    *before, key = created.stdout.strip().splitlines()
    assert re.fullmatch(r"cwk_[A-Za-z0-9_-]{43}", key)
    assert not any(key in line for line in before)
    key_id = re.search(r"created key (k[0-9a-f]{12}) for acme-support, globex-sales", before[0])[1]
    listed = deployment.chatwh("keys", "list").stdout
    as_json = json.loads(deployment.chatwh("keys", "list", "--json").stdout)
    assert key not in listed and key not in json.dumps(as_json)
    assert re.fullmatch(rf"{key_id}  \S+Z  active\s+  acme-support, globex-sales\n", listed)
    assert as_json == [
        {
            "key_id": key_id,
            "assistants": [ACME, GLOBEX],
            "created_at": as_json[0]["created_at"],
            "revoked_at": None,
        }
    ]
    stored = (tmp_path / "keys.sqlite").read_bytes()
    assert key.encode() not in stored
    assert hashlib.sha256(key.encode()).hexdigest().encode() in stored
    assert stat.S_IMODE((tmp_path / "keys.sqlite").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["create"], 2, "the following arguments are required: --assistant"),
        (
            ["create", "--assistant", "acme-suport"],
            2,
            "unknown assistant 'acme-suport': known are acme-support, globex-sales, "
            "initech-help, umbrella-care",
        ),
        (
            ["revoke", "k000000000000"],
            1,
            "no key 'k000000000000': `chatwh keys list` shows the key ids",
        ),
        (["rotate"], 2, "invalid choice: 'rotate'"),
        (
            ["create", "--assistant", "acme-support", "--warehouse", "/nonexistent/w.duckdb"],
            1,
            "no folder /nonexistent for the key file",
        ),
    ],
)
def test_a_mistyped_key_command_says_one_line(site: Site, tmp_path: Path, args, status, message):
    keys = tmp_path / "keys.sqlite"
    deployment = with_keys(site.deployment, keys)
    if "--warehouse" in args:  # the key file beside a mistyped warehouse: none is made
        deployment.env.pop("CHATWH_KEYS")
    completed = deployment.chatwh("keys", *args, check=False)
    assert completed.returncode == status
    assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr
    assert message in completed.stderr
    assert not keys.exists() and not Path("/nonexistent").exists()  # nothing made


# --------------------------------------------------------------------------- as a service


def _listening_addresses(port: int) -> set[str]:
    """The local addresses that listen on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_binds_to_loopback_unless_told_otherwise(site: Site):
    port = int(site.server.url.rsplit(":", 1)[1])
    assert site.server.url.startswith("http://127.0.0.1:")
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex


@pytest.mark.parametrize(
    ("host", "reason"), [("127.0.0.1", "Address already in use"), ("192.0.2.1", "Cannot assign")]
)
def test_an_address_it_cannot_listen_on_is_one_line(site: Site, host: str, reason: str):
    port = site.server.url.rsplit(":", 1)[1]  # taken by the module's server
    completed = site.deployment.chatwh("serve", "--host", host, "--port", port, check=False)
    assert completed.returncode == 1
    assert completed.stderr.startswith(f"chatwh serve: error: cannot listen on {host}:{port}: ")
    assert reason in completed.stderr and len(completed.stderr.splitlines()) == 1


def test_cors_allows_the_configured_origins_only(site: Site, tmp_path: Path):
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    deployment = with_keys(site.deployment, tmp_path / "keys.sqlite")
    deployment.env["CHATWH_CORS_ORIGINS"] = "https://reports.example.org"
    with serving(
        deployment, tmp_path / "serve.log", "--cors-origin", "https://app.example.com"
    ) as server:
        for origin in ("https://app.example.com", "https://reports.example.org"):
            allowed = server.client_options(origin, preflight)
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == origin
        refused = server.client_options("https://evil.example.net", preflight)
        assert "access-control-allow-origin" not in refused.headers
    default = site.server.client_options("https://app.example.com", preflight)
    assert "access-control-allow-origin" not in default.headers


def test_the_access_log_is_json_with_templates_and_key_ids_only(site: Site, tmp_path: Path):
    deployment = with_keys(site.deployment, tmp_path / "keys.sqlite")
    key_id, key = create_key(deployment, ACME)
    personal = "34600000000"
    with serving(deployment, tmp_path / "serve.log") as server:
        server.get(f"/v1/assistants/{ACME}/sessions", key, params=WINDOW)
        server.get(f"/v1/assistants/{ACME}/sessions", key, params={**WINDOW, "channel": personal})
        server.get(f"/v1/assistants/{personal}/dashboard", key)
        server.get("/v1/assistants", headers={"Authorization": f"Bearer {personal}"})
        server.get("/app")
        assert server.stop() == 0
        text = server.log.read_text()
        records = server.access_log()
    assert all(json.loads(line) for line in text.splitlines())  # every line is JSON
    assert [(r["route"], r["status"], r["key_id"]) for r in records] == [
        ("/v1/assistants/{assistant_id}/sessions", 200, key_id),
        ("/v1/assistants/{assistant_id}/sessions", 422, key_id),
        ("/v1/assistants/{assistant_id}/dashboard", 404, key_id),
        ("/v1/assistants", 401, None),
        ("/app", 200, None),
    ]
    assert all(
        set(r) == {"ts", "level", "logger", "method", "route", "status", "ms", "key_id"}
        for r in records
    )
    for secret in (key, personal, "2026-01-01", "from=", "127.0.0.1", "Bearer"):
        assert secret not in text, secret


def test_sigterm_stops_the_server_gracefully_with_status_0(site: Site, tmp_path: Path):
    deployment = with_keys(site.deployment, tmp_path / "keys.sqlite")
    with serving(deployment, tmp_path / "serve.log") as server:
        assert server.get("/healthz").status_code == 200
        assert server.stop(timeout=20) == 0  # prompt: well within uvicorn's 10 s grace
        assert server.process.stdout.read().strip() == "stopped (SIGTERM)"


def test_without_a_published_build_the_api_answers_503(deployment: Deployment, tmp_path: Path):
    settings.serving_dir(deployment.warehouse).mkdir(parents=True)
    _, key = create_key(deployment, ACME)
    with serving(deployment, tmp_path / "serve.log") as server:
        health = server.get("/healthz")
        views = server.get("/v1/assistants", key)
        unknown = server.get("/v1/assistants", "cwk_nope")
    assert health.status_code == views.status_code == 503
    assert views.headers["retry-after"] == "60"
    assert one_line_problem(views) == "no build published yet: the next `chatwh run` publishes one"
    assert unknown.status_code == 401  # the key is checked first


def test_the_api_docs_and_the_page_load_nothing_from_elsewhere(site: Site):
    schema = site.server.get("/openapi.json").json()
    assert {
        "/v1/assistants",
        "/v1/assistants/{assistant_id}/dashboard",
        "/v1/assistants/{assistant_id}/sessions",
        "/v1/assistants/{assistant_id}/customers",
        "/healthz",
    } == set(schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for page in ("/docs", "/redoc", "/app"):
        response = site.server.get(page)
        assert response.status_code == 200
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""", response.text)
        assert urls, page
        for url in urls:
            assert url.startswith("/") or url.startswith("data:"), (page, url)
            if url.startswith("/"):
                assert site.server.get(url).status_code == 200, (page, url)
    assert "connect-src 'self'" in site.server.get("/app").headers["content-security-policy"]


def test_the_snapshot_is_an_asset_downstream_of_the_serving_marts():
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.serving import SERVING_SNAPSHOT

    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    parents = {dep.asset_key for dep in specs[SERVING_SNAPSHOT].deps}
    assert parents == {dg.AssetKey(["marts", table]) for table in SERVING_SOURCES}
    job = defs.resolve_job_def("nightly")
    assert SERVING_SNAPSHOT in job.asset_layer.selected_asset_keys
