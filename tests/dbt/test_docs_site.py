"""`make docs` builds the dbt docs site with or without a built warehouse, and never
writes a warehouse file (issue 17, item 2). The real `make docs` in a subprocess."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from tests.conftest import Deployment, chatwh_env

PROJECT_DIR = Path(__file__).resolve().parents[2]
TARGET = PROJECT_DIR / "dbt_project" / "target" / "docs"


def make_docs(env: dict[str, str]) -> dict:
    """Run `make docs`; the catalog it wrote."""
    completed = subprocess.run(
        ["make", "-C", str(PROJECT_DIR), "docs"], env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (TARGET / "static_index.html").is_file()
    return json.loads((TARGET / "catalog.json").read_text())


def test_docs_without_a_warehouse_create_none(tmp_path: Path) -> None:
    missing = tmp_path / "no-data" / "warehouse.duckdb"
    catalog = make_docs(chatwh_env(tmp_path, CHATWH_WAREHOUSE=str(missing)))
    assert catalog["nodes"] == {}  # no column types without a warehouse
    assert not missing.parent.exists()


def test_docs_read_a_built_warehouse_and_leave_it_unchanged(simulated: Deployment) -> None:
    before = hashlib.sha256(simulated.warehouse.read_bytes()).hexdigest()
    catalog = make_docs(simulated.env)
    assert any(node.endswith(".customers") for node in catalog["nodes"])
    assert hashlib.sha256(simulated.warehouse.read_bytes()).hexdigest() == before
