"""``chatwh``'s arguments: every command, its options and its help."""

from __future__ import annotations

import argparse
from typing import Any

from .arguments import (
    Parser,
    engine_args,
    iso_date,
    port,
    positive,
    share,
    sub,
    wa_id,
    warehouse_args,
    window_args,
)

# --engine of the three views: which build's marts they read (orchestration/spark_marts.py)
VIEW_ENGINE = "the marts to read: the warehouse file's, or those Spark built (its Parquet)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="chatwh",
        description="Chat Warehouse: how many people talk to each assistant, and how many "
        "come back (unique vs recurring users).",
        epilog="example:\n  chatwh demo\n\nEvery command has --help.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chatwh {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    simulate = sub(commands, "simulate", "write a realistic simulated landing zone")
    simulate.add_argument("--out", required=True, metavar="DIR", help="landing folder to write")
    simulate.add_argument(
        "--start", type=iso_date, metavar="DATE", help="first day (default: 365 days before today)"
    )
    simulate.add_argument("--days", type=positive, default=365, help="days (default 365)")
    simulate.add_argument(
        "--users", type=positive, default=2000, help="distinct people (default 2000)"
    )
    simulate.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    simulate.add_argument(
        "--gzip-share",
        type=share,
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

    run = sub(commands, "run", "run the nightly pipeline (Dagster) for arrival days")
    run.add_argument(
        "--landing",
        metavar="DIR",
        help="landing zone (default: $CHATWH_LANDING, else data/landing)",
    )
    warehouse_args(run)
    run.add_argument("--date", type=iso_date, metavar="D", help="one arrival day (dt)")
    run.add_argument(
        "--from",
        dest="from_date",
        type=iso_date,
        metavar="D",
        help="first arrival day of a range",
    )
    run.add_argument(
        "--to", dest="to_date", type=iso_date, metavar="D", help="last arrival day of a range"
    )
    run.add_argument(
        "--full-refresh", action="store_true", help="rebuild every dbt model from scratch"
    )
    engine_args(run, "where dbt builds the models")
    run.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run to finish (default: stop at once)",
    )

    dashboard = sub(commands, "dashboard", "the Dashboard view (no date filter)")
    dashboard.add_argument("--assistant", required=True, metavar="ID", help="assistant id")
    dashboard.add_argument(
        "--as-of",
        type=iso_date,
        metavar="DATE",
        help="as-of date (default: today in the assistant's time zone)",
    )
    dashboard.add_argument("--json", action="store_true", help="print JSON")
    warehouse_args(dashboard)
    engine_args(dashboard, VIEW_ENGINE)

    sessions = sub(commands, "sessions", "the Sessions view: unique vs recurring users")
    window_args(sessions)
    sessions.add_argument("--json", action="store_true", help="print JSON")
    warehouse_args(sessions)
    engine_args(sessions, VIEW_ENGINE)

    customers = sub(commands, "customers", "the Customers view: totals and a series")
    window_args(customers)
    customers.add_argument(
        "--grain",
        choices=["day", "week", "month"],
        help="bucket size (default: day up to 31 days, week up to 182, else month)",
    )
    customers.add_argument("--json", action="store_true", help="print JSON")
    warehouse_args(customers)
    engine_args(customers, VIEW_ENGINE)

    forget = sub(commands, "forget", "erase one person from every table, for good")
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--wa-id",
        type=wa_id,
        metavar="PHONE",
        help="the person's WhatsApp id: the phone number with its country code, 7 to 15 "
        "digits (+, spaces and dashes ignored), or a business-scoped user id (US.1234...)",
    )
    who.add_argument("--anonymous-id", metavar="ID", help="the person's web anonymousId")
    warehouse_args(forget)

    demo = sub(commands, "demo", "simulate a year of logs, run the pipeline, print the views")
    demo.add_argument("--users", type=positive, default=2000, help="people (default 2000)")
    demo.add_argument("--days", type=positive, default=365, help="days (default 365)")

    rekey = sub(
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
    warehouse_args(rekey)
    rekey.add_argument(
        "--drop-unmatched-erasures",
        action="store_true",
        help="go on when some erasures name people that no landing file holds (they cannot "
        "move to the new key)",
    )

    report = sub(commands, "report", "write the three views as one HTML page")
    window_args(report)
    report.add_argument("--out", required=True, metavar="FILE", help="HTML file to write")
    warehouse_args(report)
    _status_args(commands)

    serve = sub(commands, "serve", "serve the three views over HTTP (API, docs, page)")
    serve.add_argument(
        "--host", default=None, help="address to bind (default 127.0.0.1: this machine only)"
    )
    serve.add_argument(
        "--port", type=port, default=None, help="port to listen on (default 8000; 0: any free)"
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin allowed to call the API from a browser, e.g. "
        "https://app.example.com (repeatable; also $CHATWH_CORS_ORIGINS)",
    )
    warehouse_args(serve)

    keys = sub(commands, "keys", "API keys of chatwh serve: create, list, revoke")
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=Parser)
    keys_commands.required = True
    create = sub(keys_commands, "create", "a new key for one client's assistants", "keys create")
    create.add_argument(
        "--assistant",
        action="append",
        required=True,
        metavar="ID",
        help="an assistant the key may read (repeat for several)",
    )
    warehouse_args(create)
    listing = sub(keys_commands, "list", "every key: id, assistants, state", "keys list")
    listing.add_argument("--json", action="store_true", help="print JSON")
    warehouse_args(listing)
    revoke = sub(keys_commands, "revoke", "revoke a key for good", "keys revoke")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id (chatwh keys list)")
    warehouse_args(revoke)
    return parser


def _version() -> str:
    from ..settings import version

    return version()


def _status_args(commands: Any) -> None:
    status = sub(commands, "status", "the last runs of the warehouse and what it holds")
    status.add_argument(
        "--limit", type=positive, default=5, metavar="N", help="how many runs (default 5)"
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    warehouse_args(status)


# --------------------------------------------------------------------------- commands
