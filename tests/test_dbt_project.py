"""The dbt project, for real: `dbt parse` and its manifest, and `dbt build` (models, data tests
and unit tests) against a copy of the simulated warehouse.

dbt does not promise that model paths outside the project folder (`../models`) keep
working; these tests make an upgrade that breaks them fail loudly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.erasure import REBUILD_FROM_CHANGES
from orchestration.warehouse import message_key_sql

from .conftest import Deployment
from .support import INCREMENTAL_MARTS, mart_rows

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))
PACKAGE = "chat_warehouse"

EXPECTED_MODELS = {
    "stg_web__events": "staging",
    "stg_whatsapp__messages": "staging",
    "stg_platform__assistants": "staging",
    "int_interactions_unioned": "intermediate",
    "int_changed_users": "intermediate",
    "int_restart_point": "intermediate",
    "int_sessions": "intermediate",
    "build_log": "intermediate",
    "dim_assistants": "marts",
    "fct_sessions": "marts",
    "fct_user_days": "marts",
    "fct_user_months": "marts",
    "session_chains_daily": "marts",
    "customers": "marts",
    "dashboard_monthly_users": "marts",
}
DOCUMENTED_MACROS = (
    "local_date",
    "round_percentage",
    "month_starts",
    "rewrite_from_month_sql",
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


def run_dbt(
    *args: str, target: Path, warehouse: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The real dbt CLI in the project folder, with its own target and log folders."""
    env = {
        **os.environ,
        "CHATWH_WAREHOUSE": str(warehouse),
        "CHATWH_MEMORY_LIMIT": "2GB",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    completed = subprocess.run(
        [DBT, *args, "--target-path", str(target), "--log-path", str(target / "logs")],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout[-20000:]}\nstderr:\n{completed.stderr[-5000:]}"
        )
    return completed


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The manifest of a real `dbt parse`, written to a temp folder."""
    tmp = tmp_path_factory.mktemp("dbt_parse")
    run_dbt("parse", target=tmp / "target", warehouse=tmp / "unused.duckdb")
    return json.loads((tmp / "target" / "manifest.json").read_text())


def nodes(manifest: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == resource_type and node["package_name"] == PACKAGE
    }


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


# ------------------------------------------------------------------------------------------
# dbt build against a real warehouse


@pytest.fixture(scope="module")
def built(simulated: Deployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`dbt build` on a private copy of the (shared, session-scoped) simulated warehouse."""
    tmp = tmp_path_factory.mktemp("dbt_build")
    warehouse = tmp / "warehouse.duckdb"
    shutil.copyfile(simulated.warehouse, warehouse)
    wal = simulated.warehouse.with_name(simulated.warehouse.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, warehouse.with_name(warehouse.name + ".wal"))
    run_dbt("build", target=tmp / "target", warehouse=warehouse)
    results = json.loads((tmp / "target" / "run_results.json").read_text())
    manifest = json.loads((tmp / "target" / "manifest.json").read_text())
    return {"warehouse": warehouse, "results": results["results"], "manifest": manifest}


@pytest.mark.xdist_group("simulated")
def test_dbt_build_passes_every_model_data_test_and_unit_test(built: dict[str, Any]) -> None:
    statuses = defaultdict(lambda: defaultdict(int))
    for result in built["results"]:
        kind = result["unique_id"].split(".")[0]
        statuses[kind][result["status"]] += 1
    failed = [
        (result["unique_id"], result["status"], result.get("message"))
        for result in built["results"]
        if result["status"] not in ("success", "pass", "no-op")
    ]
    assert not failed
    assert statuses["model"]["success"] == len(EXPECTED_MODELS)
    assert statuses["unit_test"]["pass"] >= 10
    assert statuses["test"]["pass"] >= 53


@pytest.mark.xdist_group("simulated")
def test_yaml_columns_match_the_built_relations(built: dict[str, Any]) -> None:
    models = nodes(built["manifest"], "model")
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        for name, node in models.items():
            built_columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = ? and table_name = ? order by ordinal_position",
                    [node["schema"], node["alias"]],
                ).fetchall()
            ]
            assert list(node["columns"]) == built_columns, name


@pytest.mark.xdist_group("simulated")
def test_sessions_view_agrees_with_a_count_of_sessions(built: dict[str, Any]) -> None:
    """The S − P / P − T arithmetic of session_chains_daily against plain counting."""
    with duckdb.connect(str(built["warehouse"]), read_only=True) as con:
        sessions = con.execute(
            "select assistant_id, channel, user_id, session_date from marts.fct_sessions"
        ).fetchall()
        bounds = con.execute(
            "select min(session_date), max(session_date) from marts.fct_sessions"
        ).fetchone()
        assert sessions, "the simulated warehouse has no session"
        first, last = bounds
        middle = date.fromordinal((first.toordinal() + last.toordinal()) // 2)
        windows = [(first, last), (first, middle), (middle, last), (middle, middle)]
        for assistant_id in sorted({row[0] for row in sessions}):
            for from_date, to_date in windows:
                per_user: dict[tuple[str, str], int] = defaultdict(int)
                for assistant, channel, user_id, session_date in sessions:
                    if assistant == assistant_id and from_date <= session_date <= to_date:
                        per_user[(channel, user_id)] += 1
                expected = (
                    len(per_user),
                    sum(1 for count in per_user.values() if count == 1),
                    sum(1 for count in per_user.values() if count >= 2),
                )
                got = con.execute(
                    "select total_users, unique_users, recurring_users"
                    " from marts.sessions_view(?, ?, ?)",
                    [assistant_id, from_date, to_date],
                ).fetchone()
                assert got == expected, (assistant_id, from_date, to_date)


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


def failed_tests(completed: subprocess.CompletedProcess[str]) -> set[str]:
    """The names of the data tests that dbt reported as failed."""
    return {
        line.split(" FAIL ", 1)[1].split()[1]
        for line in completed.stdout.splitlines()
        if " FAIL " in line and " of " in line
    }


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
    for mart in ("fct_sessions", "fct_user_days", "fct_user_months", "session_chains_daily"):
        assert {"int_changed_users", "int_restart_point", "int_sessions"} <= upstream(mart), mart
        assert "int_restart_point" in parents(mart), mart
    assert {"customers", "dashboard_monthly_users", "session_chains_daily"} <= upstream("build_log")
    for name, node in models.items():
        assert not node["config"]["pre-hook"] and not node["config"]["post-hook"], name
        if node["config"]["materialized"] == "incremental":
            assert node["config"]["incremental_strategy"] in ("delete+insert", "append"), name
    overrides = {
        macro["name"] for macro in manifest["macros"].values() if macro["package_name"] == PACKAGE
    }
    assert not overrides & {"get_where_subquery", "default__test_relationships"}


def late_interaction(con: duckdb.DuckDBPyConnection, user: tuple, at: Any, number: int) -> None:
    """A web interaction of the user at `at`, loaded now (after the last build)."""
    assistant, user_id = user
    key = message_key_sql(f"'late-{number}'")
    con.execute(
        f"insert into raw.web_events select 'late-{number}', assistant_id, anonymous_id, "
        "event_name, ?, arrival_date, source_file, line_number + 100000 + ?, "
        f"now()::timestamp, {key} from raw.web_events "
        "where assistant_id = ? and anonymous_id = ? limit 1",
        [at, number, assistant, user_id],
    )


def full_build_equals(warehouse: Path, target: Path, nightly: dict[str, list[tuple]]) -> None:
    run_dbt(
        "build", "--full-refresh", "--exclude-resource-type", "unit_test",
        target=target, warehouse=warehouse,
    )  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        assert mart_rows(con, INCREMENTAL_MARTS) == nightly


@pytest.mark.xdist_group("simulated")
def test_a_nightly_rewrites_the_months_from_the_restart_and_equals_a_full_build(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """A new interaction extends a user's last session: the nightly rewrites the session
    months from the month of that session's UTC day minus one on, for every user, leaves the
    older months as they were, and its marts equal those of a build from scratch."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        assistant, user, last_start, last_end = con.execute(
            "select assistant_id, user_id, max(started_at), max(ended_at) "
            "from marts.fct_sessions where channel = 'web' group by all "
            "order by count(*) desc, user_id limit 1"
        ).fetchall()[0]
        late_interaction(con, (assistant, user), last_end + timedelta(minutes=10), 1)
        last_build = con.execute("select max(built_at) from intermediate.build_log").fetchall()[0][
            0
        ]
        month = con.execute(
            "select cast(date_trunc('month', cast(? as date) - 1) as date)", [last_start]
        ).fetchall()[0][0]
        sessions = con.execute("select count(*) from marts.fct_sessions").fetchall()[0][0]

    run_dbt(*REBUILD_FROM_CHANGES, target=tmp_path / "target", warehouse=warehouse)
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute(
            "select rewrite_from_month from intermediate.int_restart_point"
        ).fetchall() == [(month,)]
        for table, column in (
            ("intermediate.int_sessions", "session_month"),
            ("marts.fct_sessions", "session_month"),
            ("marts.fct_user_days", "activity_date"),
            ("marts.session_chains_daily", "last_date"),
        ):
            stamps = con.execute(
                f"select {column} >= ?, built_at > ?, count(*) from {table} group by all "
                "order by all",
                [month, last_build],
            ).fetchall()
            assert [(rewritten, new) for rewritten, new, _ in stamps] == [
                (False, False),
                (True, True),
            ], (table, stamps)
        assert con.execute("select count(*) from marts.fct_sessions").fetchall() == [(sessions,)]
        nightly = mart_rows(con, INCREMENTAL_MARTS)
    full_build_equals(warehouse, tmp_path / "target", nightly)


@pytest.mark.xdist_group("simulated")
def test_an_erasure_that_empties_a_month_clears_it(built: dict[str, Any], tmp_path: Path) -> None:
    """A month whose only session is an erased person's is left with no row in any mart:
    the delete of a month does not need a new row of it (delete+insert by channel, the
    months chosen by the incremental predicate), and the marts equal a full build."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        assistant, user = con.execute(
            "select assistant_id, anonymous_id from raw.web_events order by all limit 1"
        ).fetchall()[0]
        # a session of the user in a month with no other session, 40 days after the last one
        lonely = con.execute(
            "select date_trunc('day', max(started_at)) + interval 40 day + interval 12 hour "
            "from intermediate.int_sessions"
        ).fetchall()[0][0]
        late_interaction(con, (assistant, user), lonely, 1)
    run_dbt(*REBUILD_FROM_CHANGES, target=tmp_path / "target", warehouse=warehouse)

    lonely_month = "date_trunc('month', cast(? as date) - 1)"
    months = {
        "marts.fct_sessions": f"session_month >= {lonely_month}",
        "marts.fct_user_days": f"activity_date >= {lonely_month}",
        "marts.fct_user_months": f"activity_month >= {lonely_month}",
        "marts.session_chains_daily": f"last_date >= {lonely_month}",
    }
    with duckdb.connect(str(warehouse)) as con:
        for table, condition in months.items():
            assert con.execute(
                f"select count(*) > 0 from {table} where {condition}", [lonely]
            ).fetchall() == [(True,)], table
        erased_from = con.execute(
            "select min(occurred_at) from raw.web_events where anonymous_id = ?", [user]
        ).fetchall()[0][0]
        # what `chatwh forget` does to raw (tests/test_reliability.py runs the command)
        con.execute("delete from raw.web_events where anonymous_id = ?", [user])
        con.execute(
            "insert into raw.erasures values ('web', 'pseudonym', now()::timestamp, ?)",
            [erased_from],
        )
    run_dbt(*REBUILD_FROM_CHANGES, target=tmp_path / "target", warehouse=warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table, condition in months.items():
            assert con.execute(
                f"select count(*) from {table} where {condition}", [lonely]
            ).fetchall() == [(0,)], table
        assert con.execute(
            "select count(*) from marts.customers where user_id = ?", [user]
        ).fetchall() == [(0,)]
        nightly = mart_rows(con, INCREMENTAL_MARTS)
    full_build_equals(warehouse, tmp_path / "target", nightly)


@pytest.mark.xdist_group("simulated")
def test_a_row_loaded_again_under_an_old_key_fails_the_nightly(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """The staging keys are tested for the rows loaded since the last build only, but
    against every row: a new row that repeats an old row's key (ingest's de-duplication
    bypassed) fails the nightly's build, on the web and on the WhatsApp key."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table in ("raw.web_events", "raw.whatsapp_messages"):
            columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
            select = ", ".join("now()::timestamp" if c == "loaded_at" else c for c in columns)
            con.execute(f"insert into {table} select {select} from {table} order by all limit 1")
    completed = run_dbt(
        "build", "--exclude-resource-type", "unit_test",
        target=tmp_path / "target", warehouse=warehouse, check=False,
    )  # fmt: skip
    assert completed.returncode != 0
    assert failed_tests(completed) >= {
        "unique_since_last_build_stg_web__events_interaction_id",
        "unique_since_last_build_stg_whatsapp__messages_interaction_id__user_id__occurred_at",
    }
