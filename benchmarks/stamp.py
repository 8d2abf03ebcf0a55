"""Where a run's wall time goes: a command's output lines, each with the seconds since start.

    python -m benchmarks.stamp chatwh run --date 2026-01-01 --landing ... --warehouse ...

prints every line of the command's output (stdout and stderr together) prefixed by the
seconds elapsed when it appeared, then the exit code. The nightly split in
docs/benchmarks.md (start-up, ingest, dbt) is read from these prefixes.
"""

from __future__ import annotations

import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m benchmarks.stamp COMMAND [ARGS...]")
    began = time.perf_counter()
    process = subprocess.Popen(
        sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        print(f"{time.perf_counter() - began:7.2f}  {line.rstrip()}", flush=True)
    code = process.wait()
    print(f"{time.perf_counter() - began:7.2f}  exit {code}")
    sys.exit(code)


if __name__ == "__main__":
    main()
