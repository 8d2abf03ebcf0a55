"""The dbt resource (``orchestration/defs/dbt_runner.py``): real dbt, in this process."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.defs.dbt_runner import DbtBuildError, dbt_resource


def test_dbt_runs_in_this_process_and_writes_its_artifacts_in_the_target(tmp_path: Path) -> None:
    target = tmp_path / "target"
    with contextlib.redirect_stdout(io.StringIO()) as said:
        finished, error = dbt_resource().invoke(
            ["parse", *settings.dbt_vars(tmp_path / "warehouse.duckdb")], target_path=target
        )
    assert error is None and finished == []  # a parse finishes no node
    manifest = json.loads((target / "manifest.json").read_text())
    assert "model.chat_warehouse.fct_sessions" in manifest["nodes"]
    assert (target / "dbt.log").is_file()  # dbt's log beside its artifacts
    assert "Performance info" in said.getvalue()  # dbt's own lines go to stdout
    assert not (tmp_path / "warehouse.duckdb").exists()  # parse opens no database


def test_a_failed_command_says_what_failed_without_raising(tmp_path: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        finished, error = dbt_resource().invoke(
            ["build", "--no-such-option"], target_path=tmp_path / "target"
        )
    assert isinstance(error, DbtBuildError) and finished == []
    assert str(error).startswith("dbt build failed: ") and "--no-such-option" in str(error)


def test_the_warehouse_file_is_free_once_dbt_is_done(tmp_path: Path) -> None:
    """dbt-duckdb keeps its database open for the next invocation; the runner closes it, so
    that this process can open the file another way (read-only, as the views do)."""
    warehouse = tmp_path / "warehouse.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        _, error = dbt_resource().invoke(
            ["show", "--inline", "select 1 as one", *settings.dbt_vars(warehouse)],
            target_path=tmp_path / "target",
        )
    assert error is None and warehouse.exists()  # dbt show opened (and made) the file
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select 1").fetchall() == [(1,)]
