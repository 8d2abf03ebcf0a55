"""Dagster shows what a run built: every mart's materialization carries its row count and a
preview, the Sessions view of the last 30 days of every assistant as a markdown table.

After the real `chatwh run` of the simulated landing zone, the Dagster instance of that run
is read back; the preview's numbers are compared with `chatwh sessions --json`.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import dagster as dg
import duckdb
import pandas as pd

from orchestration.defs.mart_metadata import PREVIEW_DAYS, ROW_COUNT, pipe_table
from tests.conftest import Deployment, make_deployment


def markdown_rows(text: str) -> list[dict[str, str]]:
    """The rows of the (one) markdown pipe table in ``text``, by column name."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header, _rule, *rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return [dict(zip(header, row, strict=True)) for row in rows]


def latest_marts(deployment: Deployment) -> dict[str, dict]:
    """The metadata of each mart's latest materialization in the deployment's instance."""
    home = deployment.env["DAGSTER_HOME"]
    marts = [
        row[0]
        for row in deployment.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    ]
    with dg.DagsterInstance.from_config(home) as instance:
        return {
            mart: instance.get_latest_materialization_event(
                dg.AssetKey(["marts", mart])
            ).asset_materialization.metadata
            for mart in marts
        }


def test_every_mart_carries_its_row_count(simulated: Deployment) -> None:
    materialized = latest_marts(simulated)
    assert {"customers", "fct_sessions", "session_chains_daily"} <= set(materialized)
    for mart, metadata in materialized.items():
        [(rows,)] = simulated.query(f"select count(*) from marts.{mart}")
        assert metadata[ROW_COUNT].value == rows, mart
    assert materialized["fct_sessions"][ROW_COUNT].value > 0


def test_every_mart_carries_the_sessions_preview(simulated: Deployment) -> None:
    previews = {mart: meta["preview"].value for mart, meta in latest_marts(simulated).items()}
    [preview] = set(previews.values())  # the same on every mart of the run
    [(latest,)] = simulated.query("select max(session_date) from marts.fct_sessions")
    first = latest - timedelta(days=PREVIEW_DAYS - 1)
    assert f"{first} to {latest}" in preview
    rows = markdown_rows(preview)
    assistants = [
        row[0] for row in simulated.query("select assistant_id from marts.dim_assistants")
    ]
    assert sorted(row["assistant_id"] for row in rows) == sorted(assistants)
    for row in rows:
        view = json.loads(
            simulated.chatwh(
                "sessions",
                "--assistant",
                row["assistant_id"],
                "--from",
                first.isoformat(),
                "--to",
                latest.isoformat(),
                "--json",
                "--warehouse",
                str(simulated.warehouse),
            ).stdout
        )
        for field in ("total_users", "unique_users", "recurring_users"):
            assert row[field] == str(view[field])
        for field in ("unique_pct", "recurring_pct"):
            assert row[field] == ("—" if view[field] is None else f"{view[field]:.1f}")
    assert sum(int(row["total_users"]) for row in rows) > 0


def test_the_pipe_table_without_tabulate_has_the_same_cells() -> None:
    frame = pd.DataFrame(
        {
            "assistant_id": ["acme-support", "globex-sales"],
            "total_users": [12, 0],
            "unique_pct": ["50.0", "—"],
        }
    )
    ours, tabulated = pipe_table(frame), frame.to_markdown(index=False)
    assert markdown_rows(ours) == markdown_rows(tabulated)
    assert markdown_rows(ours)[1] == {
        "assistant_id": "globex-sales",
        "total_users": "0",
        "unique_pct": "—",
    }


def test_the_pipe_table_escapes_pipes() -> None:
    table = pipe_table(pd.DataFrame({"name": ["a|b"], "n": [1]}))
    assert table.splitlines() == ["| name | n |", "| --- | --- |", r"| a\|b | 1 |"]


def test_the_marts_dbt_built_before_it_failed_are_still_materialized(
    simulated: Deployment, tmp_path, monkeypatch
) -> None:
    """A build that fails halfway still records what it built (the asset holds the marts'
    outputs until dbt ends): the marts before the failure, without the metadata."""
    deployment = make_deployment(tmp_path)
    shutil.copytree(simulated.landing, deployment.landing)
    shutil.copyfile(simulated.warehouse, deployment.warehouse)
    with duckdb.connect(str(deployment.warehouse)) as con:  # on_schema_change: fail
        con.execute("alter table marts.session_chains_daily add column stray integer")
    completed = deployment.run("--date", "2026-02-14", check=False)
    assert completed.returncode != 0 and "session_chains_daily" in completed.stderr
    assert "chatwh_warehouse" not in completed.stderr  # dbt's command, said without its vars

    with dg.DagsterInstance.from_config(deployment.env["DAGSTER_HOME"]) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.FAILURE

        def materializations(mart: str) -> list:
            key = dg.AssetKey(["marts", mart])
            return instance.fetch_materializations(key, limit=10).records

        [built] = materializations("fct_sessions")
        assert built.run_id == run.run_id
        assert ROW_COUNT not in built.asset_materialization.metadata
        assert materializations("session_chains_daily") == []
