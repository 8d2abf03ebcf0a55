"""The one shim on a dependency's private API that the project keeps, and what it uses.

``orchestration/defs/local_dbt.py`` overrides two private methods of dagster-dbt's
``DbtCliResource``; it buys seconds of every run (docs/design.md, "Configuration", with
its measurement). An upgrade that renames, re-types or stops calling them fails here,
loudly, instead of silently running the slow way (or not at all).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration import settings
from orchestration.defs.local_dbt import LocalDbtCliResource, dbt_resource


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
