"""Resources: the warehouse file and the landing zone, configured from the environment."""

from __future__ import annotations

import importlib.metadata
import os
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from packaging import version

from .. import settings
from ..warehouse import connect


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file and where its raw files land."""

    path: str
    landing: str
    pseudonym_key: str
    # where dbt builds the models: "duckdb" (this file) or "spark" (orchestration/spark.py)
    engine: str = "duckdb"

    def connect(self) -> duckdb.DuckDBPyConnection:
        return connect(Path(self.path))

    def key(self) -> bytes:
        if not self.pseudonym_key:
            raise settings.ConfigError("CHATWH_PSEUDONYM_KEY is not set")
        return self.pseudonym_key.encode("utf-8")


def warehouse_from_environment(engine: str | None = None) -> Warehouse:
    """Resolved once per process; the same CHATWH_WAREHOUSE reaches dbt's profiles.yml."""
    path = str(settings.warehouse_path())
    os.environ["CHATWH_WAREHOUSE"] = path
    return Warehouse(
        path=path,
        landing=settings.landing_root(),
        pseudonym_key=dg.EnvVar("CHATWH_PSEUDONYM_KEY").get_value(""),
        engine=settings.engine(engine),
    )


class LocalDbtCliResource(DbtCliResource):
    """dbt-core from this environment, run in a subprocess with nothing prepared in this one.

    The base class spends seconds of every run before dbt starts, on two things we do not
    use: it runs ``dbt --version`` in a subprocess (the dbt executable here is the one
    installed beside this interpreter: its version is in the package metadata), and it builds
    a dbt adapter in this process (loading the profile, the project and every macro), which
    serves only to fetch row counts and column metadata after the build.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: object) -> None:
        return None  # no adapter: dagster-dbt then skips row counts and column metadata


def dbt_resource() -> DbtCliResource:
    return LocalDbtCliResource(
        project_dir=str(settings.DBT_PROJECT_DIR),
        profiles_dir=str(settings.DBT_PROJECT_DIR),
        dbt_executable=str(settings.DBT_EXECUTABLE),
    )
