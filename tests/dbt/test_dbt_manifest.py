"""The dbt project, for real: `dbt parse` and its manifest (layers, YAML, descriptions, tests,
exposures, macros, contracts and the change set's lineage).

dbt does not promise that model paths outside the project folder (`../models`) keep
working; these tests make an upgrade that breaks them fail loudly.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from tests.support.dbt_support import EXPECTED_MODELS, PACKAGE, nodes, run_dbt

DOCUMENTED_MACROS = (
    "local_date",
    "round_percentage",
    "month_starts",
    "rewrite_from_sql",
    "create_view_macros",
    "generate_schema_name",
)
UNIT_TESTED_MODELS = (
    "int_sessions",
    "fct_sessions",
    "fct_user_months",
    "session_chains_daily",
    "dashboard_monthly_users",
)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The manifest of a real `dbt parse`, written to a temp folder."""
    tmp = tmp_path_factory.mktemp("dbt_parse")
    run_dbt("parse", target=tmp / "target", warehouse=tmp / "unused.duckdb")
    return json.loads((tmp / "target" / "manifest.json").read_text())


def test_every_model_lives_under_the_parent_models_folder(manifest: dict[str, Any]) -> None:
    models = nodes(manifest, "model")
    assert models, "dbt found no model: is model-paths still ../models?"
    for name, node in models.items():
        assert node["original_file_path"].startswith("../models/"), name


def test_the_expected_models_exist_in_their_layers(manifest: dict[str, Any]) -> None:
    models = nodes(manifest, "model")
    assert set(models) == set(EXPECTED_MODELS)
    for name, layer in EXPECTED_MODELS.items():
        assert models[name]["original_file_path"].startswith(f"../models/{layer}/"), name
        assert models[name]["schema"] == layer, name


def test_each_model_has_its_own_yaml_beside_it(manifest: dict[str, Any]) -> None:
    for name, node in nodes(manifest, "model").items():
        expected = node["original_file_path"].removesuffix(".sql") + ".yml"
        assert node["patch_path"] == f"{PACKAGE}://{expected}", name


def test_every_model_seed_source_and_column_is_described(manifest: dict[str, Any]) -> None:
    described = [*nodes(manifest, "model").values(), *nodes(manifest, "seed").values()]
    described += list(manifest["sources"].values())
    undescribed = [node["unique_id"] for node in described if not node["description"].strip()]
    undescribed += [
        f"{node['unique_id']}.{column}"
        for node in described
        for column, props in node["columns"].items()
        if not props["description"].strip()
    ]
    assert not undescribed
    for node in nodes(manifest, "model").values():
        assert node["columns"], f"{node['name']} documents no column"


def test_docs_blocks_are_rendered_into_descriptions(manifest: dict[str, Any]) -> None:
    overview = manifest["docs"][f"doc.{PACKAGE}.__overview__"]["block_contents"]
    phrases = "session_timeout_minutes January September sessions_view customers_view"
    for phrase in [*phrases.split(), "dashboard_view", "time zone", "full rebuild"]:
        assert phrase in overview, phrase
    chains = nodes(manifest, "model")["session_chains_daily"]["columns"]["chain_length"]
    assert "S − P" in chains["description"] and "{{" not in chains["description"]


def test_keys_and_categories_are_tested(manifest: dict[str, Any]) -> None:
    tests: dict[str, set[tuple[str, str | None]]] = defaultdict(set)
    for node in nodes(manifest, "test").values():
        metadata = node.get("test_metadata") or {}
        attached = manifest["nodes"].get(node.get("attached_node") or "", {})
        if metadata and attached:
            tests[attached["name"]].add((metadata["name"], node.get("column_name")))
    for name in EXPECTED_MODELS:
        assert tests[name], f"{name} has no data test"
    assert ("unique", "session_id") in tests["int_sessions"]
    assert ("unique_since_last_build", None) in tests["stg_web__events"]
    assert ("unique_since_last_build", None) in tests["stg_whatsapp__messages"]
    assert ("relationships", "assistant_id") in tests["fct_sessions"]
    assert ("relationships", "assistant_id") in tests["dashboard_monthly_users"]
    assert ("accepted_values", "channel") in tests["int_sessions"]
    assert ("accepted_values", "trend") in tests["dashboard_monthly_users"]
    assert ("accepted_values", "color") in tests["dashboard_monthly_users"]
    assert ("accepted_values", "chain_length") in tests["session_chains_daily"]
    assert ("unique_combination_of_columns", None) in tests["customers"]
    assert ("sessions_are_separated", None) in tests["int_sessions"]


def test_the_tricky_models_have_unit_tests(manifest: dict[str, Any]) -> None:
    tested = defaultdict(list)
    for unit_test in manifest["unit_tests"].values():
        tested[unit_test["model"]].append(unit_test["name"])
        assert unit_test["description"].strip(), unit_test["name"]
    for name in UNIT_TESTED_MODELS:
        assert tested[name], f"{name} has no unit test"
    assert len(tested["int_sessions"]) >= 3


def test_three_exposures_end_the_lineage(manifest: dict[str, Any]) -> None:
    exposures = {exposure["label"]: exposure for exposure in manifest["exposures"].values()}
    assert set(exposures) == {"Dashboard", "Sessions", "Customers"}
    for exposure in exposures.values():
        assert exposure["type"] == "application"
        assert exposure["owner"]["name"] == "Chat Warehouse team"
        assert exposure["description"].strip()
        assert f"model.{PACKAGE}.session_chains_daily" in exposure["depends_on"]["nodes"]
    assert f"model.{PACKAGE}.customers" in exposures["Customers"]["depends_on"]["nodes"]
    assert f"model.{PACKAGE}.fct_user_days" in exposures["Customers"]["depends_on"]["nodes"]


def test_the_project_macros_are_documented(manifest: dict[str, Any]) -> None:
    macros = {
        macro["name"]: macro
        for macro in manifest["macros"].values()
        if macro["package_name"] == PACKAGE
    }
    for name in DOCUMENTED_MACROS:
        assert name in macros, name
    undocumented = [name for name, macro in macros.items() if not macro["description"].strip()]
    assert not undocumented
    for name, macro in macros.items():
        for argument in macro["arguments"]:
            assert argument["description"].strip(), f"{name}({argument['name']})"


def test_the_seed_is_documented(manifest: dict[str, Any]) -> None:
    seed = nodes(manifest, "seed")["assistants"]
    assert seed["original_file_path"] == "../seeds/assistants.csv"
    assert set(seed["columns"]) == {"assistant_id", "name", "timezone", "whatsapp_phone_number_id"}


def test_table_models_enforce_their_contracts(manifest: dict[str, Any]) -> None:
    """Not-null is a constraint of the tables (checked as rows are written), not a test."""
    for name, node in nodes(manifest, "model").items():
        if node["config"]["materialized"] not in ("table", "incremental"):
            continue
        assert node["config"]["contract"]["enforced"], name
        if "assistant_id" in node["columns"]:  # not int_restart_point (one row, a month)
            key_constraints = node["columns"]["assistant_id"]["constraints"]
            assert "not_null" in [constraint["type"] for constraint in key_constraints], name
        for column, spec in node["columns"].items():
            assert spec["data_type"], f"{name}.{column} has no data_type"


def test_the_change_set_models_lead_from_raw_to_the_marts(manifest: dict[str, Any]) -> None:
    """The nightly's mechanism is the DAG: raw (with erasures and reloads) -> the change set
    -> the restart point -> the rebuilt sessions -> every mart -> the build log; no model
    has a hook, and every incremental model uses a strategy dbt ships for DuckDB and Spark."""
    models = nodes(manifest, "model")

    def parents(name: str) -> set[str]:
        return {parent.split(".")[-1] for parent in models[name]["depends_on"]["nodes"]}

    def upstream(name: str) -> set[str]:
        found: set[str] = set()
        todo = [name]
        while todo:
            for parent in parents(todo.pop()):
                if parent not in found:
                    found.add(parent)
                    if parent in models:
                        todo.append(parent)
        return found

    assert {"erasures", "reloads", "int_interactions_unioned"} <= parents("int_changed_users")
    assert "int_changed_users" in parents("int_restart_point")
    assert "int_restart_point" in parents("int_sessions")
    for mart in (
        "fct_sessions",
        "fct_user_days",
        "fct_user_day_links",
        "fct_user_months",
        "session_chains_daily",
    ):
        assert {"int_changed_users", "int_restart_point", "int_sessions"} <= upstream(mart), mart
        assert "int_restart_point" in parents(mart), mart
    # written last: a build that fails in any mart leaves no row, and the next one redoes it
    marts = {name for name, node in models.items() if node["schema"] == "marts"}
    assert marts <= upstream("build_log"), marts - upstream("build_log")
    for name, node in models.items():
        assert not node["config"]["pre-hook"] and not node["config"]["post-hook"], name
        if node["config"]["materialized"] == "incremental":
            assert node["config"]["incremental_strategy"] in ("delete+insert", "append"), name
    overrides = {
        macro["name"] for macro in manifest["macros"].values() if macro["package_name"] == PACKAGE
    }
    assert not overrides & {"get_where_subquery", "default__test_relationships"}
