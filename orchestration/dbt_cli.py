"""``chatwh-dbt``: dbt's own command line, with Python's garbage collector kept out of the way.

The nightly run and ``chatwh forget`` start dbt through it (in a subprocess). dbt is
imported with the collector paused (see gc_pause.py), and nothing is collected at exit.
Arguments, output and exit code are dbt's.
"""

from __future__ import annotations

from .gc_pause import imports_without_gc, no_collection_at_exit


def main() -> None:
    with imports_without_gc():
        from dbt.cli.main import cli
    try:
        cli()
    finally:
        no_collection_at_exit()
