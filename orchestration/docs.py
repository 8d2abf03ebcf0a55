"""``make docs``: the static dbt docs site, without writing any warehouse.

``dbt docs generate`` opens the profile's database to read the catalog (every relation's
columns and types). The run target opens the warehouse for writing: where no warehouse is,
DuckDB creates an empty file (on which every command later failed), and where its folder is
missing, dbt-duckdb's connect retries (1 + 2 + 4 + 8 + 16 s) ran for each connection before
failing. So the docs use the profile's ``docs`` target: the built warehouse opened
read-only when it is a chat warehouse (the site then shows every column's type), else an
in-memory database (the site shows the models and their YAML descriptions, without types).
The site goes to a target folder of its own, ``dbt_project/target/docs/``: dbt writes its
manifest there too, and ``target/manifest.json`` is the one Dagster loads (replaced only in
one step, see defs/dbt.py).
"""

from __future__ import annotations

import subprocess
import sys

from . import settings
from .warehouse import NotAWarehouse, WarehouseBusy, require_warehouse

SITE_DIR = settings.DBT_PROJECT_DIR / "target" / "docs"


def catalog_database() -> str:
    """The database the catalog is read from: the warehouse, if one is there to read."""
    warehouse = settings.warehouse_path()
    try:
        require_warehouse(warehouse)
    except (NotAWarehouse, WarehouseBusy) as reason:
        print(f"docs: {reason}; the site shows no column types", file=sys.stderr)
        return ":memory:"
    print(f"docs: the catalog is read from {warehouse} (read-only)", file=sys.stderr)
    return str(warehouse)


def main() -> int:
    completed = subprocess.run(
        [
            str(settings.DBT_EXECUTABLE),
            *("docs", "generate", "--static", "--target", "docs"),
            *("--target-path", str(SITE_DIR)),
        ],
        cwd=settings.DBT_PROJECT_DIR,
        env=settings.dbt_environment(CHATWH_DOCS_DATABASE=catalog_database()),
    )
    if completed.returncode == 0:
        print(f"open {SITE_DIR.relative_to(settings.PROJECT_DIR)}/static_index.html")
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
