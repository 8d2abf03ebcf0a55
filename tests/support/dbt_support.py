"""The dbt project's CLI for the dbt tests: the real `dbt` in the project folder, with its
own target and log folders; the models the project holds, and its nodes by resource type."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))
PACKAGE = "chat_warehouse"

EXPECTED_MODELS = {
    "stg_web__events": "staging",
    "stg_whatsapp__messages": "staging",
    "stg_platform__assistants": "staging",
    "int_interactions_unioned": "intermediate",
    "int_changed_users": "intermediate",
    "int_restart_point": "intermediate",
    "int_sessions": "intermediate",
    "build_log": "intermediate",
    "dim_assistants": "marts",
    "fct_sessions": "marts",
    "fct_user_days": "marts",
    "fct_user_day_links": "marts",
    "fct_user_months": "marts",
    "session_chains_daily": "marts",
    "customers": "marts",
    "dashboard_monthly_users": "marts",
}


def run_dbt(
    *args: str, target: Path, warehouse: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The real dbt CLI in the project folder, with its own target and log folders."""
    env = {
        **os.environ,
        "CHATWH_WAREHOUSE": str(warehouse),
        "CHATWH_MEMORY_LIMIT": "2GB",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    completed = subprocess.run(
        [DBT, *args, "--target-path", str(target), "--log-path", str(target / "logs")],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout[-20000:]}\nstderr:\n{completed.stderr[-5000:]}"
        )
    return completed


def nodes(manifest: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == resource_type and node["package_name"] == PACKAGE
    }
