"""The dbt resource: dbt run in the Dagster process, through dbt's programmatic entry point.

dagster-dbt's ``DbtCliResource`` starts dbt in a subprocess. That process imports dbt again
(dagster-dbt has imported most of it here already), and it writes every event as a JSON
line that this process then parses back. ``dbtRunner`` is dbt's documented API for the same
thing in this process ("Programmatic invocations" in dbt's docs): the arguments of the
``dbt`` command, and a callback for each event. docs/benchmarks.md ("The nightly's tests,
and dbt in the Dagster process") has what it buys.

The build runs in the step's own thread, and the step yields its outputs once dbt is done:
the marts had to wait for that anyway (dbt holds the DuckDB file, see mart_metadata), and
dbt's threads do not share the interpreter with Dagster's event writes meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dbt.cli.main import dbtRunner, dbtRunnerResult

from .. import settings

progress = logging.getLogger("chatwh.progress")

FAILED = ("error", "fail", "runtime error")


@dataclass(frozen=True)
class Finished:
    """One node dbt finished: its name (a model's, a seed's, a test's) and dbt's status."""

    name: str
    resource_type: str
    status: str

    @property
    def built(self) -> bool:
        """A model or a seed that dbt built (its table or view is there)."""
        return self.resource_type in ("model", "seed") and self.status == "success"


class DbtBuildError(Exception):
    """dbt failed: the nodes that failed with dbt's message for each, or dbt's own error."""


class DbtRunner(dg.ConfigurableResource):
    """dbt-core from this environment, invoked in this process."""

    project_dir: str
    profiles_dir: str

    def invoke(
        self, args: list[str], target_path: Path
    ) -> tuple[list[Finished], DbtBuildError | None]:
        """Run dbt with ``args``: the nodes it finished, in order, and its error if it failed.

        dbt's own log lines go to stdout (``chatwh run`` shows them with CHATWH_VERBOSE) and,
        with its log file, to ``target_path``, where it writes its artifacts too.
        """
        finished: list[Finished] = []

        def on_event(event) -> None:  # dbt's threads call it, one per event
            if event.info.name == "NodeFinished":
                node = event.data.node_info
                done = Finished(node.node_name, node.resource_type, node.node_status)
                if done.built:
                    progress.info("dbt: built %s", done.name)
                finished.append(done)

        command = [
            *args,
            "--project-dir", self.project_dir,
            "--profiles-dir", self.profiles_dir,
            "--target-path", str(target_path),
            "--log-path", str(target_path),
        ]  # fmt: skip
        try:
            outcome = dbtRunner(callbacks=[on_event]).invoke(command)
        finally:
            close_duckdb()
        return finished, None if outcome.success else DbtBuildError(failure(args[0], outcome))


def close_duckdb() -> None:
    """Close the warehouse file that dbt-duckdb keeps open after an invocation.

    dbt-duckdb keeps its DuckDB database open in the process for the next invocation (its
    profile option ``keep_open``, true by default), and DuckDB then refuses this process any
    other way of opening the file (read-only, as the views and the tests do). Its connection
    manager's ``close_all_connections``, the function dbt-duckdb runs at exit, lets it go.
    With ``keep_open: false`` instead, dbt-duckdb opened the file anew for each node, and a
    10M nightly's build took about 1 s longer (docs/benchmarks.md). This is the one call on
    an undocumented part of a dependency; ``tests/orchestration/test_dbt_runner.py`` fails
    if an upgrade keeps the file open after it.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()


def failure(command: str, outcome: dbtRunnerResult) -> str:
    """What failed, in one line: dbt's own error, else each failed node and its message."""
    if outcome.exception is not None:
        return f"dbt {command} failed: {outcome.exception}"
    results: Iterable = getattr(outcome.result, "results", None) or []
    failed = [
        f"{result.node.resource_type} {result.node.name}: {result.message}"
        for result in results
        if str(result.status) in FAILED
    ]
    return f"dbt {command} failed: " + ("; ".join(failed) or "see dbt's log")


def dbt_resource() -> DbtRunner:
    """The project's dbt, with its profile (profiles.yml in the dbt project)."""
    return DbtRunner(
        project_dir=str(settings.DBT_PROJECT_DIR), profiles_dir=str(settings.DBT_PROJECT_DIR)
    )
