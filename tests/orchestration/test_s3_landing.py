"""An ``s3://`` landing zone, read from an S3-compatible server on 127.0.0.1 (moto).

The real `chatwh run --landing s3://bucket/prefix` runs in a subprocess with the
credentials and the endpoint in its environment (the standard AWS_* variables), and the
three views it builds equal those of the same files loaded from the local folder. No
DuckDB extension is involved (s3fs is registered with DuckDB), so nothing is downloaded:
the subprocess gets an empty home folder, where DuckDB would keep a downloaded extension.
An endpoint that does not answer is one line naming the cause, and the late-arrivals
sensor lists the bucket as it lists a folder.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import Deployment, make_deployment
from tests.support.s3_server import CREDENTIALS, client, free_port, moto_server, upload
from tests.support.support import arrival_days, build_once

BUCKET = "chat-logs"
PREFIX = "landing/acme"
START, DAYS, USERS = "2026-01-01", 6, 120


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto) on a free port of 127.0.0.1, with an empty bucket."""
    with moto_server(BUCKET) as endpoint:
        yield endpoint


def s3_env(deployment: Deployment, endpoint: str) -> dict[str, str]:
    """The deployment's environment with the S3 credentials and endpoint, and a fresh home."""
    home = deployment.root / "home"
    home.mkdir(exist_ok=True)
    return {**deployment.env, **CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "HOME": str(home)}


def views(deployment: Deployment, assistants: list[str], first: str, last: str) -> dict:
    """The three views of every assistant, as `chatwh ... --json` prints them."""
    window = ["--from", first, "--to", last]
    answers = {}
    for assistant in assistants:
        for command, extra in (
            ("dashboard", ["--as-of", last]),
            ("sessions", window),
            ("customers", [*window, "--grain", "day"]),
        ):
            completed = deployment.chatwh(
                command, "--assistant", assistant, *extra, "--json",
                "--warehouse", str(deployment.warehouse),
            )  # fmt: skip
            answers[(assistant, command)] = json.loads(completed.stdout)
    return answers


def _build_local(folder: Path) -> None:
    deployment = make_deployment(folder)
    deployment.chatwh(
        "simulate", "--out", str(deployment.landing), "--start", START, "--days", str(DAYS),
        "--users", str(USERS), "--gzip-share", "0.5",
    )  # fmt: skip
    deployment.run()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The simulated landing zone, loaded from its local folder."""
    return make_deployment(build_once(tmp_path_factory, "s3_landing_local", _build_local))


def test_an_s3_landing_zone_gives_the_same_views_as_the_local_folder(
    local: Deployment, s3_endpoint: str, tmp_path: Path
) -> None:
    assert len(upload(local.landing, s3_endpoint, BUCKET, PREFIX)) > DAYS
    remote = make_deployment(tmp_path)
    env = s3_env(remote, s3_endpoint)
    remote = Deployment(remote.root, remote.landing, remote.warehouse, env)
    completed = remote.chatwh(
        "run", "--landing", f"s3://{BUCKET}/{PREFIX}", "--warehouse", str(remote.warehouse)
    )
    days = arrival_days(local.landing)
    assert f"run {days[0]} to {days[-1]}: {len(days)} days" in completed.stdout
    assert not (Path(env["HOME"]) / ".duckdb").exists(), "DuckDB downloaded an extension"
    # the landing zone's own assistants.csv was read from the bucket, not the project's seed
    assert f"assistants: 4 from s3://{BUCKET}/{PREFIX}/assistants.csv" in completed.stderr

    with open(local.landing / "assistants.csv", newline="", encoding="utf-8") as handle:
        assistants = [row["assistant_id"] for row in csv.DictReader(handle)]
    first, last = days[0].isoformat(), days[-1].isoformat()
    expected = views(local, assistants, first, last)
    assert any(view.get("total_users") for view in expected.values()), "no users: proves little"
    assert views(remote, assistants, first, last) == expected
    audit = "select sum(records), sum(loaded), sum(quarantined) from raw.load_audit"
    assert remote.query(audit) == local.query(audit)


def test_an_unreachable_s3_endpoint_fails_with_one_line_naming_the_cause(
    deployment: Deployment,
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = s3_env(deployment, endpoint)
    completed = Deployment(deployment.root, deployment.landing, deployment.warehouse, env).chatwh(
        "run", "--landing", f"s3://{BUCKET}/{PREFIX}", check=False
    )
    assert completed.returncode != 0
    assert "Traceback" not in completed.stdout + completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    (line,) = lines
    assert line.startswith("chatwh run: error: cannot list the landing zone s3://"), line
    assert "Could not connect to the endpoint URL" in line and endpoint in line, line
    assert not deployment.warehouse.exists()


def test_the_late_arrivals_sensor_lists_an_s3_landing_zone(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.defs.partitions import apply_requests
    from orchestration.defs.resources import Warehouse
    from orchestration.defs.schedules import late_arrivals_sensor

    for name, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    prefix = "sensor"
    s3 = client(s3_endpoint)
    for key in ("web/dt=2004-11-15/a.jsonl", "whatsapp/dt=2004-11-16/a.jsonl.gz"):
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=b"{}\n")
    landing = f"s3://{BUCKET}/{prefix}"
    resources = {
        "warehouse": Warehouse(path=str(tmp_path / "w.duckdb"), landing=landing, pseudonym_key="k")
    }
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:

        def look(cursor: str | None = None):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
            result = late_arrivals_sensor(context)
            apply_requests(instance, result.dynamic_partitions_requests or [])  # as the daemon
            return context.cursor, result

        cursor, result = look()
        assert not result.run_requests
        assert instance.get_dynamic_partitions("arrival_days") == ["2004-11-15", "2004-11-16"]

        time.sleep(1.1)  # S3 keeps modification times to the second
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/web/dt=2004-11-15/late.jsonl", Body=b"{}\n")
        _, result = look(cursor)
        assert [request.partition_key for request in result.run_requests] == ["2004-11-15"]
