"""The same warehouse on Apache Spark (`chatwh run --engine spark`): equal to DuckDB.

Real Spark in local mode (dbt-spark's session method, `local[2]`, the in-memory catalog),
real dbt, real Dagster, the real `chatwh` in subprocesses, on a small simulated landing
zone with the edge cases: late data that joins two sessions of a user into one, a
redelivery of the first day's interactions on a later day (a duplicate across days), an
erasure, and assistants in several time zones. Every mart of a full build on Spark equals
DuckDB's row for row (EXCEPT ALL both ways); `chatwh forget` on the Spark-built warehouse
rebuilds on Spark, after which no table of the file, no Parquet under `<warehouse>.spark/`
and no serving snapshot holds the person, and the marts (and the snapshot) equal a full
build on DuckDB without them; then a nightly on Spark with the late files equals a full
build of everything on DuckDB, and so a full build on Spark.
Spark's marts are compared where the checks and the serving snapshot read them: their
copies in the warehouse file, made from Spark's Parquet (orchestration/spark.py), which
are compared with the Parquet too; and the three views with `--engine spark`, which read
the Parquet itself (orchestration/spark_marts.py), answer DuckDB's JSON.

Each Spark invocation starts a JVM (about 10 s): the file runs Spark three times (the full
build with `--engine spark`, the erasure's rebuild, the nightly with CHATWH_ENGINE=spark).
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.serve.snapshot import current_link
from orchestration.settings import serving_dir
from orchestration.spark import marts_folder, spark_root
from tests.conftest import Deployment, make_deployment, run_chatwh
from tests.support.late_world import marts_differences, plan_late_delivery
from tests.support.reliability import Watched, text_columns, where_found
from tests.support.support import arrival_days, assert_one_line_error, query

START = date(2026, 1, 1)
DAYS = 4
USERS = 80
WINDOW = ("--from", START.isoformat(), "--to", "2026-01-31")
# every mart, all columns but when its rows were built
MARTS = {
    "marts.fct_sessions": "* exclude (built_at)",
    "marts.fct_user_days": "* exclude (built_at)",
    "marts.fct_user_months": "* exclude (built_at)",
    "marts.session_chains_daily": "* exclude (built_at)",
    "marts.customers": "* exclude (built_at)",
    "marts.dashboard_monthly_users": "*",
    "marts.dim_assistants": "*",
}
# every table of a serving snapshot (orchestration/serve/snapshot.py)
SNAPSHOT_TABLES = {
    "marts.dim_assistants": "*",
    "marts.session_chains_daily": "* exclude (built_at)",
    "marts.dashboard_monthly_users": "*",
    "marts.new_users_daily": "*",
    "marts.user_day_links": "*",
    "marts.dashboard_days": "*",
}


def copies_differ_from_parquet(warehouse: Path) -> dict[str, int]:
    """Rows that differ between each mart's copy in the warehouse file and Spark's Parquet."""
    marts = marts_folder(warehouse)
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in MARTS:
            name = table.removeprefix("marts.")
            columns = ", ".join(
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns where table_schema = "
                    "'marts' and table_name = ? order by ordinal_position",
                    [name],
                ).fetchall()
            )
            parquet = (
                f"(select {columns} from read_parquet('{marts / name}/**/*.parquet',"
                " hive_partitioning = true))"
            )
            copy = f"(select {columns} from {table})"
            rows = con.execute(
                f"select count(*) from ((from {copy} except all from {parquet})"
                f" union all (from {parquet} except all from {copy}))"
            ).fetchall()[0][0]
            if rows:
                found[name] = rows
    return found


def parquet_holding(warehouse: Path, needle: str) -> set[str]:
    """The folders under ``<warehouse>.spark/`` whose Parquet holds ``needle`` in any column
    (each file read with DuckDB, every row as text)."""
    root = spark_root(warehouse)
    found = set()
    with duckdb.connect() as con:
        for path in sorted(root.rglob("*.parquet")):
            [(hits,)] = con.execute(
                "select count(*) from read_parquet(?) as t where contains(t::varchar, ?)",
                [str(path), needle],
            ).fetchall()
            if hits:
                found.add(str(path.parent.relative_to(root)))
    return found


def snapshot_holding(warehouse: Path, needle: str) -> set[str]:
    """The text columns of the warehouse's current serving snapshot that hold ``needle``."""
    found = set()
    with duckdb.connect(str(current_link(serving_dir(warehouse))), read_only=True) as con:
        for table, columns in text_columns(con).items():
            for column in columns:
                [(hits,)] = con.execute(
                    f'select count(*) from {table} where contains("{column}"::varchar, ?)',
                    [needle],
                ).fetchall()
                if hits:
                    found.add(f"{table}.{column}")
    return found


def erased_user(deployment: Deployment, other_than: str) -> str:
    """A web user with sessions on more than one day (the anonymousId, as the landing has it),
    not ``other_than``."""
    [(user,)] = deployment.query(
        """
        select user_id from marts.fct_user_days where channel = 'web' and user_id <> ?
        group by user_id having count(*) > 1 order by user_id limit 1
        """,
        [other_than],
    )
    return user


def view_answers(deployment: Deployment, *engine: str) -> list[dict]:
    """The three views of the first assistant, as `chatwh` prints them in JSON."""
    [(assistant,)] = deployment.query("select min(assistant_id) from marts.dim_assistants")
    warehouse = ["--warehouse", str(deployment.warehouse), "--json", *engine]
    return [
        json.loads(deployment.chatwh(*command, *warehouse).stdout)
        for command in (
            ["dashboard", "--assistant", assistant, "--as-of", "2026-01-31"],
            ["sessions", "--assistant", assistant, *WINDOW],
            ["customers", "--assistant", assistant, *WINDOW],
        )
    ]


def test_spark_builds_duckdbs_marts_and_a_nightly_on_spark_equals_a_full_build(tmp_path):
    """A full build on Spark equals DuckDB's; an erasure rebuilds on Spark; a nightly killed
    inside dbt, then a nightly of the late files, equal a full DuckDB build of them."""
    spark = make_deployment(tmp_path / "spark")
    spark.chatwh(
        "simulate",
        "--out",
        str(spark.landing),
        "--start",
        START.isoformat(),
        "--days",
        str(DAYS),
        "--users",
        str(USERS),
    )
    with open(spark.landing / "assistants.csv", newline="", encoding="utf-8") as handle:
        zones = {row["timezone"] for row in csv.DictReader(handle)}
    assert len(zones) > 1, "the assistants share one time zone"
    late = plan_late_delivery(spark.landing)
    days = arrival_days(spark.landing)
    assert late.day < days[-1]
    before = make_deployment(tmp_path / "duckdb-before")
    shutil.copytree(spark.landing, before.landing)

    # a full build of every day on each engine: the same marts
    spark.run("--engine", "spark")
    before.run()
    assert marts_differences(before.warehouse, spark.warehouse, MARTS) == {}
    assert copies_differ_from_parquet(spark.warehouse) == {}
    # the views read Spark's Parquet (an in-memory DuckDB): DuckDB's answers
    assert view_answers(spark, "--engine", "spark") == view_answers(before)
    no_spark = before.chatwh(
        "sessions", "--assistant", "x", *WINDOW, "--engine", "spark", check=False
    )
    assert_one_line_error(no_spark, "no Spark build", "chatwh run --engine spark")

    # an erasure on the Spark-built warehouse: rebuilt on Spark (raw's Parquet, the tables,
    # the copies, the snapshot); the reference is a full build on DuckDB without the person
    person = erased_user(before, other_than=late.merged_user)
    assert where_found(spark.warehouse, person) and parquet_holding(spark.warehouse, person)
    forget = ["forget", "--anonymous-id", person]
    spark.chatwh(*forget, "--warehouse", str(spark.warehouse))
    before.chatwh(*forget, "--warehouse", str(before.warehouse))
    before.run("--full-refresh")
    assert where_found(spark.warehouse, person) == set()
    assert parquet_holding(spark.warehouse, person) == set()
    assert snapshot_holding(spark.warehouse, person) == set()
    assert marts_differences(before.warehouse, spark.warehouse, MARTS) == {}
    assert copies_differ_from_parquet(spark.warehouse) == {}
    snapshots = (current_link(serving_dir(d.warehouse)) for d in (before, spark))
    assert marts_differences(*snapshots, SNAPSHOT_TABLES) == {}

    # the late files (a day already built), then a nightly of that day on Spark; the
    # reference is one full build of the same landing zone on DuckDB, the person erased
    late.write(spark.landing)
    after = make_deployment(tmp_path / "duckdb-after")
    shutil.copytree(spark.landing, after.landing)
    nightly = ["--landing", str(spark.landing), "--warehouse", str(spark.warehouse)]
    # first a nightly killed inside dbt on Spark (Spark and its JVM with it), as a lost
    # machine would: the next nightly must still give the marts of an uninterrupted run
    killed = Watched.start(
        "run", *nightly, "--date", late.day.isoformat(), "--engine", "spark", env=spark.env
    )
    if killed.wait_for("dbt: built int_sessions") is None:
        killed.finish()
        pytest.fail(f"the Spark nightly ended before int_sessions was built:\n{killed.stderr}")
    killed.kill_group()
    assert killed.process.returncode == -signal.SIGKILL
    # CHATWH_ENGINE, the switch's other half
    run_chatwh(
        "run", *nightly, "--date", late.day.isoformat(), env={**spark.env, "CHATWH_ENGINE": "spark"}
    )
    after.run()
    after.chatwh("forget", "--anonymous-id", person, "--warehouse", str(after.warehouse))

    merged = "select count(*) from marts.fct_sessions where user_id = ?"
    assert query(spark.warehouse, merged, [late.merged_user]) < query(
        before.warehouse, merged, [late.merged_user]
    ), "the late events did not join two sessions"
    assert query(spark.warehouse, merged, [person]) == [(0,)]
    assert marts_differences(after.warehouse, spark.warehouse, MARTS) == {}
    assert copies_differ_from_parquet(spark.warehouse) == {}
    assert view_answers(spark, "--engine", "spark") == view_answers(after)
