"""Python's garbage collector, kept out of the way of the big imports; and ``chatwh-dbt``.

Importing Dagster, dagster-dbt or dbt creates millions of objects that live as long as the
process, and every full collection on the way walks all of them again; so does the
interpreter's last collection at exit. Both ``chatwh run`` and ``chatwh-dbt`` import them
with the collector paused and freeze what exists afterwards (frozen objects are left out
of every later collection): about 0.9 s and 0.6 s of a nightly run.

``chatwh-dbt`` (``dbt_main``) is dbt's command line, as ``chatwh forget`` and the manifest's
parse start dbt in a subprocess (the nightly runs dbt in its own process, with the same
entry point: ``defs/dbt_runner.py``), through dbt's documented programmatic entry point
(``dbtRunner().invoke``, "Programmatic invocations" in dbt's docs: the same arguments as the
``dbt`` command) with the collector paused for its import and nothing collected at exit;
output and exit code are dbt's (0, 1 when a node failed, 2 when dbt itself did). Only
public APIs: ``python -m benchmarks.shims`` measures what it buys (docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator


def no_collection_at_exit() -> None:
    """Freeze everything, so that the interpreter's last collection at exit has nothing to
    walk (0.9 s after a nightly run); the process' end frees the memory anyway."""
    gc.freeze()


@contextlib.contextmanager
def imports_without_gc() -> Iterator[None]:
    """Pause the collector for the imports inside, then freeze everything that exists."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def dbt_main() -> None:
    """``chatwh-dbt``: dbt's command line, imported without collections, none at exit."""
    with imports_without_gc():
        from dbt.cli.exceptions import DbtUsageException
        from dbt.cli.main import dbtRunner
    try:
        outcome = dbtRunner().invoke(sys.argv[1:])
    finally:
        no_collection_at_exit()
    if isinstance(outcome.exception, DbtUsageException):
        print(f"Error: {outcome.exception}", file=sys.stderr)  # dbt's own command says it so
    sys.exit(0 if outcome.success else 1 if outcome.exception is None else 2)
