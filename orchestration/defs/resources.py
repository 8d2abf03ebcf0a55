"""Resources: the warehouse file, its landing zone and the pseudonym key.

``chatwh run`` gives the warehouse, the landing zone and the engine in the run config
(``warehouse_run_config``); a run started in Dagster (the schedule, the sensor, the UI) uses
the defaults resolved from the settings when the definitions load. The key is read from its
variable by Dagster at run time (``dg.EnvVar``), so it is never stored in the instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

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
            raise settings.ConfigError(f"{settings.PSEUDONYM_KEY_VARIABLE} is not set")
        return self.pseudonym_key.encode("utf-8")


def warehouse_resource() -> Warehouse:
    """The definitions' warehouse: the configured one (settings), the key by its variable."""
    return Warehouse(
        path=str(settings.warehouse_path()),
        landing=settings.landing_root(),
        pseudonym_key=dg.EnvVar(settings.PSEUDONYM_KEY_VARIABLE),
        engine=settings.engine(),
    )


def warehouse_run_config(warehouse: Path, landing: str, engine: str) -> dict[str, Any]:
    """The run config of one run's warehouse resource: its file, landing zone and engine,
    and the key by name only (the run config is stored with the run)."""
    return {
        "resources": {
            "warehouse": {
                "config": {
                    "path": str(warehouse),
                    "landing": landing,
                    "engine": engine,
                    "pseudonym_key": {"env": settings.PSEUDONYM_KEY_VARIABLE},
                }
            }
        }
    }
