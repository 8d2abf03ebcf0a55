"""The pieces the parser is made of: the one-line parser, the argument types, the examples
printed under each command's help, and the options that several commands share."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any, NoReturn

from .common import EXIT_USAGE


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line that points at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive(text: str) -> int:
    value = whole(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def wa_id(text: str) -> str:
    from ..pseudonym import normalize_wa_id

    try:
        return normalize_wa_id(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def port(text: str) -> int:
    value = whole(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return value


def share(text: str) -> float:
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


def sub(
    subparsers: Any, name: str, help_text: str, example: str | None = None
) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=f"example:\n  {EXAMPLES[example or name]}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def warehouse_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        metavar="FILE",
        help="DuckDB warehouse file (default: $CHATWH_WAREHOUSE, else data/warehouse.duckdb)",
    )


def engine_args(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        help=f"{help_text} (default: $CHATWH_ENGINE, else duckdb)",
    )


def window_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assistant", required=True, metavar="ID", help="assistant id")
    parser.add_argument(
        "--from",
        dest="from_date",
        required=True,
        type=iso_date,
        metavar="DATE",
        help="first local date of the window (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--to",
        dest="to_date",
        required=True,
        type=iso_date,
        metavar="DATE",
        help="last local date of the window, included",
    )
    parser.add_argument(
        "--channel",
        default="all",
        choices=["web", "whatsapp", "all"],
        help="one channel or both (default: all)",
    )
