"""What each kept shim on a dependency's private API buys (docs/benchmarks.md).

    python -m benchmarks.shims WAREHOUSE [--repeat 5]

Each shim is timed against the public way it replaces, in fresh processes, alternating, so
that a busy machine slows both sides alike; wall and CPU (user + system) medians:

- ``dbt resource``: what dagster-dbt's own ``DbtCliResource`` does in the Dagster process
  before dbt starts (``dbt --version`` in a subprocess, a dbt adapter built from the profile)
  against ``LocalDbtCliResource`` (``orchestration/defs/local_dbt.py``), which does neither.
- ``chatwh-dbt``: ``dbt ls`` started as ``chatwh-dbt`` (``orchestration/gc_pause.py``: dbt's
  command line object, the collector paused for its import, none at exit) against dbt's own
  ``dbt`` console script, with the same arguments (the project's models, the warehouse's
  vars and target folder, as a nightly starts dbt).

Compare the differences with a nightly run's figures (``make bench``): a shim stays only if
it buys at least 10 % of one. The warehouse is only named (dbt ls opens no database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from orchestration import settings

PREPARE = """
import sys
from dagster_dbt import DbtCliResource
from orchestration.defs.local_dbt import LocalDbtCliResource
from orchestration import settings
kind = {"public": DbtCliResource, "shim": LocalDbtCliResource}[sys.argv[1]]
resource = kind(project_dir=str(settings.DBT_PROJECT_DIR),
                profiles_dir=str(settings.DBT_PROJECT_DIR),
                dbt_executable=str(settings.DBT_EXECUTABLE))
resource._cli_version
resource._initialize_dbt_core_adapter(["build", *settings.dbt_vars(sys.argv[2])])
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the child's user + system) of one command."""
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"failed: {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime


def compare(name: str, public: list[str], shim: list[str], repeat: int) -> None:
    env = settings.dbt_environment()
    samples: dict[str, list[tuple[float, float]]] = {"public": [], "shim": []}
    timed(public, env), timed(shim, env)  # warm the page cache and dbt's partial parse
    for _ in range(repeat):
        samples["public"].append(timed(public, env))
        samples["shim"].append(timed(shim, env))
    wall = {side: statistics.median(s[0] for s in runs) for side, runs in samples.items()}
    cpu = {side: statistics.median(s[1] for s in runs) for side, runs in samples.items()}
    print(
        f"{name}: public {wall['public']:.2f} s wall / {cpu['public']:.2f} s CPU, shim "
        f"{wall['shim']:.2f} s / {cpu['shim']:.2f} s: buys {wall['public'] - wall['shim']:.2f} s"
        f" wall, {cpu['public'] - cpu['shim']:.2f} s CPU (medians of {repeat})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    warehouse = str(args.warehouse.resolve())
    compare(
        "dbt resource",
        [python, "-c", PREPARE, "public", warehouse],
        [python, "-c", PREPARE, "shim", warehouse],
        args.repeat,
    )
    ls = [
        "ls",
        "--resource-type",
        "model",
        "--quiet",
        "--project-dir",
        str(settings.DBT_PROJECT_DIR),
        "--target-path",
        str(settings.dbt_target_path(args.warehouse)),
        *settings.dbt_vars(warehouse),
    ]
    dbt = str(Path(python).with_name("dbt"))
    compare("chatwh-dbt", [dbt, *ls], [str(settings.DBT_EXECUTABLE), *ls], args.repeat)


if __name__ == "__main__":
    main()
