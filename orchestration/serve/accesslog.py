"""Structured access logs without personal data, and no traceback to a client or a log.

One JSON line per request on the ``chatwh.access`` logger: method, the route's *template*
(``/v1/assistants/{assistant_id}/sessions``, never the path as sent), status, duration and
the API key's id. Never the key, the query string (a window, but a query is where a person's
data could be pasted), the client's address or a header. An error that escapes an endpoint
is answered 500 with one line and logged by its class name only (an exception's message
can quote the values of the request).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("chatwh.access")
INTERNAL_ERROR = b'{"detail":"internal error: the server log names it"}'


def route_template(scope: Scope) -> str:
    """The matched route's template; a mount's prefix; ``-`` when nothing matched."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return route.path
    if "app_root_path" in scope:  # a mount (static files): its prefix, not the file asked
        return f"{scope.get('root_path', '')}/{{path}}"
    return "-"


class AccessLog:
    """Pure ASGI middleware (no buffering of the answer)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = {"code": 500, "started": False}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                message.setdefault("headers", []).append((b"x-content-type-options", b"nosniff"))
            await send(message)

        error: str | None = None
        try:
            await self.app(scope, receive, send_logged)
        except Exception as exception:  # answered here: no traceback reaches uvicorn's log
            error = type(exception).__name__
            status["code"] = 500
            if not status["started"]:
                await _internal_error(send)
        finally:
            record: dict[str, Any] = {
                "method": scope["method"],
                "route": route_template(scope),
                "status": status["code"],
                "ms": round((time.perf_counter() - began) * 1000, 2),
                "key_id": scope.get("state", {}).get("key_id"),
            }
            if error:
                record["error"] = error
            access.info(json.dumps(record))


async def _internal_error(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(INTERNAL_ERROR)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": INTERNAL_ERROR})
