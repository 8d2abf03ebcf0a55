"""What every command shares: the exit codes, the usage error, how a line is said."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_USAGE = 2
EXIT_FAILED = 1


class UsageError(Exception):
    """A bad argument: printed as one line."""


def say(message: str) -> None:
    """A line for the person at the terminal (stderr): progress, notes, errors."""
    print(message, file=sys.stderr, flush=True)


def print_view(view: dict[str, Any], as_json: bool, render) -> None:
    print(json.dumps(view, ensure_ascii=False) if as_json else render(view))


def open_read_only(args: argparse.Namespace):
    from ..settings import warehouse_path
    from ..warehouse import open_for_queries

    return open_for_queries(warehouse_path(args.warehouse))


def open_marts(args: argparse.Namespace):
    """The connection of a view: the warehouse file's marts, or with ``--engine spark``
    (else CHATWH_ENGINE) the marts' Parquet of the last Spark build (spark_marts.py)."""
    from ..settings import engine, warehouse_path

    if engine(args.engine) == "spark":
        from ..spark_marts import open_spark_marts

        return open_spark_marts(warehouse_path(args.warehouse))
    return open_read_only(args)


def window(args: argparse.Namespace):
    from ..views import Window

    return Window(args.assistant, args.from_date, args.to_date, args.channel)
