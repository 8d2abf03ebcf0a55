"""`chatwh serve` while the warehouse changes under it (SPEC §6: "reads never fail or see
half a run"): the server and a nightly `chatwh run --date` at the same time, then an
erasure. Real processes: the server, the run and `chatwh forget`, each in a subprocess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from tests.conftest import CHATWH, SIMULATION_START, Deployment, make_deployment, simulate_landing
from tests.support.serve_support import Server, create_key, serving
from tests.support.support import arrival_days

ACME = "acme-support"
WINDOW = {"from": SIMULATION_START.isoformat(), "to": "2026-02-15"}
REQUESTS = [
    ("/v1/assistants", {}),
    (f"/v1/assistants/{ACME}/dashboard", {"as_of": "2026-02-15"}),
    (f"/v1/assistants/{ACME}/sessions", WINDOW),
    (f"/v1/assistants/{ACME}/sessions", {**WINDOW, "channel": "web"}),
    (f"/v1/assistants/{ACME}/sessions", {"from": "2026-02-10", "to": "2026-02-15"}),
    (f"/v1/assistants/{ACME}/customers", {**WINDOW, "grain": "week"}),
    (f"/v1/assistants/{ACME}/customers", {"from": "2026-02-01", "to": "2026-02-15"}),
]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """A simulated landing zone, loaded but for its last arrival day."""
    deployment = make_deployment(tmp_path_factory.mktemp("serve-nightly"))
    simulate_landing(deployment, seed=11)
    days = arrival_days(deployment.landing)
    deployment.run("--from", days[0].isoformat(), "--to", days[-2].isoformat())
    return deployment


def answers(server: Server, key: str) -> list[dict]:
    responses = [server.get(path, key, params=params) for path, params in REQUESTS]
    assert all(response.status_code == 200 for response in responses)
    return [response.json() for response in responses]


def test_while_a_nightly_run_writes_every_answer_is_the_build_before_or_after(
    history: Deployment, tmp_path: Path
):
    _, key = create_key(history, ACME)
    last_day = arrival_days(history.landing)[-1].isoformat()
    with serving(history, tmp_path / "serve.log") as server:
        before = answers(server, key)
        published_before = server.get("/healthz").json()["snapshot_published_at"]
        run = subprocess.Popen(
            [CHATWH, "run", "--landing", str(history.landing), "--warehouse",
             str(history.warehouse), "--date", last_day],
            env=history.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        seen: list[tuple[int, int, object]] = []  # (request, status, answer) during the run

        def client() -> None:
            while run.poll() is None:
                for index, (path, params) in enumerate(REQUESTS):
                    response = server.get(path, key, params=params)
                    body = response.json() if response.status_code == 200 else response.text
                    seen.append((index, response.status_code, body))

        clients = [threading.Thread(target=client) for _ in range(3)]
        for thread in clients:
            thread.start()
        output = run.communicate()[0]
        for thread in clients:
            thread.join()
        assert run.returncode == 0, output
        after = answers(server, key)
        published_after = server.get("/healthz").json()["snapshot_published_at"]

    assert len(seen) > 50, "the clients did not overlap the run"
    assert [status for _, status, _ in seen if status != 200] == []
    for index, _, body in seen:
        assert body in (before[index], after[index]), (REQUESTS[index], body)
    assert published_after > published_before
    assert after != before, "the last day changed nothing: the test would prove nothing"
    # the new build is exactly the warehouse's: the CLI reads it directly after the run
    cli = history.chatwh("sessions", "--assistant", ACME, "--from", WINDOW["from"],
                         "--to", WINDOW["to"], "--json")  # fmt: skip
    assert after[2] == json.loads(cli.stdout)


def test_an_erasure_publishes_a_snapshot_without_the_person(history: Deployment, tmp_path: Path):
    [(anonymous_id,)] = history.query(
        "select user_id from marts.customers where assistant_id = ? and channel = 'web' "
        "order by lifetime_sessions desc, user_id limit 1",
        [ACME],
    )
    serving_dir = settings.serving_dir(history.warehouse)
    link = serving_dir / "current.duckdb"

    def snapshot_users() -> int:
        """The users of the person's first day in the snapshot's first sessions per day (no
        user id there: by their date)."""
        with duckdb.connect(str(link), read_only=True) as con:
            return con.execute(
                "select coalesce(sum(users), 0) from marts.new_users_daily "
                "where assistant_id = $assistant and channel = 'web' "
                "and first_session_date = $first",
                {"assistant": ACME, "first": first_date},
            ).fetchall()[0][0]

    [(first_date,)] = history.query(
        "select first_session_date from marts.customers where assistant_id = ? "
        "and channel = 'web' and user_id = ?",
        [ACME, anonymous_id],
    )
    _, key = create_key(history, ACME)
    old_snapshot = link.resolve()
    users_before = snapshot_users()
    with serving(history, tmp_path / "serve.log") as server:
        params = {**WINDOW, "channel": "web"}
        before = server.get(f"/v1/assistants/{ACME}/sessions", key, params=params).json()
        history.chatwh("forget", "--anonymous-id", anonymous_id)
        after = server.get(f"/v1/assistants/{ACME}/sessions", key, params=params).json()
    assert after["total_users"] == before["total_users"] - 1
    assert link.resolve() != old_snapshot and not old_snapshot.exists()
    assert sorted(path.name for path in serving_dir.iterdir()) == sorted(
        ["current.duckdb", link.resolve().name]
    )
    assert snapshot_users() == users_before - 1


def test_serve_publishes_a_snapshot_for_a_warehouse_built_before_serving_existed(
    history: Deployment, tmp_path: Path
):
    serving_dir = settings.serving_dir(history.warehouse)
    shutil.rmtree(serving_dir)  # as a warehouse of a version without snapshots
    _, key = create_key(history, ACME)
    expected = json.loads(
        history.chatwh("sessions", "--assistant", ACME, "--from", WINDOW["from"],
                       "--to", WINDOW["to"], "--json").stdout
    )  # fmt: skip
    with serving(history, tmp_path / "serve.log") as server:
        assert server.get("/healthz").status_code == 200
        answer = server.get(f"/v1/assistants/{ACME}/sessions", key, params=WINDOW).json()
    assert answer == expected
    assert (serving_dir / "current.duckdb").resolve().is_file()
