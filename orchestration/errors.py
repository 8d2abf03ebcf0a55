"""One line for a person from any error: the root cause, without quoted tracebacks.

Two shapes hide a cause. Dagster wraps an error raised inside a step in its own
(``DagsterExecutionStepExecutionError: Error occurred while executing op "x":``, the
user's error as its cause), and DuckDB quotes the Python traceback of an error raised in a
registered filesystem (s3fs) inside its own message, then the SQL it was running.
"""

from __future__ import annotations

import re
from typing import Protocol

QUOTED_TRACEBACK = re.compile(r"Traceback \(most recent call last\):\n(?:[ \t]+.*(?:\n|$))*")
# DuckDB's pointer into the statement: "LINE 1: select ...", then a line of carets
SQL_CONTEXT = re.compile(r"\n+LINE \d+:.*", re.DOTALL)
LIMIT = 500


class ErrorInfo(Protocol):
    """What Dagster keeps of an exception (``SerializableErrorInfo``)."""

    message: str
    cls_name: str | None
    cause: ErrorInfo | None


def root_cause(error: ErrorInfo) -> ErrorInfo:
    """The innermost error of a chain of ``raise ... from`` (Dagster's wrappers' causes)."""
    while error.cause is not None:
        error = error.cause
    return error


def one_line(message: str, cls_name: str | None = None, limit: int = LIMIT) -> str:
    """``pkg.SomeError: a\\nb`` -> ``SomeError: a b``, with quoted tracebacks and DuckDB's
    SQL context left out (their last line, the exception itself, stays)."""
    text = SQL_CONTEXT.sub("", QUOTED_TRACEBACK.sub("", message))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    head, _, rest = text.partition(": ")
    if rest and cls_name and head.endswith(cls_name):
        own = cls_name == "DagsterAssetCheckFailedError"  # says which checks, plainly
        text = rest if own else f"{cls_name}: {rest}"
    return text


def first_line(error: BaseException) -> str:
    """An exception's message as one line (see ``one_line``), or its kind when it has none."""
    return one_line(str(error)) or type(error).__name__
