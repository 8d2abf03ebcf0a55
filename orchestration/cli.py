"""``chatwh``: the command line of Chat Warehouse.

Every mistake a person can make ends in one line on stderr and a non-zero exit status,
never a traceback. Heavy imports (Dagster, dbt) happen only in the commands that run the
pipeline; the query commands import DuckDB alone and answer in well under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from .gc_pause import no_collection_at_exit

EXIT_USAGE = 2
EXIT_FAILED = 1


class UsageError(Exception):
    """A bad argument: printed as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line that points at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


EXAMPLES = {
    "simulate": "chatwh simulate --out data/landing --start 2026-01-01 --days 365 --users 2000",
    "run": "chatwh run --landing data/landing --from 2026-01-01 --to 2026-01-31",
    "dashboard": "chatwh dashboard --assistant acme-support --as-of 2026-09-30",
    "sessions": "chatwh sessions --assistant acme-support --from 2026-06-01 --to 2026-09-30",
    "customers": "chatwh customers --assistant acme-support --from 2026-01-01 --to 2026-03-31 "
    "--grain week --channel whatsapp --json",
    "forget": "chatwh forget --wa-id 34600000000",
    "demo": "chatwh demo",
    "report": "chatwh report --assistant acme-support --from 2026-01-01 --to 2026-09-30 "
    "--out report.html",
}


def _sub(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=f"example:\n  {EXAMPLES[name]}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _warehouse_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        metavar="FILE",
        help="DuckDB warehouse file (default: $CHATWH_WAREHOUSE, else data/warehouse.duckdb)",
    )


def _window_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assistant", required=True, metavar="ID", help="assistant id")
    parser.add_argument(
        "--from",
        dest="from_date",
        required=True,
        type=_date,
        metavar="DATE",
        help="first local date of the window (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--to",
        dest="to_date",
        required=True,
        type=_date,
        metavar="DATE",
        help="last local date of the window, included",
    )
    parser.add_argument(
        "--channel",
        default="all",
        choices=["web", "whatsapp", "all"],
        help="one channel or both (default: all)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chatwh",
        description="Chat Warehouse: how many people talk to each assistant, and how many "
        "come back (unique vs recurring users).",
        epilog="example:\n  chatwh demo\n\nEvery command has --help.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    simulate = _sub(commands, "simulate", "write a realistic simulated landing zone")
    simulate.add_argument("--out", required=True, metavar="DIR", help="landing folder to write")
    simulate.add_argument(
        "--start", type=_date, metavar="DATE", help="first day (default: 365 days before today)"
    )
    simulate.add_argument("--days", type=_positive, default=365, help="days (default 365)")
    simulate.add_argument(
        "--users", type=_positive, default=2000, help="distinct people (default 2000)"
    )
    simulate.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    simulate.add_argument(
        "--gzip-share",
        type=_share,
        default=0.25,
        metavar="SHARE",
        help="share of files written gzipped, 0 to 1 (default 0.25)",
    )

    run = _sub(commands, "run", "run the nightly pipeline (Dagster) for arrival days")
    run.add_argument(
        "--landing",
        metavar="DIR",
        help="landing zone (default: $CHATWH_LANDING, else data/landing)",
    )
    _warehouse_args(run)
    run.add_argument("--date", type=_date, metavar="D", help="one arrival day (dt)")
    run.add_argument(
        "--from", dest="from_date", type=_date, metavar="D", help="first arrival day of a range"
    )
    run.add_argument(
        "--to", dest="to_date", type=_date, metavar="D", help="last arrival day of a range"
    )
    run.add_argument(
        "--full-refresh", action="store_true", help="rebuild every dbt model from scratch"
    )
    run.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run to finish (default: stop at once)",
    )

    dashboard = _sub(commands, "dashboard", "the Dashboard view (no date filter)")
    dashboard.add_argument("--assistant", required=True, metavar="ID", help="assistant id")
    dashboard.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="as-of date (default: today in the assistant's time zone)",
    )
    dashboard.add_argument("--json", action="store_true", help="print JSON")
    _warehouse_args(dashboard)

    sessions = _sub(commands, "sessions", "the Sessions view: unique vs recurring users")
    _window_args(sessions)
    sessions.add_argument("--json", action="store_true", help="print JSON")
    _warehouse_args(sessions)

    customers = _sub(commands, "customers", "the Customers view: totals and a series")
    _window_args(customers)
    customers.add_argument(
        "--grain",
        choices=["day", "week", "month"],
        help="bucket size (default: day up to 31 days, week up to 182, else month)",
    )
    customers.add_argument("--json", action="store_true", help="print JSON")
    _warehouse_args(customers)

    forget = _sub(commands, "forget", "erase one person from every table, for good")
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument("--wa-id", metavar="PHONE", help="the person's WhatsApp id (phone number)")
    who.add_argument("--anonymous-id", metavar="ID", help="the person's web anonymousId")
    _warehouse_args(forget)

    demo = _sub(commands, "demo", "simulate a year of logs, run the pipeline, print the views")
    demo.add_argument("--users", type=_positive, default=2000, help="people (default 2000)")
    demo.add_argument("--days", type=_positive, default=365, help="days (default 365)")

    report = _sub(commands, "report", "write the three views as one HTML page")
    _window_args(report)
    report.add_argument("--out", required=True, metavar="FILE", help="HTML file to write")
    _warehouse_args(report)
    return parser


# --------------------------------------------------------------------------- commands


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate

    start = args.start or date.fromordinal(date.today().toordinal() - args.days)
    began = time.perf_counter()
    summary = simulate(
        args.out,
        start=start,
        days=args.days,
        users=args.users,
        seed=args.seed,
        gzip_share=args.gzip_share,
    )
    print(
        f"simulated {summary.days} days into {summary.out}: {summary.files} files, "
        f"{summary.lines} lines, {summary.messages} user messages, {summary.bad_lines} bad "
        f"lines ({time.perf_counter() - began:.1f}s)"
    )
    return 0


def _run_range(args: argparse.Namespace) -> tuple[date | None, date | None]:
    if args.date and (args.from_date or args.to_date):
        raise UsageError("give either --date or --from/--to, not both")
    if args.date:
        return args.date, args.date
    if bool(args.from_date) != bool(args.to_date):
        raise UsageError("--from and --to go together")
    if args.from_date and args.from_date > args.to_date:
        raise UsageError(f"--from {args.from_date} is after --to {args.to_date}")
    return args.from_date, args.to_date


def run_and_report(
    landing: str,
    warehouse: Path,
    first: date | None,
    last: date | None,
    full_refresh: bool = False,
    wait: float = 0.0,
) -> int:
    from .pipeline import run_pipeline

    began = time.perf_counter()
    outcome = run_pipeline(
        landing,
        warehouse,
        first,
        last,
        full_refresh=full_refresh,
        wait_seconds=wait,
        on_progress=lambda line: _say(f"  {line}"),
    )
    audit = outcome.audit
    print(
        f"run {outcome.first_day} to {outcome.last_day}: {audit.get('days', 0)} days, "
        f"{audit.get('files', 0)} files, {audit.get('records', 0)} records: "
        f"{audit.get('loaded', 0)} loaded, {audit.get('skipped', 0)} skipped, "
        f"{audit.get('duplicates', 0)} duplicates, {audit.get('quarantined', 0)} quarantined "
        f"({time.perf_counter() - began:.1f}s)"
    )
    failed = [check for check in outcome.checks if not check.passed]
    print(
        f"checks: {len(outcome.checks) - len(failed)} passed, {len(failed)} failed"
        + "".join(f"\n  {check.severity.lower()}: {check.name}" for check in failed)
    )
    if not outcome.success:
        _say(f"chatwh run: error: {outcome.failure}")
        return EXIT_FAILED
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .settings import landing_root, warehouse_path

    first, last = _run_range(args)
    return run_and_report(
        landing_root(args.landing),
        warehouse_path(args.warehouse),
        first,
        last,
        full_refresh=args.full_refresh,
        wait=args.wait,
    )


def _open_read_only(args: argparse.Namespace):
    from .settings import warehouse_path
    from .warehouse import connect

    return connect(warehouse_path(args.warehouse), read_only=True)


def _print_view(view: dict[str, Any], as_json: bool, render) -> None:
    print(json.dumps(view, ensure_ascii=False) if as_json else render(view))


def cmd_dashboard(args: argparse.Namespace) -> int:
    from . import views

    with _open_read_only(args) as con:
        view = views.dashboard(con, args.assistant, args.as_of)
    _print_view(view, args.json, views.render_dashboard)
    return 0


def _window(args: argparse.Namespace):
    from .views import Window

    return Window(args.assistant, args.from_date, args.to_date, args.channel)


def cmd_sessions(args: argparse.Namespace) -> int:
    from . import views

    with _open_read_only(args) as con:
        view = views.sessions(con, _window(args))
    _print_view(view, args.json, views.render_sessions)
    return 0


def cmd_customers(args: argparse.Namespace) -> int:
    from . import views

    with _open_read_only(args) as con:
        view = views.customers(con, _window(args), args.grain)
    _print_view(view, args.json, views.render_customers)
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from .erasure import forget
    from .settings import warehouse_path

    channel, identifier = ("whatsapp", args.wa_id) if args.wa_id else ("web", args.anonymous_id)
    result = forget(warehouse_path(args.warehouse), channel, identifier)
    print(
        f"erased one {channel} person ({result.pseudonym[:12]}…): "
        f"{result.interactions} interactions removed, and every mart rebuilt without them; "
        "the erasure is remembered for later loads"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    with _open_read_only(args) as con:
        path = write_report(con, _window(args), Path(args.out))
    print(f"wrote {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from . import settings, views
    from .simulate import simulate

    if not os.environ.get("CHATWH_PSEUDONYM_KEY"):
        os.environ["CHATWH_PSEUDONYM_KEY"] = settings.DEMO_PSEUDONYM_KEY
        _say("demo: using the public demo pseudonym key (set CHATWH_PSEUDONYM_KEY in production)")
    landing = Path(settings.landing_root())
    warehouse = settings.warehouse_path()
    end = date.today()
    start = date.fromordinal(end.toordinal() - args.days)
    _say(f"demo: simulating {args.days} days of logs for {args.users} people into {landing}")
    for channel in ("web", "whatsapp"):
        shutil_rmtree(landing / channel)
    summary = simulate(landing, start=start, days=args.days, users=args.users, seed=42)
    _say(
        f"demo: {summary.files} files, {summary.messages} user messages, "
        f"{summary.bad_lines} bad lines"
    )
    for suffix in ("", ".wal"):
        Path(str(warehouse) + suffix).unlink(missing_ok=True)
    status = run_and_report(str(landing), warehouse, None, None)
    if status:
        return status
    window_from = date(end.year, 1, 1) if end.month > 1 else date(end.year - 1, 1, 1)
    with _open_read_only(argparse.Namespace(warehouse=None)) as con:
        for assistant in views.assistant_ids(con):
            window = views.Window(assistant, window_from, end)
            print()
            print(views.render_dashboard(views.dashboard(con, assistant, end)))
            print(views.render_sessions(views.sessions(con, window)))
            print(views.render_customers(views.customers(con, window, "month")))
    return 0


def shutil_rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


COMMANDS = {
    "simulate": cmd_simulate,
    "run": cmd_run,
    "dashboard": cmd_dashboard,
    "sessions": cmd_sessions,
    "customers": cmd_customers,
    "forget": cmd_forget,
    "demo": cmd_demo,
    "report": cmd_report,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    prog = f"chatwh {args.command}"
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _say(f"{prog}: interrupted")
        return 130
    except Exception as error:  # every error a person can cause ends here, as one line
        if os.environ.get("CHATWH_DEBUG"):
            raise
        _say(f"{prog}: error: {describe(error)}")
        return EXIT_USAGE if isinstance(error, UsageError) else EXIT_FAILED
    finally:
        no_collection_at_exit()


def describe(error: Exception) -> str:
    """One line for a person: our own errors as they are, others with their kind."""
    from .ingest import LandingError
    from .settings import ConfigError
    from .views import ViewError
    from .warehouse import WarehouseBusy

    own = (
        UsageError,
        LandingError,
        ConfigError,
        WarehouseBusy,
        ViewError,
        FileNotFoundError,
        FileExistsError,
        ValueError,
    )
    first_line = (str(error).strip().splitlines() or [""])[0]
    if isinstance(error, own):
        return first_line
    if isinstance(error, PermissionError):
        return f"permission denied: {error.filename or first_line}"
    return f"{type(error).__name__}: {first_line} (CHATWH_DEBUG=1 shows the traceback)"


if __name__ == "__main__":
    sys.exit(main())
