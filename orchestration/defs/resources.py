"""Resources: the warehouse file and the landing zone, configured from the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from .. import settings
from ..warehouse import connect


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file and where its raw files land."""

    path: str
    landing: str
    pseudonym_key: str

    def connect(self) -> duckdb.DuckDBPyConnection:
        return connect(Path(self.path))

    def key(self) -> bytes:
        if not self.pseudonym_key:
            raise settings.ConfigError("CHATWH_PSEUDONYM_KEY is not set")
        return self.pseudonym_key.encode("utf-8")


def warehouse_from_environment() -> Warehouse:
    """Resolved once per process; the same CHATWH_WAREHOUSE reaches dbt's profiles.yml."""
    path = str(settings.warehouse_path())
    os.environ["CHATWH_WAREHOUSE"] = path
    return Warehouse(
        path=path,
        landing=settings.landing_root(),
        pseudonym_key=dg.EnvVar("CHATWH_PSEUDONYM_KEY").get_value(""),
    )


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(settings.DBT_PROJECT_DIR),
        profiles_dir=str(settings.DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )
