"""``chatwh-dbt``, the dbt command the runs start, and the collector paused for big imports.

``chatwh-dbt`` calls dbt's documented programmatic entry point (``dbtRunner``) with the
collector paused for dbt's import (``orchestration/gc_pause.py``): to the run that starts it,
it must be dbt's own command line, same output, same exit codes.
"""

from __future__ import annotations

import gc
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import gc_pause, settings

BIN = Path(sys.executable).parent
MODEL = "select 1 as one from a_table_that_does_not_exist"
PROFILE = """broken:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {path}
"""


def broken_project(root: Path) -> Path:
    """A dbt project whose one model fails: dbt ends it with exit code 1."""
    (root / "models").mkdir(parents=True)
    (root / "models" / "broken.sql").write_text(MODEL)
    (root / "dbt_project.yml").write_text(
        "name: broken\nversion: '1.0.0'\nconfig-version: 2\nprofile: broken\n"
    )
    (root / "profiles.yml").write_text(PROFILE.format(path=root / "broken.duckdb"))
    return root


@pytest.mark.parametrize(
    ("arguments", "exit_code", "says"),
    [
        (["--version"], 0, importlib.metadata.version("dbt-core")),
        (["ls", "--no-such-option"], 2, "No such option"),
        (["run"], 1, "a_table_that_does_not_exist"),
    ],
    ids=["version", "usage-error", "failed-node"],
)
def test_chatwh_dbt_answers_as_dbts_own_command(
    arguments: list[str], exit_code: int, says: str, tmp_path: Path
) -> None:
    project = broken_project(tmp_path / "project")
    where = ["--project-dir", str(project), "--profiles-dir", str(project)]
    answers = {
        command: subprocess.run(
            [str(BIN / command), *arguments, *(where if arguments == ["run"] else [])],
            capture_output=True,
            text=True,
            env=settings.child_environment(),
            cwd=tmp_path,
        )
        for command in ("dbt", "chatwh-dbt")
    }
    for command, answer in answers.items():
        assert answer.returncode == exit_code, (command, answer.stdout, answer.stderr)
        assert says in answer.stdout + answer.stderr, (command, answer.stdout, answer.stderr)


def test_the_runs_start_dbt_as_chatwh_dbt() -> None:
    [ours] = importlib.metadata.entry_points(group="console_scripts", name="chatwh-dbt")
    assert ours.value == "orchestration.gc_pause:dbt_main"
    assert settings.DBT_EXECUTABLE == BIN / "chatwh-dbt"


def test_imports_without_gc_pause_the_collector_and_freeze_what_exists() -> None:
    frozen = gc.get_freeze_count()
    try:
        with gc_pause.imports_without_gc():
            assert not gc.isenabled()
            made = [object() for _ in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()
        gc.enable()
