"""``chatwh serve``: uvicorn on the application, bound to 127.0.0.1 unless told otherwise.

Logs are JSON lines on stderr (uvicorn's own lines and the access log, see accesslog.py);
uvicorn's access log is off (it writes the client's address and the whole query). SIGTERM
(systemd's stop) and Ctrl-C stop the server gracefully: no new connection is accepted, the
requests under way are answered (up to ``GRACE_SECONDS``), then ``chatwh serve`` exits 0.
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from ..settings import ConfigError
from ..warehouse import WarehouseBusy, connect, writer_lock
from .app import ServeConfig, create_app
from .snapshot import NoSnapshot, current_link, publish

GRACE_SECONDS = 10
# How long an idle connection stays open. uvicorn's default (5 s) is shorter than the pause
# of a person between two filters, so the server closed connections just as their client
# reused them (a request lost to the race, docs/benchmarks.md); 75 s is nginx's default.
KEEP_ALIVE_SECONDS = 75


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        message = record.getMessage()
        if record.name == "chatwh.access":
            line.update(json.loads(message))
        else:
            line["message"] = message
        return json.dumps(line)


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    for name in ("uvicorn", "chatwh.access"):  # "uvicorn.error" logs through "uvicorn"
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def publish_if_missing(warehouse: Path, serving: Path, say: Callable[[str], None]) -> None:
    """A warehouse built before serving snapshots existed gets one now, if no run writes."""
    if current_link(serving).exists() or not warehouse.exists():
        return
    try:
        with writer_lock(warehouse), connect(warehouse, wait_seconds=2) as con:
            published = publish(con, serving)
        say(f"published a serving snapshot of {warehouse} ({published.seconds:.1f}s)")
    except (WarehouseBusy, NoSnapshot) as error:
        say(f"no serving snapshot yet ({error}); /v1 answers 503 until a run publishes one")


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: any free port; the caller reads which)."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:  # a port in use, an address not of this machine
        reason = error.strerror or str(error)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.listen(2048)
    return sock


def serve(config: ServeConfig, host: str, port: int, say: Callable[[str], None]) -> int:
    """Serve until SIGTERM or Ctrl-C; 0 after a graceful stop."""
    configure_logging()
    app = create_app(config)
    # What exists now (FastAPI, pydantic, DuckDB's module, the routes) lives as long as the
    # server: frozen, it is left out of every later collection, whose pauses otherwise fell
    # on whichever requests were under way (docs/benchmarks.md, "chatwh serve: the
    # collector").
    gc.freeze()
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    say(f"serving on http://{shown}:{bound_port} (page /app, API docs /docs); SIGTERM stops")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=GRACE_SECONDS,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            lifespan="off",
        )
    )
    # uvicorn re-raises the signal it stopped on once it has shut down; with these handlers
    # that ends here, so a stop asked for is a success (exit status 0), not a kill.
    stopped: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: stopped.append(number))
    server.run(sockets=[sock])
    say("stopped" + (f" ({signal.Signals(stopped[0]).name})" if stopped else ""))
    return 0
