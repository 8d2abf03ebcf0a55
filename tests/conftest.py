"""Shared test fixtures: real DuckDB files in temp folders, the real `chatwh` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

TEST_KEY = "test-pseudonym-key-not-secret"
CHATWH = str(Path(sys.executable).with_name("chatwh"))
SIMULATION_START = date(2026, 1, 1)
SIMULATION_DAYS = 45


def chatwh_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a `chatwh` subprocess: its own Dagster home, the test key."""
    env = {
        **os.environ,
        "CHATWH_PSEUDONYM_KEY": TEST_KEY,
        "DAGSTER_HOME": str(tmp / "dagster_home"),
        "CHATWH_MEMORY_LIMIT": "2GB",
    }
    env.pop("CHATWH_DEBUG", None)
    env.update(extra)
    return env


def run_chatwh(
    *args: str, env: dict[str, str], check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the installed `chatwh` command; fail the test with its output when it fails."""
    completed = subprocess.run(
        [CHATWH, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"chatwh {' '.join(args)} exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
        )
    return completed


@dataclass(frozen=True)
class Deployment:
    """A landing zone, a warehouse and the environment that runs them."""

    root: Path
    landing: Path
    warehouse: Path
    env: dict[str, str]

    def chatwh(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_chatwh(*args, env=self.env, check=check)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.chatwh(
            "run",
            "--landing",
            str(self.landing),
            "--warehouse",
            str(self.warehouse),
            *args,
            check=check,
        )

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def make_deployment(root: Path) -> Deployment:
    root.mkdir(parents=True, exist_ok=True)
    landing = root / "landing"
    warehouse = root / "warehouse.duckdb"
    env = chatwh_env(root, CHATWH_LANDING=str(landing), CHATWH_WAREHOUSE=str(warehouse))
    return Deployment(root, landing, warehouse, env)


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    """An empty deployment in a temp folder."""
    return make_deployment(tmp_path)


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """A small simulated landing zone, loaded by one full `chatwh run` (once per worker)."""
    deployment = make_deployment(tmp_path_factory.mktemp("simulated"))
    simulate_landing(deployment, seed=7)
    deployment.run()
    return deployment


def simulate_landing(deployment: Deployment, seed: int) -> None:
    """`chatwh simulate` of the tests' small landing zone (300 people, SIMULATION_DAYS)."""
    deployment.chatwh(
        "simulate",
        "--out",
        str(deployment.landing),
        "--start",
        SIMULATION_START.isoformat(),
        "--days",
        str(SIMULATION_DAYS),
        "--users",
        "300",
        "--seed",
        str(seed),
    )
