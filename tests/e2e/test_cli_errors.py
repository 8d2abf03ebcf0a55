"""Bad input to the real `chatwh` command: one line on stderr, non-zero status, no traceback.

Every case runs the installed command in a subprocess. The view commands that need a built
warehouse to tell a bad assistant from a good one use the `simulated` deployment (read only).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli import build_parser
from tests.conftest import Deployment, chatwh_env, run_chatwh
from tests.support.support import assert_one_line_error

WINDOW = ["--from", "2026-01-01", "--to", "2026-01-31"]
ACME = ["--assistant", "acme-support"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "landing").mkdir()
    return chatwh_env(
        tmp_path,
        CHATWH_LANDING=str(tmp_path / "landing"),
        CHATWH_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
    )


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["run", "--date", "2026-02-30"], "2026-02-30"),
        (["run", "--from", "2026-01-01", "--to", "2026-13-01"], "2026-13-01"),
        (["sessions", *ACME, "--from", "2026-02-30", "--to", "2026-03-01"], "2026-02-30"),
        (["customers", *ACME, "--from", "2026-01-01", "--to", "2026-02-29"], "2026-02-29"),
        (["dashboard", *ACME, "--as-of", "2026-04-31"], "2026-04-31"),
        (["simulate", "--out", "x", "--start", "2026-00-10"], "2026-00-10"),
        (["customers", *ACME, *WINDOW, "--grain", "year"], "year"),
        (["sessions", *ACME, *WINDOW, "--channel", "sms"], "sms"),
        (["customers", *ACME, *WINDOW, "--channel", "telegram"], "telegram"),
        (["run", "--from", "2026-01-10", "--to", "2026-01-01"], "2026-01-10"),
        (["run", "--from", "2026-01-10"], "--to"),
        (["run", "--date", "2026-01-10", "--from", "2026-01-01", "--to", "2026-01-31"], "--date"),
        (["simulate", "--out", "x", "--days", "0"], "0"),
        (["simulate", "--out", "x", "--users", "many"], "many"),
        (["simulate", "--out", "x", "--gzip-share", "2"], "2"),
        (["bogus"], "bogus"),
        ([], "COMMAND"),
        (["sessions", "--from", "2026-01-01", "--to", "2026-01-31"], "--assistant"),
        (["forget"], "--wa-id"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_bad_arguments(env: dict[str, str], args: list[str], word: str) -> None:
    assert_one_line_error(run_chatwh(*args, env=env, check=False), word)


@pytest.mark.parametrize(
    "args",
    [
        ["dashboard", "--assistant", "ghost"],
        ["sessions", "--assistant", "ghost", *WINDOW],
        ["customers", "--assistant", "ghost", *WINDOW, "--grain", "week"],
    ],
    ids=lambda value: value[0],
)
def test_unknown_assistant(simulated: Deployment, args: list[str]) -> None:
    result = simulated.chatwh(*args, "--warehouse", str(simulated.warehouse), check=False)
    assert_one_line_error(result, "ghost")


@pytest.mark.parametrize("command", ["sessions", "customers"])
def test_view_window_from_after_to(simulated: Deployment, command: str) -> None:
    result = simulated.chatwh(
        command, *ACME, "--from", "2026-02-10", "--to", "2026-01-31",
        "--warehouse", str(simulated.warehouse), check=False,
    )  # fmt: skip
    assert_one_line_error(result, "2026-02-10", "2026-01-31")


def test_missing_landing_folder(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-landing"
    result = run_chatwh("run", "--landing", str(missing), env=env, check=False)
    assert_one_line_error(result, str(missing))
    assert not missing.exists()


def test_landing_without_any_day(env: dict[str, str]) -> None:
    assert_one_line_error(run_chatwh("run", env=env, check=False), "dt=")


@pytest.mark.parametrize("kind", ["parent is a file", "path is a folder"])
def test_unwritable_warehouse_path(env: dict[str, str], tmp_path: Path, kind: str) -> None:
    # Both hold for root too, unlike file permissions.
    blocker = tmp_path / "blocker"
    if kind == "parent is a file":
        blocker.write_text("not a folder")
        warehouse = blocker / "warehouse.duckdb"
    else:
        blocker.mkdir()
        warehouse = blocker
    day = tmp_path / "landing" / "web" / "dt=2026-01-05"
    day.mkdir(parents=True)
    (day / "part-0.jsonl").write_text("")
    result = run_chatwh("run", "--warehouse", str(warehouse), env=env, check=False)
    assert_one_line_error(result, str(blocker))


def test_an_error_inside_a_run_is_its_root_cause_and_debug_shows_the_step(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The step's error, not Dagster's wrapper ("Error occurred while executing op ...:")."""
    landing = tmp_path / "landing"
    (landing / "assistants.csv").write_text(
        "assistant_id,name,tz,whatsapp_phone_number_id\nacme,Acme,UTC,\n"
    )
    day = landing / "web" / "dt=2026-01-05"
    day.mkdir(parents=True)
    (day / "part-0.jsonl").write_text("{}\n")

    result = run_chatwh("run", env=env, check=False)
    problems = [line for line in result.stderr.splitlines() if not line.startswith("  ")]
    assert result.returncode != 0
    assert len(problems) == 1, result.stderr
    assert problems[0] == f"chatwh run: error: {landing}/assistants.csv lacks the columns timezone"
    assert "Dagster" not in result.stderr and "Traceback" not in result.stderr

    debug = run_chatwh("run", env={**env, "CHATWH_DEBUG": "1"}, check=False)
    assert debug.returncode != 0
    # the whole error: Dagster's wrapper, then the step's own stack down to where it raised
    assert "DagsterExecutionStepExecutionError" in debug.stderr
    assert "The above exception was caused by the following exception" in debug.stderr
    assert "in load_assistants\n    raise LandingError(" in debug.stderr
    assert debug.stderr.rstrip().endswith(problems[0])


@pytest.mark.parametrize("key", [None, ""])
def test_missing_pseudonym_key(env: dict[str, str], key: str | None) -> None:
    env = dict(env)
    if key is None:
        del env["CHATWH_PSEUDONYM_KEY"]
    else:
        env["CHATWH_PSEUDONYM_KEY"] = key
    Path(env["CHATWH_WAREHOUSE"]).touch()  # forget needs a warehouse to erase from
    for args in (["run"], ["forget", "--wa-id", "34600111222"]):
        result = run_chatwh(*args, env=env, check=False)
        assert_one_line_error(result, "CHATWH_PSEUDONYM_KEY")


def test_forget_on_a_missing_warehouse_creates_nothing(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "warehouse.duckdb"
    result = run_chatwh(
        "forget", "--wa-id", "34600111222", "--warehouse", str(missing), env=env, check=False
    )
    assert_one_line_error(result, str(missing))
    assert not missing.parent.exists()


def _subcommands() -> list[str]:
    (commands,) = [action for action in build_parser()._actions if action.dest == "command"]
    return sorted(commands.choices)


def test_every_subcommand_is_listed() -> None:
    assert {"simulate", "run", "dashboard", "sessions", "customers", "forget", "demo"} <= set(
        _subcommands()
    )


def _help(env: dict[str, str], *command: str) -> list[str]:
    result = run_chatwh(*command, "--help", env=env)
    assert result.stderr == ""
    return [line.strip() for line in result.stdout.strip().splitlines()]


@pytest.mark.parametrize("command", _subcommands())
def test_subcommand_help_exits_zero_and_ends_with_an_example(
    env: dict[str, str], command: str
) -> None:
    lines = _help(env, command)
    assert lines[-2] == "example:", lines[-3:]
    assert lines[-1].startswith(f"chatwh {command}"), lines[-1]


def test_top_level_help_shows_an_example(env: dict[str, str]) -> None:
    lines = _help(env)
    example = lines[lines.index("example:") + 1]
    assert example.startswith("chatwh "), example
