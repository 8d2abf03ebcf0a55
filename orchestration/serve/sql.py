"""The SQL of the serving package, kept in ``sql/*.sql`` beside it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).with_name("sql")


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def identifier(name: str) -> str:
    """A catalog name as a quoted SQL identifier (for the DDL that cannot bind names)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A text as a quoted SQL literal (for ATTACH, which takes no bound parameter)."""
    return "'" + text.replace("'", "''") + "'"
