"""The dbt resource: dagster-dbt's, minus two steps this project does not need.

A shim on dagster-dbt's private API, kept because it buys 3.5 to 4.5 s of every run, about a
third of a 1M nightly (``python -m benchmarks.shims``, docs/benchmarks.md): the one module
that touches that API. ``tests/orchestration/test_kept_shims.py`` fails loudly when an
upgrade renames or changes the two methods it overrides.
"""

from __future__ import annotations

import importlib.metadata
from functools import cached_property

from dagster_dbt import DbtCliResource
from packaging import version

from .. import settings


class LocalDbtCliResource(DbtCliResource):
    """dbt-core from this environment, run in a subprocess with nothing prepared in this one.

    The base class spends seconds of every run before dbt starts, on two things we do not
    use: it runs ``dbt --version`` in a subprocess (the dbt executable here is the one
    installed beside this interpreter: its version is in the package metadata), and it builds
    a dbt adapter in this process (loading the profile, the project and every macro), which
    serves only to fetch row counts and column metadata after the build.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: object) -> None:
        return None  # no adapter: dagster-dbt then skips row counts and column metadata


def dbt_resource() -> DbtCliResource:
    return LocalDbtCliResource(
        project_dir=str(settings.DBT_PROJECT_DIR),
        profiles_dir=str(settings.DBT_PROJECT_DIR),
        dbt_executable=str(settings.DBT_EXECUTABLE),
    )
