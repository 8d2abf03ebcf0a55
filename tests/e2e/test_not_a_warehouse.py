"""Commands pointed at a file that holds no chat warehouse (issue 17, item 2): a missing
path, an empty DuckDB file, a DuckDB database of something else, a text file and a file of
no bytes. Each command says so in one line, exits non-zero and creates or changes nothing.
The real `chatwh` in a subprocess, on real files in a temp folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from tests.conftest import chatwh_env, run_chatwh
from tests.support.support import assert_one_line_error


def make_missing(path: Path) -> None:
    """Nothing there (not even the folder)."""


def make_empty_duckdb(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(path)).close()


def make_foreign_duckdb(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema sales; create table sales.orders as select 1 as order_id")


def make_text(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("order_id\n1\n")


def make_no_bytes(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


# kind -> (builder, words the one line must hold)
KINDS = {
    "missing": (make_missing, ["no warehouse at", "chatwh run"]),
    "empty DuckDB file": (make_empty_duckdb, ["no warehouse at", "empty DuckDB file"]),
    "foreign DuckDB file": (make_foreign_duckdb, ["not a chat warehouse"]),
    "text file": (make_text, ["not a DuckDB file"]),
    "file of no bytes": (make_no_bytes, ["not a DuckDB file"]),
}
WINDOW = ["--assistant", "acme-support", "--from", "2026-01-01", "--to", "2026-01-31"]
COMMANDS = {
    "dashboard": ["dashboard", "--assistant", "acme-support"],
    "sessions": ["sessions", *WINDOW],
    "customers": ["customers", *WINDOW, "--json"],
    "report": ["report", *WINDOW, "--out", "{tmp}/report.html"],
    "forget": ["forget", "--wa-id", "34600111222"],
    "status": ["status"],
}


def state(folder: Path) -> dict[str, str]:
    """Every file under the folder with its sha256."""
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_command_on_what_is_no_warehouse_says_so_and_creates_nothing(
    tmp_path: Path, kind: str, command: str
) -> None:
    build, words = KINDS[kind]
    folder = tmp_path / "place"
    warehouse = folder / "warehouse.duckdb"
    build(warehouse)
    before = state(tmp_path)
    env = chatwh_env(tmp_path / "home", CHATWH_WAREHOUSE=str(warehouse))
    args = [arg.format(tmp=tmp_path) for arg in COMMANDS[command]]
    result = run_chatwh(*args, env=env, check=False)
    assert_one_line_error(result, str(warehouse), *words)
    assert state(tmp_path) == before  # nothing created, nothing changed
    assert folder.exists() == (kind != "missing")


@pytest.mark.parametrize("kind", ["foreign DuckDB file", "text file"])
def test_a_run_refuses_a_file_that_is_no_warehouse(tmp_path: Path, kind: str) -> None:
    build, words = KINDS[kind]
    warehouse = tmp_path / "place" / "warehouse.duckdb"
    build(warehouse)
    day = tmp_path / "landing" / "web" / "dt=2026-01-05"
    day.mkdir(parents=True)
    (day / "part-0.jsonl").write_text("")
    before = state(tmp_path / "place")
    env = chatwh_env(tmp_path / "home", CHATWH_LANDING=str(tmp_path / "landing"))
    result = run_chatwh("run", "--warehouse", str(warehouse), env=env, check=False)
    assert_one_line_error(result, str(warehouse), *words)
    assert state(tmp_path / "place") == before
    assert not (tmp_path / "home").exists()  # stopped before the Dagster home was made
