"""`chatwh serve` as a service, on the simulated warehouse, through the real command in a
subprocess and a real HTTP client: the key commands, CORS, the bind address, the access log,
no build published yet (503), the API docs without a CDN, and a graceful stop on SIGTERM.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path

import pytest

from orchestration import settings
from orchestration.serve.snapshot import SERVING_SOURCES
from tests.conftest import Deployment
from tests.support.serve_support import (
    ACME,
    GLOBEX,
    WINDOW,
    Site,
    create_key,
    one_line_problem,
    serving,
    with_keys,
)

pytestmark = pytest.mark.xdist_group("simulated")


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
