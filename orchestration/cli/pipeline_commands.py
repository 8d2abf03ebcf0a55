"""The commands that write: simulate, run, demo, forget, rekey; and status, which reads the
runs. Dagster, dbt and the simulator are imported inside each command, never at import."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_FAILED, UsageError, print_view, say

if TYPE_CHECKING:
    from ..erasure import ErasureResult


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
    engine: str = "duckdb",
) -> int:
    from ..pipeline import run_pipeline

    began = time.perf_counter()
    outcome = run_pipeline(
        landing,
        warehouse,
        first,
        last,
        full_refresh=full_refresh,
        wait_seconds=wait,
        on_progress=lambda line: say(f"  {line}"),
        dagster_home=dagster_home,
        engine=engine,
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
        say(f"chatwh run: error: {outcome.failure}")
        return EXIT_FAILED
    return 0


def _say_traceback(traceback: str | None) -> None:
    """With CHATWH_DEBUG, the failed step's whole error (its stack and every cause)."""
    from ..settings import debug

    if traceback and debug():
        say(traceback.rstrip())


def cmd_run(args: argparse.Namespace) -> int:
    from ..settings import engine, landing_root, warehouse_path

    first, last = _run_range(args)
    return run_and_report(
        landing_root(args.landing),
        warehouse_path(args.warehouse),
        first,
        last,
        full_refresh=args.full_refresh,
        wait=args.wait,
        engine=engine(args.engine),
    )


def cmd_forget(args: argparse.Namespace) -> int:
    from ..erasure import forget
    from ..settings import warehouse_path

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
    from .. import settings
    from ..rekey import rekey

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


def cmd_status(args: argparse.Namespace) -> int:
    from ..settings import warehouse_path
    from ..status import render_status, status

    view = status(warehouse_path(args.warehouse), args.limit)
    print_view(view, args.json, render_status)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from simulator import simulate

    from .. import settings, views
    from ..demo import DemoFolder
    from ..warehouse import open_for_queries

    # the demo's own key: its warehouse is the demo's, whatever key the shell exports
    # (`chatwh demo` starts itself again with it: orchestration/launcher.py)
    if settings.pseudonym_key_kind() != "demo":
        raise settings.ConfigError(
            "the demo runs with the public demo key: start it as `chatwh demo`"
        )
    demo = DemoFolder(settings.demo_dir())
    demo.prepare()
    say("demo: using the public demo pseudonym key (set CHATWH_PSEUDONYM_KEY in production)")
    end = date.today()
    start = date.fromordinal(end.toordinal() - args.days)
    say(f"demo: simulating {args.days} days of logs for {args.users} people into {demo.landing}")
    summary = simulate(demo.landing, start=start, days=args.days, users=args.users, seed=42)
    say(
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
