"""``chatwh``: the command line of Chat Warehouse.

Every mistake a person can make ends in one line on stderr and a non-zero exit status,
never a traceback. Heavy imports (Dagster, dbt) happen only in the commands that run the
pipeline; the query commands import DuckDB alone and answer in well under a second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .gc_pause import no_collection_at_exit

if TYPE_CHECKING:
    from .erasure import ErasureResult

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


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _wa_id(text: str) -> str:
    from .pseudonym import normalize_wa_id

    try:
        return normalize_wa_id(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _port(text: str) -> int:
    value = _whole(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
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
    "rekey": "chatwh rekey   # with CHATWH_OLD_PSEUDONYM_KEY and the new CHATWH_PSEUDONYM_KEY",
    "report": "chatwh report --assistant acme-support --from 2026-01-01 --to 2026-09-30 "
    "--out report.html",
    "status": "chatwh status --limit 3",
    "serve": "chatwh serve --port 8000 --warehouse data/warehouse.duckdb",
    "keys": "chatwh keys create --assistant acme-support --assistant globex-sales",
    "keys create": "chatwh keys create --assistant acme-support --assistant globex-sales",
    "keys list": "chatwh keys list --json",
    "keys revoke": "chatwh keys revoke k3f9a1c2e7b40",
}


def _sub(
    subparsers: Any, name: str, help_text: str, example: str | None = None
) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=f"example:\n  {EXAMPLES[example or name]}",
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
    parser.add_argument("--version", action="version", version=f"chatwh {_version()}")
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
    simulate.add_argument(
        "--shape",
        choices=("default", "many-users"),
        default="default",
        help="shape of the data (default: default); many-users: about two sessions per user, "
        "one message per WhatsApp body, no bot replies, one file per channel and day, three "
        "assistants",
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
    who.add_argument(
        "--wa-id",
        type=_wa_id,
        metavar="PHONE",
        help="the person's WhatsApp id: the phone number with its country code, 7 to 15 "
        "digits (+, spaces and dashes ignored), or a business-scoped user id (US.1234...)",
    )
    who.add_argument("--anonymous-id", metavar="ID", help="the person's web anonymousId")
    _warehouse_args(forget)

    demo = _sub(commands, "demo", "simulate a year of logs, run the pipeline, print the views")
    demo.add_argument("--users", type=_positive, default=2000, help="people (default 2000)")
    demo.add_argument("--days", type=_positive, default=365, help="days (default 365)")

    rekey = _sub(
        commands,
        "rekey",
        "change the pseudonym key on purpose: reload the landing zone under the new key "
        "(CHATWH_PSEUDONYM_KEY), carrying the erasures made under the old one "
        "(CHATWH_OLD_PSEUDONYM_KEY); the old warehouse is kept beside it",
    )
    rekey.add_argument(
        "--landing",
        metavar="DIR",
        help="landing zone (default: $CHATWH_LANDING, else data/landing)",
    )
    _warehouse_args(rekey)
    rekey.add_argument(
        "--drop-unmatched-erasures",
        action="store_true",
        help="go on when some erasures name people that no landing file holds (they cannot "
        "move to the new key)",
    )

    report = _sub(commands, "report", "write the three views as one HTML page")
    _window_args(report)
    report.add_argument("--out", required=True, metavar="FILE", help="HTML file to write")
    _warehouse_args(report)
    _status_args(commands)

    serve = _sub(commands, "serve", "serve the three views over HTTP (API, docs, page)")
    serve.add_argument(
        "--host", default=None, help="address to bind (default 127.0.0.1: this machine only)"
    )
    serve.add_argument(
        "--port", type=_port, default=None, help="port to listen on (default 8000; 0: any free)"
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin allowed to call the API from a browser, e.g. "
        "https://app.example.com (repeatable; also $CHATWH_CORS_ORIGINS)",
    )
    _warehouse_args(serve)

    keys = _sub(commands, "keys", "API keys of chatwh serve: create, list, revoke")
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=_Parser)
    keys_commands.required = True
    create = _sub(keys_commands, "create", "a new key for one client's assistants", "keys create")
    create.add_argument(
        "--assistant",
        action="append",
        required=True,
        metavar="ID",
        help="an assistant the key may read (repeat for several)",
    )
    _warehouse_args(create)
    listing = _sub(keys_commands, "list", "every key: id, assistants, state", "keys list")
    listing.add_argument("--json", action="store_true", help="print JSON")
    _warehouse_args(listing)
    revoke = _sub(keys_commands, "revoke", "revoke a key for good", "keys revoke")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id (chatwh keys list)")
    _warehouse_args(revoke)
    return parser


def _version() -> str:
    from .settings import version

    return version()


def _status_args(commands: Any) -> None:
    status = _sub(commands, "status", "the last runs of the warehouse and what it holds")
    status.add_argument(
        "--limit", type=_positive, default=5, metavar="N", help="how many runs (default 5)"
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    _warehouse_args(status)


# --------------------------------------------------------------------------- commands


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_simulate(args: argparse.Namespace) -> int:
    from simulator import SHAPES, simulate

    start = args.start or date.fromordinal(date.today().toordinal() - args.days)
    began = time.perf_counter()
    summary = simulate(
        args.out,
        start=start,
        days=args.days,
        users=args.users,
        seed=args.seed,
        gzip_share=args.gzip_share,
        params=SHAPES[args.shape],
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
    dagster_home: Path | None = None,
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
        dagster_home=dagster_home,
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
    if outcome.run_id:
        print(
            f"dagster run {outcome.run_id} in {outcome.dagster_home} (compute logs: "
            f"{outcome.dagster_home / 'storage' / outcome.run_id / 'compute_logs'}); "
            f"dbt log: {outcome.dbt_log}"
        )
    if not outcome.success:
        _say_traceback(outcome.failure_traceback)
        _say(f"chatwh run: error: {outcome.failure}")
        return EXIT_FAILED
    return 0


def _say_traceback(traceback: str | None) -> None:
    """With CHATWH_DEBUG, the failed step's whole error (its stack and every cause)."""
    from .settings import debug

    if traceback and debug():
        _say(traceback.rstrip())


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
    from .warehouse import open_for_queries

    return open_for_queries(warehouse_path(args.warehouse))


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
        note = _no_data_note(con, args, view)
    _print_view(view, args.json, views.render_sessions)
    _print_note(note)
    return 0


def cmd_customers(args: argparse.Namespace) -> int:
    from . import views

    with _open_read_only(args) as con:
        view = views.customers(con, _window(args), args.grain)
        note = _no_data_note(con, args, view)
    _print_view(view, args.json, views.render_customers)
    _print_note(note)
    return 0


def _no_data_note(con, args: argparse.Namespace, view: dict[str, Any]) -> str | None:
    """The text output of a window without sessions says what dates the data covers (the
    JSON stays as it is)."""
    from .views import no_data_note

    return None if args.json or view["total_users"] else no_data_note(con, _window(args))


def _print_note(note: str | None) -> None:
    if note:
        print(note)


def cmd_forget(args: argparse.Namespace) -> int:
    from .erasure import forget
    from .settings import warehouse_path

    channel, identifier = ("whatsapp", args.wa_id) if args.wa_id else ("web", args.anonymous_id)
    result = forget(warehouse_path(args.warehouse), channel, identifier)
    print(_erasure_summary(channel, result))
    return 0


def _erasure_summary(channel: str, result: ErasureResult) -> str:
    """What `forget` did, naming the person only by a prefix of the pseudonym."""
    person = f"{channel} person {result.pseudonym[:12]}…"
    later = "later loads skip this person"
    if result.interactions:
        return (
            f"erased one {person}: {result.interactions} interactions removed, and every mart "
            f"rebuilt without them; the erasure is remembered: {later}"
        )
    if result.already_erased:
        return f"{person} was already erased: nothing left to remove; {later}"
    return (
        f"nobody matched: no {person} in the warehouse, nothing removed; the erasure is "
        f"recorded: {later}"
    )


def cmd_rekey(args: argparse.Namespace) -> int:
    from . import settings
    from .rekey import rekey

    landing = settings.landing_root(args.landing)
    warehouse = settings.warehouse_path(args.warehouse)
    result = rekey(
        landing,
        warehouse,
        settings.old_pseudonym_key(),
        settings.pseudonym_key(),
        args.drop_unmatched_erasures,
        reload=lambda staged: run_and_report(landing, staged, None, None) == 0,
    )
    dropped = f", {result.erasures_dropped} dropped" if result.erasures_dropped else ""
    print(
        f"re-keyed {warehouse}: reloaded under the new key, {result.erasures_carried} "
        f"erasures carried{dropped}; the warehouse under the old key is kept at "
        f"{result.kept} (delete it when you no longer need it)"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import GENERATOR, write_report

    out = Path(args.out)
    if out.is_dir() or (out.exists() and GENERATOR.encode() not in out.read_bytes()[:4096]):
        raise UsageError(f"{out} exists and is not a chatwh report: pass another --out")
    with _open_read_only(args) as con:
        path = write_report(con, _window(args), out)
    print(f"wrote {path}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .settings import warehouse_path
    from .status import render_status, status

    view = status(warehouse_path(args.warehouse), args.limit)
    _print_view(view, args.json, render_status)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from simulator import simulate

    from . import settings, views
    from .demo import DemoFolder
    from .warehouse import open_for_queries

    # the demo's own key: its warehouse is the demo's, whatever key the shell exports
    # (`chatwh demo` starts itself again with it: orchestration/launcher.py)
    if settings.pseudonym_key_kind() != "demo":
        raise settings.ConfigError(
            "the demo runs with the public demo key: start it as `chatwh demo`"
        )
    demo = DemoFolder(settings.demo_dir())
    demo.prepare()
    _say("demo: using the public demo pseudonym key (set CHATWH_PSEUDONYM_KEY in production)")
    end = date.today()
    start = date.fromordinal(end.toordinal() - args.days)
    _say(f"demo: simulating {args.days} days of logs for {args.users} people into {demo.landing}")
    summary = simulate(demo.landing, start=start, days=args.days, users=args.users, seed=42)
    _say(
        f"demo: {summary.files} files, {summary.messages} user messages, "
        f"{summary.bad_lines} bad lines"
    )
    status = run_and_report(
        str(demo.landing), demo.warehouse, None, None, dagster_home=demo.dagster_home
    )
    if status:
        return status
    window_from = date(end.year, 1, 1) if end.month > 1 else date(end.year - 1, 1, 1)
    with open_for_queries(demo.warehouse) as con:
        for assistant in views.assistant_ids(con):
            window = views.Window(assistant, window_from, end)
            print()
            print(views.render_dashboard(views.dashboard(con, assistant, end)))
            print(views.render_sessions(views.sessions(con, window)))
            print(views.render_customers(views.customers(con, window, "month")))
    print(f"\nThe demo's data is in {demo.root}. To query it with chatwh, in this shell:")
    print(f"  {demo.go_on()}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from . import settings
    from .serve.app import ServeConfig
    from .serve.server import publish_if_missing, serve

    warehouse = settings.warehouse_path(args.warehouse)
    serving = settings.serving_dir(warehouse)
    if not warehouse.exists() and not serving.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `chatwh run` first")
    # stdout says what is served and where; stderr carries the JSON log lines only
    publish_if_missing(warehouse, serving, lambda line: print(line, flush=True))
    config = ServeConfig(
        serving=serving,
        keys=settings.keys_path(warehouse),
        cors_origins=tuple(settings.cors_origins(args.cors_origin)),
    )
    print(f"serving the views of {warehouse} (snapshots {serving}, keys {config.keys})")
    host = args.host or settings.DEFAULT_SERVE_HOST
    port = settings.DEFAULT_SERVE_PORT if args.port is None else args.port
    return serve(config, host, port, lambda line: print(line, flush=True))


def _key_store(args: argparse.Namespace):
    from . import settings
    from .serve.keys import KeyStore

    return KeyStore(settings.keys_path(settings.warehouse_path(args.warehouse)))


def _known_assistants(args: argparse.Namespace) -> list[str] | None:
    """The assistants of the warehouse's serving snapshot; None before the first build."""
    from . import settings, views
    from .serve.snapshot import NoSnapshot, SnapshotReader

    reader = SnapshotReader(settings.serving_dir(settings.warehouse_path(args.warehouse)))
    try:
        with reader.cursor() as con:
            return views.assistant_ids(con)
    except NoSnapshot:
        return None


def cmd_keys(args: argparse.Namespace) -> int:
    store = _key_store(args)
    if args.keys_command == "create":
        known = _known_assistants(args)
        for assistant in args.assistant:
            if known is not None and assistant.strip() not in known:
                raise UsageError(f"unknown assistant {assistant!r}: known are {', '.join(known)}")
        key, secret = store.create(args.assistant)
        print(f"created key {key.key_id} for {', '.join(key.assistants)}")
        print("the key is shown once, now: store it as the client's secret")
        print(secret)
    elif args.keys_command == "list":
        keys = store.all()
        if args.json:
            print(json.dumps([key.as_json() for key in keys]))
        for key in [] if args.json else keys:
            state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
            print(f"{key.key_id}  {key.created_at}  {state:<28}  {', '.join(key.assistants)}")
        if not keys and not args.json:
            _say("no keys yet: chatwh keys create --assistant ID")
    else:
        key, was_active = store.revoke(args.key_id)
        print(f"revoked key {key.key_id}" if was_active else f"{key.key_id} was revoked before")
    return 0


COMMANDS = {
    "simulate": cmd_simulate,
    "run": cmd_run,
    "dashboard": cmd_dashboard,
    "sessions": cmd_sessions,
    "customers": cmd_customers,
    "forget": cmd_forget,
    "demo": cmd_demo,
    "rekey": cmd_rekey,
    "report": cmd_report,
    "status": cmd_status,
    "serve": cmd_serve,
    "keys": cmd_keys,
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
        from .settings import debug

        if debug():
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
    from .warehouse import KeyMismatch, NotAWarehouse, WarehouseBusy

    own = (
        UsageError,
        LandingError,
        ConfigError,
        WarehouseBusy,
        NotAWarehouse,
        KeyMismatch,
        ViewError,
        FileNotFoundError,
        FileExistsError,
        ValueError,
    )
    from . import errors

    first_line = (str(error).strip().splitlines() or [""])[0]
    if isinstance(error, own):
        return first_line
    if isinstance(error, PermissionError):
        return f"permission denied: {error.filename or first_line}"
    cause = errors.first_line(error)  # a DuckDB error may quote a Python traceback
    return f"{type(error).__name__}: {cause} (CHATWH_DEBUG=1 shows the traceback)"


if __name__ == "__main__":
    sys.exit(main())
