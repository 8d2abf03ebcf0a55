"""`chatwh demo` works in its own folder and never touches the configured landing zone or
warehouse (issue 17, item 1): the real command in a subprocess, with CHATWH_LANDING and
CHATWH_WAREHOUSE pointing at a built deployment, which must come out byte for byte the same.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration.settings import DEMO_PSEUDONYM_KEY
from tests.conftest import Deployment, chatwh_env, run_chatwh
from tests.support.support import assert_one_line_error


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file under the roots (or the file itself), by path, with its sha256."""
    files = [path for root in roots for path in ([root] if root.is_file() else root.rglob("*"))]
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(files)
        if path.is_file()
    }


def test_demo_leaves_the_configured_landing_zone_and_warehouse_as_they_were(
    simulated: Deployment, tmp_path: Path
) -> None:
    warehouse_files = sorted(simulated.warehouse.parent.glob(f"{simulated.warehouse.name}*"))
    before = snapshot(simulated.landing, *warehouse_files)
    demo = tmp_path / "demo"
    env = {**simulated.env, "CHATWH_DEMO_DIR": str(demo)}
    result = run_chatwh("demo", "--days", "20", "--users", "60", env=env)

    assert sorted(simulated.warehouse.parent.glob(f"{simulated.warehouse.name}*")) == (
        warehouse_files
    )
    assert snapshot(simulated.landing, *warehouse_files) == before
    for view in ("Dashboard · acme-support", "Sessions · acme-support", "Customers · acme-support"):
        assert view in result.stdout, view
    assert "month to date" in result.stdout
    # the demo's own data, and the line that goes on from it
    assert (demo / "warehouse.duckdb").is_file() and (demo / "landing" / "web").is_dir()
    assert any((demo / "dagster_home").iterdir())
    assert f"CHATWH_WAREHOUSE={demo / 'warehouse.duckdb'}" in result.stdout
    assert f"CHATWH_PSEUDONYM_KEY={DEMO_PSEUDONYM_KEY}" in result.stdout


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "landing" / "web").mkdir(parents=True)
    precious = folder / "landing" / "web" / "notes.jsonl"
    precious.write_text("mine\n")
    env = chatwh_env(tmp_path, CHATWH_DEMO_DIR=str(folder))
    result = run_chatwh("demo", "--days", "2", "--users", "5", env=env, check=False)
    assert_one_line_error(result, str(folder), "CHATWH_DEMO_DIR")
    assert precious.read_text() == "mine\n"
    assert sorted(path.name for path in folder.rglob("*")) == ["landing", "notes.jsonl", "web"]


# --------------------------------------------------------------------------- no command
# overwrites a file it did not make


def test_report_replaces_its_own_page_but_no_other_file(
    simulated: Deployment, tmp_path: Path
) -> None:
    window = ["--assistant", "acme-support", "--from", "2026-01-01", "--to", "2026-01-31"]
    window += ["--warehouse", str(simulated.warehouse)]
    page = tmp_path / "report.html"
    for _ in range(2):  # a second report replaces the first
        simulated.chatwh("report", *window, "--out", str(page))
    assert "acme-support" in page.read_text()

    notes = tmp_path / "notes.html"
    notes.write_text("<p>mine</p>\n")
    result = simulated.chatwh("report", *window, "--out", str(notes), check=False)
    assert_one_line_error(result, str(notes), "not a chatwh report")
    assert notes.read_text() == "<p>mine</p>\n"


def test_simulate_keeps_an_assistants_file_it_did_not_write(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "assistants.csv").write_text("assistant_id,name,timezone,whatsapp_phone_number_id\n")
    env = chatwh_env(tmp_path)
    result = run_chatwh("simulate", "--out", str(landing), "--days", "2", env=env, check=False)
    assert_one_line_error(result, "assistants.csv")
    assert sorted(path.name for path in landing.iterdir()) == ["assistants.csv"]
    assert (landing / "assistants.csv").read_text().count("\n") == 1
