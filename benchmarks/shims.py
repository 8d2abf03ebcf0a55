"""What ``chatwh-dbt`` buys against dbt's own command (docs/benchmarks.md).

    python -m benchmarks.shims WAREHOUSE [--repeat 5]

The project keeps no shim on a dependency's private API any more: the last one, on
dagster-dbt's ``DbtCliResource``, went when the nightly started running dbt in the Dagster
process (``orchestration/defs/dbt_runner.py``). What is left to measure here is
``chatwh-dbt``, the command ``chatwh forget`` and the manifest's parse start dbt with
(``orchestration/gc_pause.py``: dbt's command line object, the collector paused for its
import, none at exit), against dbt's own ``dbt`` console script with the same arguments
(``dbt ls`` of the project's models, with the warehouse's vars and target folder), in fresh
processes, alternating, so that a busy machine slows both sides alike; wall and CPU (user +
system) medians. The warehouse is only named (dbt ls opens no database).
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
