"""The SQL texts of the Python modules, one ``.sql`` file each, read once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


@cache
def load(name: str) -> str:
    """The text of ``orchestration/sql/<name>.sql``."""
    return (FOLDER / f"{name}.sql").read_text()
