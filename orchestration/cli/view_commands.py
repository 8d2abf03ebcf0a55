"""The views at the terminal: dashboard, sessions, customers, and the HTML report. They
import DuckDB alone and open the warehouse read-only (the three views, with ``--engine
spark``, an in-memory DuckDB on the Parquet of Spark's marts)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import UsageError, open_marts, open_read_only, print_view, window


def cmd_dashboard(args: argparse.Namespace) -> int:
    from .. import views

    with open_marts(args) as con:
        view = views.dashboard(con, args.assistant, args.as_of)
    print_view(view, args.json, views.render_dashboard)
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from .. import views

    with open_marts(args) as con:
        view = views.sessions(con, window(args))
        note = _no_data_note(con, args, view)
    print_view(view, args.json, views.render_sessions)
    _print_note(note)
    return 0


def cmd_customers(args: argparse.Namespace) -> int:
    from .. import views

    with open_marts(args) as con:
        view = views.customers(con, window(args), args.grain)
        note = _no_data_note(con, args, view)
    print_view(view, args.json, views.render_customers)
    _print_note(note)
    return 0


def _no_data_note(con, args: argparse.Namespace, view: dict[str, Any]) -> str | None:
    """The text output of a window without sessions says what dates the data covers (the
    JSON stays as it is)."""
    from ..views import no_data_note

    return None if args.json or view["total_users"] else no_data_note(con, window(args))


def _print_note(note: str | None) -> None:
    if note:
        print(note)


def cmd_report(args: argparse.Namespace) -> int:
    from ..report import GENERATOR, write_report

    out = Path(args.out)
    if out.is_dir() or (out.exists() and GENERATOR.encode() not in out.read_bytes()[:4096]):
        raise UsageError(f"{out} exists and is not a chatwh report: pass another --out")
    with open_read_only(args) as con:
        path = write_report(con, window(args), out)
    print(f"wrote {path}")
    return 0
