"""``chatwh``: the command line, started again with the environment a Dagster run needs.

Dagster reads one setting of this project's runs from the environment of the process that
runs them (``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``: one planned event per asset
and run, not per day), and the demo runs with its public key whatever key the shell
exports. No module writes its own environment: when ``chatwh run`` or ``chatwh demo`` lacks
them, this process replaces itself (``os.execve``) with the same command in an environment
built by ``settings.launch_environment``. Every other command, and a shell that already
exports them (the Makefile does), starts the command line directly.
"""

from __future__ import annotations

import os
import sys

from . import settings


def main() -> int:
    environment = settings.launch_environment(sys.argv[1] if len(sys.argv) > 1 else None)
    if environment is not None:
        # -P: the package installed, never a folder of that name where the command runs
        command = [sys.executable, "-P", "-m", "orchestration.launcher", *sys.argv[1:]]
        os.execve(sys.executable, command, environment)
    from .cli import main as command_line

    return command_line()


if __name__ == "__main__":
    sys.exit(main())
