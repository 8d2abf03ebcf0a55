"""Python's garbage collector, kept out of the way of the big imports.

Importing Dagster, dagster-dbt or dbt creates millions of objects that live as long as the
process, and every full collection on the way walks all of them again; so does the
interpreter's last collection at exit. Both ``chatwh run`` and ``chatwh-dbt`` import them
with the collector paused and freeze what exists afterwards (frozen objects are left out
of every later collection): about 0.9 s and 0.6 s of a nightly run.
"""

from __future__ import annotations

import contextlib
import gc
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
