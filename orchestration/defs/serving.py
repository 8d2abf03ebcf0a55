"""The serving snapshot: what ``chatwh serve`` answers from, published by every good run."""

import logging
from pathlib import Path

import dagster as dg

from .. import settings
from ..serve.snapshot import SERVING_SOURCES, publish
from .resources import Warehouse

progress = logging.getLogger("chatwh.progress")

SERVING_SNAPSHOT = dg.AssetKey(["serving", "snapshot"])


@dg.asset(
    key=SERVING_SNAPSHOT,
    deps=[dg.AssetKey(["marts", table]) for table in SERVING_SOURCES],
    group_name="serving",
    kinds={"duckdb"},
    pool="warehouse",
)
def serving_snapshot(warehouse: Warehouse) -> dg.MaterializeResult:
    """The marts the views read and the view macros, copied into a small read-only DuckDB
    file beside the warehouse (``<warehouse>.serving/``), made current in one rename.

    Downstream of the marts and of their blocking checks: a run whose build or checks fail
    publishes nothing, so the API keeps answering from the last good build.
    """
    serving = settings.serving_dir(warehouse.path)
    with warehouse.connect() as con:
        published = publish(con, serving)
    progress.info(
        "serving: published %s (%.1f MiB, %.1fs)",
        Path(published.path).name,
        published.bytes / 2**20,
        published.seconds,
    )
    return dg.MaterializeResult(
        metadata={
            "path": str(published.path),
            "published_at": published.published_at,
            "bytes": published.bytes,
            "seconds": round(published.seconds, 3),
        }
    )
