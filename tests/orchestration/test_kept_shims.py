"""The two shims on a dependency's private API that the project keeps, and what they use.

Each buys about 20 % of a nightly's CPU (docs/design.md, "Configuration") and lives in one
module: ``orchestration/defs/local_dbt.py`` overrides two private methods of dagster-dbt's
``DbtCliResource``, and ``orchestration/gc_pause.py`` (``chatwh-dbt``) calls dbt's own
command line object, which dbt documents only as its console script. An upgrade that
renames, re-types or stops calling them fails here, loudly, instead of silently running the
slow way (or not at all).
"""

from __future__ import annotations

import gc
import importlib.metadata
import inspect
import json
import subprocess
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration import gc_pause, settings
from orchestration.defs.local_dbt import LocalDbtCliResource, dbt_resource

CHATWH_DBT = str(Path(sys.executable).with_name("chatwh-dbt"))


def test_dagster_dbt_still_has_and_calls_the_two_private_methods_we_override() -> None:
    base = vars(DbtCliResource)
    assert "_cli_version" in base, "dagster-dbt no longer has DbtCliResource._cli_version"
    assert isinstance(base["_cli_version"], cached_property), "_cli_version changed kind"
    assert "_initialize_dbt_core_adapter" in base, (
        "dagster-dbt no longer has DbtCliResource._initialize_dbt_core_adapter"
    )
    parameters = list(inspect.signature(base["_initialize_dbt_core_adapter"]).parameters)
    assert parameters == ["self", "args"], parameters
    # the overrides only help while `cli` goes through them
    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source and "self._initialize_dbt_core_adapter(" in source
    for hook in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert hook in vars(LocalDbtCliResource)


def test_the_local_dbt_resource_prepares_nothing_here_and_runs_dbt(tmp_path: Path) -> None:
    resource = dbt_resource()
    assert isinstance(resource, LocalDbtCliResource)
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    # a real dbt command through the resource (and chatwh-dbt), with no adapter built here
    target = tmp_path / "target"
    vars_args = settings.dbt_vars(tmp_path / "warehouse.duckdb")
    invocation = resource.cli(["parse", *vars_args], target_path=target, raise_on_error=False)
    invocation.wait()
    assert invocation.is_successful(), invocation.get_error()
    manifest = json.loads((target / "manifest.json").read_text())
    assert "model.chat_warehouse.fct_sessions" in manifest["nodes"]
    assert not (tmp_path / "warehouse.duckdb").exists()  # parse opens no database


def test_chatwh_dbt_runs_what_dbts_own_command_runs() -> None:
    [dbt] = importlib.metadata.entry_points(group="console_scripts", name="dbt")
    assert dbt.value == gc_pause.DBT_ENTRY_POINT, f"dbt's command line moved to {dbt.value}"
    [ours] = importlib.metadata.entry_points(group="console_scripts", name="chatwh-dbt")
    assert ours.value == "orchestration.gc_pause:dbt_main"
    assert Path(CHATWH_DBT) == settings.DBT_EXECUTABLE
    answer = subprocess.run([CHATWH_DBT, "--version"], capture_output=True, text=True)
    assert answer.returncode == 0, answer.stderr
    assert importlib.metadata.version("dbt-core") in answer.stdout


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
