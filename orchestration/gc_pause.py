"""Python's garbage collector, kept out of the way of the big imports; and ``chatwh-dbt``.

Importing Dagster, dagster-dbt or dbt creates millions of objects that live as long as the
process, and every full collection on the way walks all of them again; so does the
interpreter's last collection at exit. Both ``chatwh run`` and ``chatwh-dbt`` import them
with the collector paused and freeze what exists afterwards (frozen objects are left out
of every later collection): about 0.9 s and 0.6 s of a nightly run.

``chatwh-dbt`` (``dbt_main``) is dbt's own command line, started as the nightly run and
``chatwh forget`` start dbt (in a subprocess): it calls what dbt's ``dbt`` console script
calls (``dbt.cli.main:cli``, not a documented Python API), with the collector paused for
its import and nothing collected at exit; arguments, output and exit code are dbt's. Kept
because the two buy about 20 % of a nightly's CPU (measured in an earlier session;
re-measure with ``make bench``); ``tests/orchestration/test_kept_shims.py`` fails loudly
when an upgrade moves dbt's entry point.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# what dbt's own console script runs (its package metadata), and so does chatwh-dbt
DBT_ENTRY_POINT = "dbt.cli.main:cli"


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
        from dbt.cli.main import cli
    try:
        cli()
    finally:
        no_collection_at_exit()
