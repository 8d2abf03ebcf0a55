"""The dbt project, for real: `dbt build` (models, data tests and unit tests) against a copy
of the simulated warehouse, and a nightly's rebuild from the change set against a full build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.erasure import REBUILD_FROM_CHANGES
from orchestration.warehouse import message_key_sql
from tests.conftest import Deployment
from tests.support.dbt_support import EXPECTED_MODELS, nodes, run_dbt
from tests.support.support import INCREMENTAL_MARTS, mart_rows

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


def failed_tests(completed: subprocess.CompletedProcess[str]) -> set[str]:
    """The names of the data tests that dbt reported as failed."""
    return {
        line.split(" FAIL ", 1)[1].split()[1]
        for line in completed.stdout.splitlines()
        if " FAIL " in line and " of " in line
    }


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
def test_a_nightly_rewrites_the_days_from_the_restart_and_equals_a_full_build(
    built: dict[str, Any], tmp_path: Path
) -> None:
    """A new interaction extends a user's last session: the nightly rewrites the sessions
    dated from that session's UTC day minus one on, for every user (and the user-months
    from that day's month on), leaves the older ones as they were, and its marts equal those
    of a build from scratch."""
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
        day = con.execute("select cast(? as date) - 1", [last_start]).fetchall()[0][0]
        month = day.replace(day=1)
        sessions = con.execute("select count(*) from marts.fct_sessions").fetchall()[0][0]

    run_dbt(*REBUILD_FROM_CHANGES, target=tmp_path / "target", warehouse=warehouse)
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute(
            "select rewrite_from from intermediate.int_restart_point"
        ).fetchall() == [(day,)]
        for table, column, first in (
            ("intermediate.int_sessions", "session_date", day),
            ("marts.fct_sessions", "session_date", day),
            ("marts.fct_user_days", "activity_date", day),
            ("marts.session_chains_daily", "last_date", day),
            ("marts.fct_user_months", "activity_month", month),
        ):
            stamps = con.execute(
                f"select {column} >= ?, built_at > ?, count(*) from {table} group by all "
                "order by all",
                [first, last_build],
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
        # what `chatwh forget` does to raw (tests/orchestration/test_forget.py runs the command)
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
