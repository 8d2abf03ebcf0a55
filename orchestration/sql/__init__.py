"""The SQL texts of the Python modules, one ``.sql`` file each, read once per process.

``orchestration/sql/`` holds the statements of the top-level modules; a package with many
statements keeps its own folder (``orchestration/ingest/sql/``) and reads it through
``load(name, folder)``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


@cache
def load(name: str, folder: Path = FOLDER) -> str:
    """The text of ``<folder>/<name>.sql`` (by default ``orchestration/sql/<name>.sql``)."""
    return (folder / f"{name}.sql").read_text()
