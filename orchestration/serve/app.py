"""The HTTP API of the three views, its docs and the interactive page (FastAPI).

Every ``/v1`` answer comes from the functions of ``orchestration/views.py`` on the current
serving snapshot (``snapshot.py``): the same code path, and so the same JSON, as
``chatwh dashboard | sessions | customers --json``. The order of the checks keeps a
client from learning anything about assistants it does not hold: the key first (401),
then the assistant, which is "not found" (404) whether it is another client's or no one's,
then the parameters (422, one line naming the parameter).
"""

from __future__ import annotations

import asyncio
import importlib.resources
import os
import re
import sys
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from .. import views
from . import schemas
from .accesslog import AccessLog
from .keys import ApiKey, KeyStore
from .snapshot import NoSnapshot, Snapshot, SnapshotReader
from .sql import sql

MAX_WINDOW_DAYS = 3660  # ten years: a longer window (or its daily series) is a mistake
STATIC = Path(__file__).with_name("static")
PLOTLY_JS = Path(str(importlib.resources.files("plotly") / "package_data" / "plotly.min.js"))
NO_STORE = {"Cache-Control": "no-store"}  # answers are per key: no shared cache keeps them
# The page loads nothing from elsewhere: its script, its styles, plotly and the API.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
# Customers' answers are computed on threads of their own, at a lower priority: a Customers
# query costs 5 to 20 ms of a core, a Sessions or Dashboard one 2 to 3, and the page asks
# for the three at once. The light views (on anyio's threads) then take a core as soon as
# they need one, instead of queueing behind the heavy one; the heavy threads have the cores
# whenever the light ones leave them (each query is one DuckDB thread:
# sql/snapshot_reader_settings.sql). docs/benchmarks.md "chatwh serve: the heavy view on
# threads of its own".
HEAVY_THREADS = 2
HEAVY_NICE = 10
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NOT_FOUND = "assistant not found"
NO_SNAPSHOT = "no build published yet: the next `chatwh run` publishes one"

Channel = Literal["all", "web", "whatsapp"]
Grain = Literal["day", "week", "month"]
AssistantId = Annotated[str, PathParam(description="an assistant the key covers")]
FromDate = Annotated[
    str, Query(alias="from", description="first local date of the window, YYYY-MM-DD")
]
ToDate = Annotated[str, Query(description="last local date of the window, included")]
ChannelQuery = Annotated[Channel, Query(description="one channel or both")]
GrainQuery = Annotated[
    Grain | None,
    Query(description="bucket size (default: day up to 31 days, week up to 182, else month)"),
]
AsOfQuery = Annotated[
    str | None,
    Query(description="as-of date, YYYY-MM-DD (default: today in the assistant's time zone)"),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.Problem, "description": "no key, or an unknown or revoked one"},
    404: {"model": schemas.Problem, "description": "not an assistant of this key"},
    422: {"model": schemas.Problem, "description": "a bad parameter (named in detail)"},
    503: {"model": schemas.Problem, "description": "no build published yet"},
}


@dataclass(frozen=True)
class ServeConfig:
    serving: Path  # the folder of the serving snapshots (settings.serving_dir)
    keys: Path  # the API key file (settings.keys_path)
    cors_origins: tuple[str, ...] = ()


class BadParameter(Exception):
    """A parameter the API refuses: answered 422 with this one-line message."""


def parse_date(name: str, text: str) -> date:
    """A date parameter: exactly YYYY-MM-DD, a real day (as the CLI's dates)."""
    try:
        if DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise BadParameter(f"{name}: not a date (YYYY-MM-DD)")


def window_of(assistant_id: str, from_text: str, to_text: str, channel: str) -> views.Window:
    first, last = parse_date("from", from_text), parse_date("to", to_text)
    if first > last:
        raise BadParameter(f"from {first} is after to {last}")
    if (last - first).days + 1 > MAX_WINDOW_DAYS:
        raise BadParameter(f"the window is longer than {MAX_WINDOW_DAYS} days")
    return views.Window(assistant_id, first, last, channel)


BEARER = HTTPBearer(auto_error=False, description="an API key from `chatwh keys create`")


async def _key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> ApiKey:
    """The key of the request, or 401. Async, as ``caller``'s check: both run on the event
    loop (a lookup in the small key file, microseconds), where a plain function would take
    a hop to the thread pool and back per dependency (docs/benchmarks.md "chatwh serve")."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "missing API key: send Authorization: Bearer <key>", challenge)
    key = request.app.state.keys.authenticate(credentials.credentials)
    if key is None:
        raise HTTPException(401, "unknown or revoked API key", challenge)
    request.state.key_id = key.key_id  # for the access log
    return key


def caller(*names: str) -> Callable[[Request, ApiKey], ApiKey]:
    """The dependency of an endpoint that takes the query parameters ``names``: the key
    (401 first), then no unknown or repeated parameter (a mistyped ``chanel=web`` would
    otherwise answer for both channels, silently)."""
    allowed = frozenset(names)
    takes = ", ".join(names) if names else "no parameters"

    async def check(request: Request, key: Annotated[ApiKey, Depends(_key)]) -> ApiKey:
        for name in request.query_params:
            if name not in allowed:
                raise BadParameter(f"unknown parameter {name[:40]!r}: this endpoint takes {takes}")
            if len(request.query_params.getlist(name)) > 1:
                raise BadParameter(f"{name}: given more than once")
        return key

    return check


def visible(snapshot: Snapshot, key: ApiKey, assistant_id: str) -> Snapshot:
    """404 unless the key covers the assistant and the build holds it: the same answer
    either way, so another client's assistant cannot be told from no assistant at all."""
    if not key.covers(assistant_id) or assistant_id not in snapshot.assistant_ids:
        raise HTTPException(404, NOT_FOUND)
    return snapshot


async def answer(
    request: Request,
    snapshot: Snapshot,
    question: Hashable | None,
    view: Callable[..., dict[str, Any]],
    *,
    heavy: bool = False,
) -> Response:
    """The JSON of ``view(connection, known=assistants)`` on the snapshot (its assistants
    are read once per snapshot, not per request): from its answer cache when ``question``
    (the view and its normalized parameters) was asked before, on the event loop; else
    computed on a thread of the view's kind (``heavy``: Customers). ``question`` ``None``:
    not to be kept (an answer that depends on the day it is asked)."""

    def encode() -> bytes:
        with snapshot.cursor() as con:
            return JSONResponse(view(con, known=snapshot.assistant_ids)).body

    body = None if question is None else snapshot.answers.held(question)
    if body is None:
        if heavy:
            threads = request.app.state.heavy_threads
            body = await asyncio.get_running_loop().run_in_executor(threads, encode)
        else:
            body = await anyio.to_thread.run_sync(encode)
        if question is not None:
            snapshot.answers.keep(question, body)
    return Response(body, media_type="application/json", headers=NO_STORE)


def _snapshot(request: Request) -> Snapshot:
    """The newest published build: the one this request reads, from start to end."""
    return request.app.state.snapshots.current()


router = APIRouter()


@router.get("/healthz", tags=["service"], response_model=schemas.Health, responses=ERRORS)
def healthz(request: Request) -> dict[str, str]:
    """Ready when a build is published; says which one is being served."""
    return {"status": "ok", "snapshot_published_at": request.app.state.snapshots.published_at()}


@router.get(
    "/v1/assistants", tags=["views"], responses={200: {"model": schemas.Assistants}, **ERRORS}
)
def assistants(request: Request, key: Annotated[ApiKey, Depends(caller())]) -> JSONResponse:
    """The assistants this key covers (those the current build holds)."""
    with _snapshot(request).cursor() as con:
        cursor = con.execute(sql("assistants"), {"assistant_ids": list(key.assistants)})
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return JSONResponse({"assistants": rows}, headers=NO_STORE)


@router.get(
    "/v1/assistants/{assistant_id}/dashboard",
    tags=["views"],
    responses={200: {"model": schemas.DashboardView}, **ERRORS},
)
async def dashboard(
    request: Request,
    assistant_id: AssistantId,
    key: Annotated[ApiKey, Depends(caller("as_of"))],
    as_of: AsOfQuery = None,
) -> JSONResponse:
    """The Dashboard: users this month to date vs last month, and 12 months of them
    (`chatwh dashboard --json`)."""
    snapshot = visible(_snapshot(request), key, assistant_id)
    day = parse_date("as_of", as_of) if as_of is not None else None
    question = None if day is None else ("dashboard", assistant_id, day)  # None: as of today
    return await answer(
        request, snapshot, question, partial(views.dashboard, assistant_id=assistant_id, as_of=day)
    )


@router.get(
    "/v1/assistants/{assistant_id}/sessions",
    tags=["views"],
    responses={200: {"model": schemas.SessionsView}, **ERRORS},
)
async def sessions(
    request: Request,
    assistant_id: AssistantId,
    key: Annotated[ApiKey, Depends(caller("from", "to", "channel"))],
    from_: FromDate,
    to: ToDate,
    channel: ChannelQuery = "all",
) -> JSONResponse:
    """The Sessions view: unique vs recurring users of the window (`chatwh sessions
    --json`)."""
    snapshot = visible(_snapshot(request), key, assistant_id)
    window = window_of(assistant_id, from_, to, channel)
    return await answer(
        request, snapshot, ("sessions", window), partial(views.sessions, window=window)
    )


@router.get(
    "/v1/assistants/{assistant_id}/customers",
    tags=["views"],
    responses={200: {"model": schemas.CustomersView}, **ERRORS},
)
async def customers(
    request: Request,
    assistant_id: AssistantId,
    key: Annotated[ApiKey, Depends(caller("from", "to", "grain", "channel"))],
    from_: FromDate,
    to: ToDate,
    grain: GrainQuery = None,
    channel: ChannelQuery = "all",
) -> JSONResponse:
    """The Customers view: the window's totals and one point per day, week or month
    (`chatwh customers --json`)."""
    snapshot = visible(_snapshot(request), key, assistant_id)
    window = window_of(assistant_id, from_, to, channel)
    question = ("customers", window, grain)
    view = partial(views.customers, window=window, grain=grain)
    return await answer(request, snapshot, question, view, heavy=True)


def _lower_priority() -> None:
    """A heavy-view thread's start: HEAVY_NICE more than the server's niceness (on Linux the
    nice value is per thread; elsewhere the thread keeps the server's)."""
    if sys.platform == "linux":
        thread = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, thread) + HEAVY_NICE
        os.setpriority(os.PRIO_PROCESS, thread, min(nice, 19))


def _one_line(error: RequestValidationError) -> str:
    first = error.errors()[0]
    name = first["loc"][-1] if first.get("loc") else "request"
    if first["type"] == "missing":
        return f"{name}: required"
    message = str(first.get("msg", "invalid"))
    return f"{name}: {message[:1].lower()}{message[1:]}"


def create_app(config: ServeConfig) -> FastAPI:
    """The application: the API under /v1, /healthz, /docs and /redoc, the page at /app."""
    app = FastAPIOffline(
        title="Chat Warehouse",
        summary="Unique vs recurring users per assistant: the Dashboard, Sessions and "
        "Customers views.",
        description="Every `/v1` request carries `Authorization: Bearer <key>` (a key from "
        "`chatwh keys create`, scoped to assistants). Answers are those of the last "
        "complete build. Dates are local to the assistant's time zone.",
        version="1",
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from elsewhere
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(config.cors_origins),
        allow_methods=["GET"],
        allow_headers=["Authorization"],
        max_age=600,
    )
    app.add_middleware(AccessLog)

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, error: BadParameter) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _one_line(error)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(NoSnapshot)
    async def no_snapshot(request: Request, error: NoSnapshot) -> JSONResponse:
        return JSONResponse({"detail": NO_SNAPSHOT}, status_code=503, headers={"Retry-After": "60"})

    app.state.heavy_threads = ThreadPoolExecutor(
        HEAVY_THREADS, "heavy-view", initializer=_lower_priority
    )
    app.state.snapshots = SnapshotReader(config.serving)
    app.state.keys = KeyStore(config.keys)
    app.include_router(router)
    _page(app)
    return app


def _page(app: FastAPI) -> None:
    """The interactive page: its HTML, script and styles, and plotly from its package."""

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app")

    @app.get("/app", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "app.html", headers={"Content-Security-Policy": PAGE_POLICY})

    @app.get("/app/modules.css", include_in_schema=False)
    def modules_css() -> Response:
        """The modules' look, one source with the HTML report's (``chatwh report``)."""
        from ..report import CSS  # plotly's Python package: imported on the first call only

        return Response(CSS, media_type="text/css")

    @app.get("/app/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    app.mount("/app/static", StaticFiles(directory=STATIC), name="page")
