"""Where things live and how the project is configured.

Every setting comes from the environment, with a default that works on a fresh clone.
Nothing here opens a file or a connection: reading settings is free.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
SEED_ASSISTANTS = PROJECT_DIR / "seeds" / "assistants.csv"
# dbt's command line, as every run and `chatwh forget` start it (orchestration/dbt_cli.py)
DBT_EXECUTABLE = Path(sys.executable).with_name("chatwh-dbt")

DEFAULT_LANDING = PROJECT_DIR / "data" / "landing"
DEFAULT_WAREHOUSE = PROJECT_DIR / "data" / "warehouse.duckdb"
DEFAULT_DAGSTER_HOME = PROJECT_DIR / ".dagster_home"
DEFAULT_DEMO_DIR = PROJECT_DIR / "data" / "demo"

# The demo (and only the demo) pseudonymizes with this public key; it says so when it does.
DEMO_PSEUDONYM_KEY = "chatwh-demo-key-public-do-not-use-in-production"

SESSION_TIMEOUT_MINUTES = 30


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and what to do."""


def landing_root(value: str | None = None) -> str:
    """The landing zone: a local folder or an s3://-style URI (kept as text, never resolved)."""
    root = value or os.environ.get("CHATWH_LANDING") or str(DEFAULT_LANDING)
    return root.rstrip("/")


def warehouse_path(value: str | None = None) -> Path:
    """The DuckDB warehouse file."""
    return Path(value or os.environ.get("CHATWH_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve()


def dagster_home() -> Path:
    """Dagster's instance folder (run storage, event logs); git-ignored by default."""
    return Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()


def demo_dir() -> Path:
    """The demo's own folder (its landing zone, warehouse and Dagster home)."""
    return Path(os.environ.get("CHATWH_DEMO_DIR") or DEFAULT_DEMO_DIR).resolve()


def pseudonym_key() -> bytes:
    """The secret key of the WhatsApp user pseudonyms (HMAC-SHA256)."""
    key = os.environ.get("CHATWH_PSEUDONYM_KEY", "")
    if not key:
        raise ConfigError(
            "CHATWH_PSEUDONYM_KEY is not set: export a secret key (it pseudonymizes WhatsApp users)"
        )
    return key.encode("utf-8")


def old_pseudonym_key() -> bytes:
    """For `chatwh rekey` only: the key the warehouse was built with, to carry its erasures."""
    key = os.environ.get("CHATWH_OLD_PSEUDONYM_KEY", "")
    if not key:
        raise ConfigError(
            "CHATWH_OLD_PSEUDONYM_KEY is not set: export the key the warehouse was built with "
            "(and the new one as CHATWH_PSEUDONYM_KEY)"
        )
    return key.encode("utf-8")


def is_remote(uri: str) -> bool:
    """True for s3://, gs://, https:// and other URIs that DuckDB reads through an extension."""
    return "://" in uri


def dbt_target_path(warehouse: str | Path) -> Path:
    """dbt's target folder for the runs of one warehouse, the same from run to run.

    dbt re-parses the whole project when its profile changed since the saved parse, and the
    profile names the warehouse file: a folder per warehouse keeps the saved parse valid, so
    every run after the first parses only what changed (about 2 s less per run). Runs of one
    warehouse never overlap (one writer), so they never share the folder at the same time.
    """
    digest = hashlib.sha256(str(Path(warehouse).resolve()).encode()).hexdigest()[:12]
    return DBT_PROJECT_DIR / "target" / f"run-{digest}"
