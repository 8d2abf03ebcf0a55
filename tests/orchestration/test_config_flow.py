"""Configuration flows one way: the command line, the run config, the resources, dbt's vars.

Only ``orchestration/settings.py`` reads the environment and no module writes it (a child
process gets an environment built by settings). ``chatwh run --warehouse`` must write that
file with no CHATWH_WAREHOUSE, CHATWH_LANDING or DAGSTER_HOME anywhere: the path reaches the
Dagster resources in the run config and dbt as a var, and the run is stored in that
warehouse's own instance, without the pseudonym key.
"""

from __future__ import annotations

import ast
import sqlite3
import zlib
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import settings
from tests.conftest import TEST_KEY, chatwh_env, run_chatwh

PACKAGES = [settings.PROJECT_DIR / name for name in ("orchestration", "chatwh", "simulator")]
SETTINGS = settings.PROJECT_DIR / "orchestration" / "settings.py"
READERS = {"environ", "getenv", "getenvb", "putenv", "unsetenv", "environb"}
WRITERS = {"setdefault", "update", "pop", "popitem", "clear", "__setitem__", "__delitem__"}
UNSET = ("CHATWH_WAREHOUSE", "CHATWH_LANDING", "DAGSTER_HOME", settings.PLANNED_EVENTS_VARIABLE)


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def environment_uses(path: Path) -> tuple[list[int], list[int]]:
    """The lines of ``path`` that touch the process environment, and those that write it."""
    tree = ast.parse(path.read_text(), str(path))
    touches, writes = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in READERS:
            touches.append(node.lineno)
            if node.attr in ("putenv", "unsetenv"):
                writes.append(node.lineno)
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in READERS for alias in node.names)
        ):
            touches.append(node.lineno)
        targets = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and _is_environ(target.value):
                writes.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITERS
            and _is_environ(node.func.value)
        ):
            writes.append(node.lineno)
    return touches, writes


def test_only_settings_reads_the_environment_and_no_module_writes_it() -> None:
    files = [path for package in PACKAGES for path in sorted(package.rglob("*.py"))]
    assert SETTINGS in files
    readers, writers = [], []
    for path in files:
        touches, writes = environment_uses(path)
        name = str(path.relative_to(settings.PROJECT_DIR))
        if path != SETTINGS:
            readers += [f"{name}:{line}" for line in touches]
        writers += [f"{name}:{line}" for line in writes]
    assert readers == [], "the environment is read outside orchestration/settings.py"
    assert writers == [], "a module writes the environment"


def test_the_environment_scan_sees_reads_and_writes(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom os import getenv\n"
        "a = os.environ.get('A')\nos.environ['B'] = 'b'\nos.environ.setdefault('C', 'c')\n"
        "del os.environ['D']\nos.putenv('E', 'e')\n"
    )
    touches, writes = environment_uses(sample)
    assert sorted(set(touches)) == [2, 3, 4, 5, 6, 7]
    assert sorted(set(writes)) == [4, 5, 6, 7]


def test_run_and_demo_start_again_with_what_dagster_reads_from_the_environment(
    monkeypatch,
) -> None:
    monkeypatch.delenv(settings.PLANNED_EVENTS_VARIABLE, raising=False)
    monkeypatch.setenv(settings.PSEUDONYM_KEY_VARIABLE, TEST_KEY)
    assert settings.launch_environment("dashboard") is None
    assert settings.launch_environment(None) is None
    again = settings.launch_environment("run")
    assert again is not None and again[settings.PLANNED_EVENTS_VARIABLE] == "true"
    assert again[settings.PSEUDONYM_KEY_VARIABLE] == TEST_KEY  # the operator's key, as it is
    demo = settings.launch_environment("demo")
    assert demo is not None and demo[settings.PSEUDONYM_KEY_VARIABLE] == (
        settings.DEMO_PSEUDONYM_KEY
    )
    monkeypatch.setenv(settings.PLANNED_EVENTS_VARIABLE, "true")
    assert settings.launch_environment("run") is None  # then it starts directly
    monkeypatch.setenv(settings.PSEUDONYM_KEY_VARIABLE, settings.DEMO_PSEUDONYM_KEY)
    assert settings.launch_environment("demo") is None


def test_dbt_gets_the_warehouse_as_a_var(tmp_path: Path) -> None:
    arguments = settings.dbt_vars(tmp_path / "w.duckdb")
    assert arguments[0] == "--vars"
    assert '"chatwh_warehouse"' in arguments[1] and str(tmp_path / "w.duckdb") in arguments[1]
    profile = (settings.DBT_PROJECT_DIR / "profiles.yml").read_text()
    assert "var('chatwh_warehouse'" in profile


def _instance_bytes(home: Path) -> bytes:
    """Every SQLite file of the instance, snapshots uncompressed (Dagster zips them)."""
    data = b""
    for path in home.rglob("*.db"):
        data += path.read_bytes()
        with sqlite3.connect(path) as con:
            tables = {row[0] for row in con.execute("select name from sqlite_master")}
            if "snapshots" in tables:
                for (body,) in con.execute("select snapshot_body from snapshots"):
                    data += zlib.decompress(body)
    return data


def test_chatwh_run_writes_the_warehouse_it_is_given_and_nothing_else(tmp_path: Path) -> None:
    default = settings.DEFAULT_WAREHOUSE
    before = default.stat().st_mtime_ns if default.exists() else None
    env = {name: value for name, value in chatwh_env(tmp_path).items() if name not in UNSET}
    landing, warehouse = tmp_path / "landing", tmp_path / "given" / "warehouse.duckdb"
    run_chatwh(*("simulate", "--out", str(landing), "--days", "3", "--users", "30"), env=env)
    completed = run_chatwh("run", "--landing", str(landing), "--warehouse", str(warehouse), env=env)

    with duckdb.connect(str(warehouse), read_only=True) as con:  # dbt built this file
        [(sessions,)] = con.execute("select count(*) from marts.fct_sessions").fetchall()
        [(builds,)] = con.execute("select count(*) from intermediate.build_log").fetchall()
    assert sessions > 0 and builds > 0
    assert (default.stat().st_mtime_ns if default.exists() else None) == before
    # dbt's progress line says what it builds, not the vars that name the file
    assert "chatwh_warehouse" not in completed.stdout + completed.stderr
    assert "dbt: build --exclude-resource-type unit_test" in completed.stderr

    home = settings.dagster_home(warehouse)  # the warehouse's own, as no DAGSTER_HOME is set
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        config = run.run_config["resources"]["warehouse"]["config"]
        assert config["path"] == str(warehouse) and config["landing"] == str(landing)
        assert config["pseudonym_key"] == {"env": settings.PSEUDONYM_KEY_VARIABLE}
        assert config["engine"] == "duckdb"  # no --engine, no CHATWH_ENGINE
        assert run.tags["chatwh/warehouse"] == str(warehouse)
        # a range run plans each asset once (chatwh started itself with the setting)
        planned = [
            entry.dagster_event.asset_key
            for entry in instance.all_logs(run.run_id)
            if entry.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ]
        assert planned and len(planned) == len(set(planned))
    assert TEST_KEY.encode() not in _instance_bytes(home)
