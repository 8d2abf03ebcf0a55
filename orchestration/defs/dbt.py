"""dbt assets: staging, intermediate and marts, one connected lineage with the raw assets."""

import logging
import os
import subprocess
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
    dbt_assets,
)

from .. import settings, spark
from .dbt_runner import DbtRunner
from .ingest import RAW_ASSISTANTS, RAW_KEYS
from .mart_metadata import preload_pandas, with_mart_metadata
from .resources import Warehouse

progress = logging.getLogger("chatwh.progress")

SOURCE_KEYS = {"web": RAW_KEYS["web"], "whatsapp": RAW_KEYS["whatsapp"], "platform": RAW_ASSISTANTS}
SOURCE_TABLES = ("web_events", "whatsapp_messages", "assistants")
DBT_SOURCES = ("models", "seeds", "dbt_project/macros", "dbt_project/tests")


def manifest_is_stale(manifest: Path) -> bool:
    """True when the manifest is missing or older than any dbt file of the project."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    project_files = [settings.DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in DBT_SOURCES
        for path in (settings.PROJECT_DIR / folder).rglob("*")
        if path.suffix in (".sql", ".yml", ".csv", ".md")
    ]
    return any(path.stat().st_mtime > built for path in project_files)


@cache
def dbt_project() -> DbtProject:
    """The dbt project, parsed (``dbt parse``) when its manifest is missing or stale."""
    project = DbtProject(
        project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR
    )
    if manifest_is_stale(project.manifest_path):
        # parsed into a folder of its own, then moved into place in one step: a process
        # reading the manifest meanwhile (another run, the tests) never sees half of it
        project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=project.manifest_path.parent) as parsed:
            subprocess.run(
                # dbt's command as the runs call it: `python -m dbt.cli.main` printed runpy's
                # RuntimeWarning on stderr, a second line under a run's one-line error
                [settings.DBT_EXECUTABLE, "parse", "--quiet", "--target-path", parsed],
                cwd=settings.DBT_PROJECT_DIR,
                check=True,
                env=settings.dbt_environment(),
            )
            os.replace(Path(parsed) / "manifest.json", project.manifest_path)
    return project


class ChatWarehouseTranslator(DagsterDbtTranslator):
    """Every raw source is the ingest asset; models are keyed ``<layer>/<name>``."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["sources"].get(unique_id) or manifest["nodes"].get(unique_id)
        if node["resource_type"] == "source":
            # the interaction tables and the assistants are ingest's assets; erasures and
            # reloads are raw tables of their own (written by `chatwh forget` and reloads)
            default = dg.AssetKey(["raw", node["name"]])
            key = SOURCE_KEYS[node["source_name"]] if node["name"] in SOURCE_TABLES else default
            return spec.replace_attributes(key=key)
        layer = node["fqn"][1] if node["resource_type"] == "model" else "seeds"
        return spec.replace_attributes(key=dg.AssetKey([layer, node["name"]]), group_name=layer)


def _manifest():
    return dbt_project().manifest_path


@dbt_assets(
    manifest=_manifest(),
    project=dbt_project(),
    # dbt's data tests still run inside `dbt build` (an error fails the run); they are not
    # mirrored as 80-odd Dagster asset checks, each of which costs instance events per run.
    dagster_dbt_translator=ChatWarehouseTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=False)
    ),
    pool="warehouse",
)
def chat_warehouse_dbt(context: dg.AssetExecutionContext, dbt: DbtRunner, warehouse: Warehouse):
    """``dbt build`` once per run, whatever the number of days.

    The models are not partitioned in Dagster: they hold the whole history. The incremental
    ones rewrite the months that the change set (the model ``int_changed_users``, raw rows
    stamped after the last complete build) can alter; see docs/design.md.
    """
    # dbt's unit tests check the models' logic, not the data: they run with the test suite
    # (tests/dbt/test_dbt_build.py), not every night.
    full_refresh = context.run.tags.get("chatwh/full_refresh") == "true"
    # dbt's own log file keeps its warnings and errors, not every statement's debug events
    # (docs/benchmarks.md, "The nightly's tests, and dbt in the Dagster process")
    args = ["build", "--exclude-resource-type", "unit_test", "--log-level-file", "warn"]
    args += settings.dbt_tests_left_out(warehouse.engine, full_build=full_refresh)
    if full_refresh:
        args.append("--full-refresh")
    spark_vars: dict[str, Any] = {}
    if warehouse.engine == "spark":  # raw as Parquet first, then the same build on Spark
        args += ["--target", "spark"]
        spark_vars = spark.prepare_build(warehouse.path)
    # the assets this run materializes: all of them, or those a person picked in Dagster
    outputs = {
        key.path[-1]: context.assets_def.get_output_name_for_asset_key(key)
        for key in context.selected_asset_keys
    }
    if context.is_subset:
        args += ["--select", " ".join(sorted(outputs))]
    progress.info("dbt: %s", " ".join(args))  # without the vars: they name the warehouse file
    preload_pandas()  # for the marts' preview, after the build
    finished, error = dbt.invoke(
        [*args, *settings.dbt_vars(warehouse.path, **spark_vars)],
        target_path=settings.dbt_target_path(warehouse.path),
    )
    # in dbt's order: build_log, after the marts, comes after them
    built = {
        node.name: dg.Output(None, output_name=outputs[node.name])
        for node in finished
        if node.built and node.name in outputs
    }
    if error is not None:
        # what dbt built before it failed is still materialized, without the marts' metadata
        yield from built.values()
        raise error
    if warehouse.engine == "spark":
        with warehouse.connect() as con:
            spark.attach_marts(con, warehouse.path, dbt_project().manifest_path)
        spark.install_view_macros(warehouse.path)
    marts = {
        name: output
        for name, output in built.items()
        if context.asset_key_for_output(output.output_name).path[0] == "marts"
    }
    with warehouse.connect() as con:
        described = dict(zip(marts, with_mart_metadata(con, marts), strict=True))
    yield from (described.get(name, output) for name, output in built.items())
