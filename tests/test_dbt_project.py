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

from orchestration.erasure import REBUILD_PENDING_USERS
from orchestration.warehouse import message_key_sql

from .conftest import Deployment
from .support import mart_rows

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))
PACKAGE = "chat_warehouse"

EXPECTED_MODELS = {
    "stg_web__events": "staging",
    "stg_whatsapp__messages": "staging",
    "stg_platform__assistants": "staging",
    "int_interactions_unioned": "intermediate",
    "int_sessions": "intermediate",
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
    "pending_users_relation",
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
    assert ("unique", "interaction_id") in tests["stg_web__events"]
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


@pytest.mark.xdist_group("simulated")
def test_pending_test_scope_reads_only_what_the_run_changed(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """`test_scope: pending` (the nightly run) tests the raw rows loaded and the per-user
    rows built after the previous build, and only them; a nightly build rebuilds the pending
    users alone and stamps their rows."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        user = con.execute(
            "select assistant_id, channel, user_id from intermediate.int_sessions "
            "where channel = 'web' limit 1"
        ).fetchall()[0]
        last_build = con.execute("select max(built_at) from intermediate.int_sessions").fetchall()[
            0
        ][0]
        # broken rows from before the last build: one of the user's sessions twice
        # (session_id must be unique) and one of its web events twice (so is message_id)
        con.execute(
            "insert into intermediate.int_sessions select * from intermediate.int_sessions "
            "where assistant_id = ? and channel = ? and user_id = ? limit 1",
            list(user),
        )
        con.execute(
            "insert into raw.web_events select * from raw.web_events "
            "where assistant_id = ? and anonymous_id = ? limit 1",
            [user[0], user[2]],
        )
        con.execute("delete from raw.pending_users")

    def test(selection: str, *extra: str) -> set[str]:
        completed = run_dbt(
            "test",
            "--select",
            selection,
            *extra,
            target=tmp_path / "target",
            warehouse=warehouse,
            check=False,
        )
        assert completed.returncode == (1 if failed_tests(completed) else 0), completed.stdout
        return failed_tests(completed)

    pending = ("--vars", "{test_scope: pending}")
    assert test("int_sessions stg_web__events", *pending) == set()  # nothing changed since
    assert {"unique_int_sessions_session_id", "unique_stg_web__events_interaction_id"} <= test(
        "int_sessions stg_web__events"
    )
    with duckdb.connect(str(warehouse)) as con:  # the same breakage, after the last build
        con.execute(
            "update intermediate.int_sessions set built_at = timestamp '2999-01-01' "
            "where assistant_id = ? and channel = ? and user_id = ?",
            list(user),
        )
        con.execute(
            "update raw.web_events set loaded_at = now()::timestamp "
            "where assistant_id = ? and anonymous_id = ?",
            [user[0], user[2]],
        )
    assert {"unique_int_sessions_session_id", "unique_stg_web__events_interaction_id"} <= test(
        "int_sessions stg_web__events", *pending
    )

    # a nightly build of the pending user alone: its rows rebuilt (the duplicate session
    # gone) and stamped, every other user's rows as they were
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update intermediate.int_sessions set built_at = ? "
            "where assistant_id = ? and channel = ? and user_id = ?",
            [last_build, *user],
        )
        con.execute(
            "delete from raw.web_events where rowid in (select max(rowid) from raw.web_events "
            "where assistant_id = ? and anonymous_id = ?)",
            [user[0], user[2]],
        )
        con.execute(
            "insert into raw.pending_users (assistant_id, channel, user_id) values (?, ?, ?)",
            list(user),
        )
        rows_before, user_rows_before = con.execute(
            "select count(*), count(*) filter "
            "(where (assistant_id, channel, user_id) = (?, ?, ?)) from marts.fct_sessions",
            list(user),
        ).fetchall()[0]
    run_dbt(*REBUILD_PENDING_USERS, target=tmp_path / "target", warehouse=warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table in ("intermediate.int_sessions", "marts.fct_sessions", "marts.customers"):
            rebuilt = con.execute(
                f"select (assistant_id, channel, user_id) = (?, ?, ?), count(*) from {table} "
                "where built_at > ? group by all",
                [*user, last_build],
            ).fetchall()
            assert rebuilt == [(True, rebuilt[0][1])] and rebuilt[0][1] >= 1, (table, rebuilt)
        assert con.execute(
            "select count(*) - count(distinct session_id) from intermediate.int_sessions"
        ).fetchall() == [(0,)]
        old_rows = con.execute(
            "select count(*) from marts.fct_sessions where built_at = ?", [last_build]
        ).fetchall()[0][0]
        assert old_rows == rows_before - user_rows_before


@pytest.mark.xdist_group("simulated")
def test_nightly_session_relationship_is_checked_from_the_restart(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """Under `test_scope: pending`, fct_sessions' sessions must exist in int_sessions from
    the build's earliest restart on (the rows before it are taken back unchanged): a lost
    session after the restart fails the test, one before it is not read again."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        *user, first, last = con.execute(
            "select assistant_id, channel, user_id, min(started_at), max(started_at) "
            "from marts.fct_sessions group by all having count(*) >= 3 limit 1"
        ).fetchall()[0]
        con.execute(  # the table every build of int_sessions ensures
            "insert into intermediate.session_restarts values (?, ?, ?, ?)",
            [*user, last],
        )

    def lose(started_at) -> set[str]:
        """Give the user's session starting then an id int_sessions does not hold, as if
        this build wrote it; the failing tests of fct_sessions."""
        with duckdb.connect(str(warehouse)) as con:
            con.execute(
                "update marts.fct_sessions set session_id = 'lost-' || session_id, "
                "built_at = timestamp '2999-01-01' "
                "where assistant_id = ? and channel = ? and user_id = ? and started_at = ?",
                [*user, started_at],
            )
        completed = run_dbt(
            "test", "--select", "fct_sessions", "--vars", "{test_scope: pending}",
            target=tmp_path / "target", warehouse=warehouse, check=False,
        )  # fmt: skip
        return {
            name
            for name in failed_tests(completed)
            if name.startswith("relationships_fct_sessions_session_id")
        }

    assert lose(first) == set()  # before the restart: a row taken back, not read again
    assert len(lose(last)) == 1  # from the restart on: checked


PER_USER_MARTS = ("fct_sessions", "customers", "fct_user_days", "fct_user_months")


@pytest.mark.xdist_group("simulated")
def test_a_nightly_rewrites_a_users_last_sessions_only_and_equals_a_full_build(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """A new interaction extends a long-standing user's last session: the nightly build
    rewrites the user's sessions of the last month or so and the two before them (their
    next session dates move), numbers them on from the older ones, which it leaves alone,
    and its marts equal those of a build from scratch."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # the web user with the most sessions; the new interaction, 10 minutes after its
        # last one, makes the start of its last session the user's restart
        assistant, user, sessions, last_start, last_end = con.execute(
            "select assistant_id, user_id, count(*), max(started_at), max(ended_at) "
            "from marts.fct_sessions where channel = 'web' group by all "
            "order by count(*) desc, user_id limit 1"
        ).fetchall()[0]
        late = last_end + timedelta(minutes=10)
        late_key = message_key_sql("'late-1'")
        con.execute(
            "insert into raw.web_events select 'late-1', assistant_id, anonymous_id, "
            "event_name, ?, arrival_date, source_file, line_number + 100000, loaded_at, "
            f"{late_key} from raw.web_events "
            "where assistant_id = ? and anonymous_id = ? limit 1",
            [late, assistant, user],
        )
        con.execute(
            "insert into raw.pending_users values (?, 'web', ?, ?)", [assistant, user, late]
        )
        last_build = con.execute("select max(built_at) from marts.fct_sessions").fetchall()[0][0]
        # the rule: the sessions from the month of the UTC day before the restart on, and
        # those whose next-but-one session is one of them
        expected = con.execute(
            "select count(*) from marts.fct_sessions "
            "where assistant_id = ? and channel = 'web' and user_id = ? "
            "and (second_next_session_date is null or second_next_session_date >= "
            "date_trunc('month', cast(? as date) - 1))",
            [assistant, user, last_start],
        ).fetchall()[0][0]

    run_dbt(*REBUILD_PENDING_USERS, target=tmp_path / "target", warehouse=warehouse)
    with duckdb.connect(str(warehouse)) as con:
        rebuilt = con.execute(
            "select count(*), min(user_session_number), max(user_session_number) "
            "from marts.fct_sessions where built_at > ?",
            [last_build],
        ).fetchall()[0]
        nightly = mart_rows(con, PER_USER_MARTS)
    assert rebuilt == (expected, sessions - expected + 1, sessions)
    assert 2 <= expected < sessions  # the user's older sessions were left alone

    run_dbt(
        "build", "--full-refresh", "--exclude-resource-type", "unit_test",
        target=tmp_path / "target", warehouse=warehouse,
    )  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        assert mart_rows(con, PER_USER_MARTS) == nightly


@pytest.mark.xdist_group("simulated")
def test_session_chains_are_kept_by_difference_while_the_books_balance(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """A nightly build adds and subtracts the changed sessions' chains to the previous
    counts (a stray pair count, which the single-session books do not see, stays), and counts
    every session again once the books do not balance (the stray count goes)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    reference = "select * exclude (built_at) from marts.session_chains_daily"
    with duckdb.connect(str(warehouse)) as con:
        counted = sorted(con.execute(reference).fetchall())
        assistant, channel, user = con.execute(
            "select assistant_id, channel, user_id from marts.fct_sessions "
            "where next_session_date is not null limit 1"
        ).fetchall()[0]
        stray = (assistant, channel, 2, date(1999, 1, 1), date(1999, 1, 2), 1)
        con.execute(
            "insert into marts.session_chains_daily select ?, ?, ?, ?, ?, ?, "
            "(select max(built_at) from marts.session_chains_daily)",
            list(stray),
        )

    def nightly() -> list[tuple]:
        with duckdb.connect(str(warehouse)) as con:
            con.execute(
                "insert into raw.pending_users (assistant_id, channel, user_id) values (?, ?, ?)",
                [assistant, channel, user],
            )
        run_dbt(*REBUILD_PENDING_USERS, target=tmp_path / "target", warehouse=warehouse)
        with duckdb.connect(str(warehouse)) as con:
            con.execute("delete from raw.pending_users")
            assert con.execute("select count(*) from intermediate.retired_sessions").fetchall() == [
                (0,)
            ]
            return sorted(con.execute(reference).fetchall())

    assert nightly() == sorted([*counted, stray])  # by difference: the stray count stays
    with duckdb.connect(str(warehouse)) as con:  # one single session too many: unbalanced
        con.execute(
            "update marts.session_chains_daily set chains = chains + 1 "
            "where rowid = (select min(rowid) from marts.session_chains_daily "
            "where chain_length = 1)"
        )
    assert nightly() == counted  # counted again from fct_sessions
