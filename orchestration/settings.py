"""Where things live and how the project is configured.

Every setting comes from the environment, with a default that works on a fresh clone. This
is the one module that reads the environment, and no module writes it: the others call
these functions, and a child process (dbt, ``dagster dev``, a re-started ``chatwh``) gets
an environment built here (``dbt_environment``, ``dagster_environment``,
``child_environment``). Nothing here opens a file or a connection: reading settings is free.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
SEED_ASSISTANTS = PROJECT_DIR / "seeds" / "assistants.csv"
# dbt's command line, as `chatwh forget` and the manifest's parse start it (gc_pause.py)
DBT_EXECUTABLE = Path(sys.executable).with_name("chatwh-dbt")

DEFAULT_LANDING = PROJECT_DIR / "data" / "landing"
DEFAULT_WAREHOUSE = PROJECT_DIR / "data" / "warehouse.duckdb"
# A warehouse's Dagster instance lives beside it, in `<warehouse file name>.dagster/`.
DAGSTER_HOME_SUFFIX = ".dagster"
DEFAULT_DEMO_DIR = PROJECT_DIR / "data" / "demo"

# The demo (and only the demo) pseudonymizes with this public key; it says so when it does.
DEMO_PSEUDONYM_KEY = "chatwh-demo-key-public-do-not-use-in-production"
# The variable of the pseudonym key: Dagster's resource reads it at run time (dg.EnvVar), so
# that the key itself is never stored in the instance (run config, job snapshot).
PSEUDONYM_KEY_VARIABLE = "CHATWH_PSEUDONYM_KEY"
# One "materialization planned" event per asset and run, not one per asset and day: a
# year's backfill otherwise writes thousands of events to the instance's SQLite storage.
# Dagster reads it from the environment of the process that runs (docs/design.md).
PLANNED_EVENTS_VARIABLE = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
# The commands that run Dagster in their own process (orchestration/launcher.py).
DAGSTER_COMMANDS = ("run", "demo")

SESSION_TIMEOUT_MINUTES = 30


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and what to do."""


def landing_root(value: str | None = None) -> str:
    """The landing zone: a local folder or an s3://-style URI (kept as text, never resolved)."""
    root = value or os.environ.get("CHATWH_LANDING") or str(DEFAULT_LANDING)
    return root.rstrip("/")


ENGINES = ("duckdb", "spark")


def engine(value: str | None = None) -> str:
    """Where dbt builds the models: ``duckdb`` (the warehouse file, the default) or ``spark``
    (dbt-spark, docs/scaling.md); ``chatwh run --engine``, else CHATWH_ENGINE."""
    chosen = value or os.environ.get("CHATWH_ENGINE") or "duckdb"
    if chosen not in ENGINES:
        raise ConfigError(f"engine {chosen!r} is not one of {', '.join(ENGINES)}")
    return chosen


def warehouse_path(value: str | None = None) -> Path:
    """The DuckDB warehouse file."""
    return Path(value or os.environ.get("CHATWH_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve()


def dagster_home(warehouse: str | Path | None = None) -> Path:
    """Dagster's instance folder (run storage, event logs): DAGSTER_HOME when set, else one
    per warehouse, ``<warehouse>.dagster/`` beside the warehouse file.

    One instance per warehouse keeps the runs of two warehouses apart: the UI's Runs page
    and an asset's "last materialized" then speak of this warehouse only.
    """
    explicit = os.environ.get("DAGSTER_HOME")
    if explicit:
        return Path(explicit).resolve()
    path = warehouse_path(None if warehouse is None else str(warehouse))
    return path.with_name(path.name + DAGSTER_HOME_SUFFIX)


def child_environment(**extra: str) -> dict[str, str]:
    """The environment of a child process: this one's, with ``extra`` on top (this
    process' own environment stays as it is)."""
    return {**os.environ, **extra}


def dagster_environment(home: Path) -> dict[str, str]:
    """The environment of a Dagster process (``dagster dev``, a reader of the run history)
    on the instance at ``home``: this one's, with DAGSTER_HOME and the planned-events
    setting that ``chatwh run`` uses (unless this environment sets it otherwise)."""
    return {PLANNED_EVENTS_VARIABLE: "true", **child_environment(DAGSTER_HOME=str(home))}


def dbt_environment(**extra: str) -> dict[str, str]:
    """The environment of a dbt subprocess that this project starts itself (``chatwh
    forget``'s rebuild, ``make docs``, the manifest's parse): the profile in the dbt project.
    The warehouse reaches dbt as a var (``dbt_vars``), not through the environment."""
    return child_environment(DBT_PROFILES_DIR=str(DBT_PROJECT_DIR), **extra)


def dbt_vars(warehouse: str | Path, **extra: object) -> list[str]:
    """The dbt arguments that name the warehouse file: profiles.yml reads the var
    ``chatwh_warehouse`` (else ``CHATWH_WAREHOUSE``, for dbt started by hand); ``extra``
    vars join it (dbt takes one ``--vars``: on Spark, the tables to register)."""
    path = str(Path(warehouse).resolve())
    return ["--vars", json.dumps({"chatwh_warehouse": path, **extra})]


def dbt_tests_left_out(engine: str, full_build: bool) -> list[str]:
    """The dbt arguments that leave out the data tests a build of ``engine`` does not need,
    by the tags written on each test (docs/design.md, "The nightly's tests"):

    - ``contract``: the contracts' not-null constraints, which DuckDB enforces itself;
    - ``invariant``: checks of the SQL, not of the data (the channels a union writes, the
      dashboard's colours, the seed in the repository), left to the full builds.
    """
    tags = ["tag:contract"] if engine == "duckdb" else []
    if not full_build:
        tags.append("tag:invariant")
    return ["--exclude", " ".join(tags)] if tags else []  # one argument: dbt splits it


def launch_environment(command: str | None) -> dict[str, str] | None:
    """The environment ``chatwh <command>`` must re-start itself with, or None when this
    one will do: a command that runs Dagster needs the planned-events setting (Dagster reads
    it from the environment), and the demo its public key, whatever key the shell exports."""
    if command not in DAGSTER_COMMANDS:
        return None
    missing: dict[str, str] = {}
    if PLANNED_EVENTS_VARIABLE not in os.environ:
        missing[PLANNED_EVENTS_VARIABLE] = "true"
    if command == "demo" and os.environ.get(PSEUDONYM_KEY_VARIABLE) != DEMO_PSEUDONYM_KEY:
        missing[PSEUDONYM_KEY_VARIABLE] = DEMO_PSEUDONYM_KEY
    return child_environment(**missing) if missing else None


def pseudonym_key_kind() -> str:
    """Which pseudonym key is in force, for a person to read (never the key itself):
    ``unset``, ``demo`` (the public demo key) or ``set`` (a key of the operator's)."""
    key = os.environ.get(PSEUDONYM_KEY_VARIABLE, "")
    if not key:
        return "unset"
    return "demo" if key == DEMO_PSEUDONYM_KEY else "set"


def version() -> str:
    """The installed package's version (pyproject.toml's ``version``)."""
    return metadata.version("chat-warehouse")


def demo_dir() -> Path:
    """The demo's own folder (its landing zone, warehouse and Dagster home)."""
    return Path(os.environ.get("CHATWH_DEMO_DIR") or DEFAULT_DEMO_DIR).resolve()


def pseudonym_key() -> bytes:
    """The secret key of the WhatsApp user pseudonyms (HMAC-SHA256)."""
    key = os.environ.get(PSEUDONYM_KEY_VARIABLE, "")
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


def ingest_chunk_bytes() -> int:
    """Raw bytes that ingest loads per transaction (``CHATWH_INGEST_CHUNK_MB``, default
    1024): a longer range of days is loaded in chunks of about this size."""
    return int(os.environ.get("CHATWH_INGEST_CHUNK_MB") or "1024") * 1024 * 1024


def debug() -> bool:
    """CHATWH_DEBUG: show the whole traceback (a run's failed step included), not one line."""
    return bool(os.environ.get("CHATWH_DEBUG"))


def verbose() -> bool:
    """CHATWH_VERBOSE: show dbt's own log lines and Dagster's error log during a run."""
    return bool(os.environ.get("CHATWH_VERBOSE"))


def memory_limit() -> str:
    """DuckDB's memory limit for this project's connections (``CHATWH_MEMORY_LIMIT``, default
    3GB; dbt's profile reads the same variable)."""
    return os.environ.get("CHATWH_MEMORY_LIMIT") or "3GB"


def nightly_cron() -> str:
    """When the nightly schedule ticks (``CHATWH_NIGHTLY_CRON``, default 02:00)."""
    return os.environ.get("CHATWH_NIGHTLY_CRON") or "0 2 * * *"


def nightly_timezone() -> str:
    """The time zone of the nightly schedule's cron (``CHATWH_NIGHTLY_TIMEZONE``, default UTC)."""
    return os.environ.get("CHATWH_NIGHTLY_TIMEZONE") or "UTC"


def quarantine_warn_share() -> float:
    """The share of the latest day's records in quarantine above which its check warns
    (``CHATWH_QUARANTINE_WARN_SHARE``, default 0.02)."""
    return float(os.environ.get("CHATWH_QUARANTINE_WARN_SHARE") or "0.02")


def freshness_days() -> int:
    """How many days old the newest arrival day may be before its check warns
    (``CHATWH_FRESHNESS_DAYS``, default 2)."""
    return int(os.environ.get("CHATWH_FRESHNESS_DAYS") or "2")


def s3_options() -> dict[str, object]:
    """The options of the s3fs filesystem that reads an ``s3://`` landing zone.

    From the standard AWS variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    AWS_SESSION_TOKEN (else botocore's usual chain: ~/.aws, an instance role), AWS_REGION or
    AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible
    server (MinIO, Ceph, a local test server). A connect waits 10 s and is tried twice in
    all, so an unreachable endpoint fails soon (botocore's default: 60 s, several retries).
    """
    env = os.environ
    options: dict[str, object] = {
        name: env[variable]
        for name, variable in (
            ("key", "AWS_ACCESS_KEY_ID"),
            ("secret", "AWS_SECRET_ACCESS_KEY"),
            ("token", "AWS_SESSION_TOKEN"),
            ("endpoint_url", "AWS_ENDPOINT_URL_S3"),
        )
        if env.get(variable)
    }
    if "endpoint_url" not in options and env.get("AWS_ENDPOINT_URL"):
        options["endpoint_url"] = env["AWS_ENDPOINT_URL"]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["client_kwargs"] = {"region_name": region}
    options["config_kwargs"] = {"connect_timeout": 10, "retries": {"total_max_attempts": 2}}
    # a long-lived process (the sensor's) must see the files that land after its last look
    options["use_listings_cache"] = False
    return options


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
