"""``chatwh demo``: a year of simulated logs, in the demo's own folder, never the user's.

The demo writes only under its folder (``data/demo/`` in the project, or
``CHATWH_DEMO_DIR``): its landing zone, its warehouse and its Dagster home. It never reads
or writes the configured landing zone or warehouse. A re-run replaces what an earlier demo
made there, and only that: the folder carries a marker file, and a folder without it that
holds anything is refused.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from .settings import DEMO_PSEUDONYM_KEY, ConfigError

MARKER = ".chatwh-demo"


@dataclass(frozen=True)
class DemoFolder:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def prepare(self) -> None:
        """Make the folder, or empty it of the landing zone and warehouse an earlier demo
        made; refuse a folder the demo did not make."""
        marker = self.root / MARKER
        if self.root.exists() and not marker.exists() and any(self.root.iterdir()):
            raise ConfigError(
                f"{self.root} holds files the demo did not make: empty it, or set "
                "CHATWH_DEMO_DIR to another folder"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        marker.write_text("made by `chatwh demo`: a re-run replaces landing/ and the warehouse\n")
        shutil.rmtree(self.landing, ignore_errors=True)
        for suffix in ("", ".wal"):
            Path(f"{self.warehouse}{suffix}").unlink(missing_ok=True)

    def go_on(self) -> str:
        """The shell line that points every later `chatwh` command at the demo's data."""
        settings = {
            "CHATWH_LANDING": str(self.landing),
            "CHATWH_WAREHOUSE": str(self.warehouse),
            "CHATWH_PSEUDONYM_KEY": DEMO_PSEUDONYM_KEY,
        }
        pairs = (f"{name}={shlex.quote(value)}" for name, value in settings.items())
        return "export " + " ".join(pairs)
