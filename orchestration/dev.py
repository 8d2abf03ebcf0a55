"""``make dev``: ``dagster dev`` on the configured warehouse's own Dagster instance.

The instance is the one ``chatwh run`` uses for that warehouse (``settings.dagster_home``),
so the UI shows this warehouse's runs only. Before starting, it says which warehouse,
landing zone, instance and pseudonym key (whether one is set, never the key) it runs with,
and that the nightly schedule is off until switched on.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import settings
from .pipeline import install_instance_config

KEY_NOTICES = {
    "set": "CHATWH_PSEUDONYM_KEY is set (its value is not shown): runs pseudonymize with it",
    "demo": "CHATWH_PSEUDONYM_KEY is the demo's public key "
    f"({settings.DEMO_PSEUDONYM_KEY}): fine for the demo, never for real people",
    "unset": "CHATWH_PSEUDONYM_KEY is not set: every run started from the UI stops until "
    "you export your secret key and restart `make dev`",
}


def notice(home: Path) -> list[str]:
    """What ``make dev`` tells the person before the UI starts."""
    return [
        f"make dev: warehouse {settings.warehouse_path()}",
        f"make dev: landing zone {settings.landing_root()}",
        f"make dev: Dagster home {home} (the runs of this warehouse only)",
        f"make dev: {KEY_NOTICES[settings.pseudonym_key_kind()]}",
        "make dev: the nightly schedule is off; switch it on in the UI (Automation, "
        "nightly_schedule) to load each night's arrivals",
    ]


def command() -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [str(dagster), "dev", "-m", "orchestration.definitions"]


def main() -> None:
    home = settings.dagster_home()
    install_instance_config(home)
    for line in notice(home):
        print(line, file=sys.stderr, flush=True)
    os.execve(command()[0], command(), settings.dagster_environment(home))


if __name__ == "__main__":
    main()
