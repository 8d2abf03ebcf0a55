"""``chatwh-dbt``: dbt's own command line, with Python's garbage collector kept out of the way.

The nightly run starts dbt in a subprocess (dagster-dbt). Importing dbt creates millions of
objects, and each full collection on the way walks all of them again; so does the
interpreter's last collection at exit. This entry point imports dbt with the collector
paused and freezes what exists (collections then skip it), which takes about 0.6 s off a
nightly run. Arguments, output and exit code are dbt's.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    from dbt.cli.main import cli

    gc.freeze()
    gc.enable()
    try:
        cli()
    finally:
        gc.freeze()
