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


def pseudonym_key() -> bytes:
    """The secret key of the WhatsApp user pseudonyms (HMAC-SHA256)."""
    key = os.environ.get("CHATWH_PSEUDONYM_KEY", "")
    if not key:
        raise ConfigError(
            "CHATWH_PSEUDONYM_KEY is not set: export a secret key (it pseudonymizes WhatsApp users)"
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


# --------------------------------------------------------------------------- chatwh serve

DEFAULT_SERVE_HOST = "127.0.0.1"  # loopback only, unless `chatwh serve --host` says otherwise
DEFAULT_SERVE_PORT = 8000


def serving_dir(warehouse: str | Path) -> Path:
    """The folder of the warehouse's serving snapshots (``<warehouse>.serving``, beside
    it): what ``chatwh serve`` reads, so that it never waits for a run that writes."""
    path = Path(warehouse).resolve()
    return path.with_name(f"{path.name}.serving")


def keys_path(warehouse: str | Path) -> Path:
    """The API keys of ``chatwh serve`` (hashed): ``CHATWH_KEYS``, else
    ``<warehouse>.keys.sqlite`` beside the warehouse (as its ``.lock``). A file of its own,
    so that key commands never need the warehouse's writer lock."""
    configured = os.environ.get("CHATWH_KEYS")
    if configured:
        return Path(configured).resolve()
    path = Path(warehouse).resolve()
    return path.with_name(f"{path.name}.keys.sqlite")


def cors_origins(extra: list[str] | None = None) -> list[str]:
    """Web origins allowed to call the API from a browser: ``CHATWH_CORS_ORIGINS``
    (comma-separated) plus ``chatwh serve --cors-origin``; none by default."""
    configured = os.environ.get("CHATWH_CORS_ORIGINS", "")
    origins = [origin.strip() for origin in configured.split(",") if origin.strip()]
    return origins + [origin for origin in extra or [] if origin not in origins]
