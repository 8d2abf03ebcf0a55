"""Fixtures of the unit tests shared by several of their modules: a real DuckDB warehouse
file in a temp folder, and landing zones (the default assistants, or the fixtures' ones)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.warehouse import connect
from tests.support.ingest_support import FIXTURE_ASSISTANTS, new_landing


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return new_landing(tmp_path)


@pytest.fixture
def fixture_landing(tmp_path: Path) -> Path:
    return new_landing(tmp_path, FIXTURE_ASSISTANTS)
