"""``chatwh``: the command line of Chat Warehouse.

Every mistake a person can make ends in one line on stderr and a non-zero exit status,
never a traceback. Heavy imports (Dagster, dbt) happen only in the commands that run the
pipeline; the query commands import DuckDB alone and answer in well under a second.

``parser`` declares every command and option (from the pieces in ``arguments``);
``pipeline_commands`` holds the commands that write (simulate, run, demo, forget, rekey) and
status; ``view_commands`` the views and the report; ``serve_commands`` serve and keys;
``common`` what they share. This module maps a command to its function and turns an error
into one line.
"""

from __future__ import annotations

from ..gc_pause import no_collection_at_exit
from .common import EXIT_FAILED, EXIT_USAGE, UsageError, say
from .parser import build_parser
from .pipeline_commands import (
    cmd_demo,
    cmd_forget,
    cmd_rekey,
    cmd_run,
    cmd_simulate,
    cmd_status,
    run_and_report,
)
from .serve_commands import cmd_keys, cmd_serve
from .view_commands import cmd_customers, cmd_dashboard, cmd_report, cmd_sessions

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "UsageError", "build_parser", "main", "run_and_report"]

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
        say(f"{prog}: interrupted")
        return 130
    except Exception as error:  # every error a person can cause ends here, as one line
        from ..settings import debug

        if debug():
            raise
        say(f"{prog}: error: {describe(error)}")
        return EXIT_USAGE if isinstance(error, UsageError) else EXIT_FAILED
    finally:
        no_collection_at_exit()


def describe(error: Exception) -> str:
    """One line for a person: our own errors as they are, others with their kind."""
    from ..ingest import LandingError
    from ..settings import ConfigError
    from ..views import ViewError
    from ..warehouse import KeyMismatch, NotAWarehouse, WarehouseBusy

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
    from .. import errors

    first_line = (str(error).strip().splitlines() or [""])[0]
    if isinstance(error, own):
        return first_line
    if isinstance(error, PermissionError):
        return f"permission denied: {error.filename or first_line}"
    cause = errors.first_line(error)  # a DuckDB error may quote a Python traceback
    return f"{type(error).__name__}: {cause} (CHATWH_DEBUG=1 shows the traceback)"
