"""The Starlette app holding every HTTP route; each route is thin over a service."""

from __future__ import annotations

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from jobspy_web.api import (
    alerts,
    auth_tokens,
    auth_web,
    billing,
    boards,
    desktop,
    licenses,
    oauth,
    observability,
    premium,
    searches,
    tracker,
)
from jobspy_web.api.errors import EXCEPTION_HANDLERS
from jobspy_web.db import read_session


def _database_answers() -> None:
    with read_session() as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]


async def health(_request: Request) -> JSONResponse:
    """Liveness plus a database round trip, for load balancers and the e2e fixture."""
    try:
        await run_in_threadpool(_database_answers)  # a slow database must not stall the loop
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def all_routes() -> list[BaseRoute]:
    # Each area keeps its routes in its own module and lists them here. The License
    # Server's come first: they take the most requests, and Starlette tries routes in
    # order (~3 µs each).
    return [
        *licenses.routes,
        Route("/health", health, methods=["GET"]),
        *auth_web.routes,
        *oauth.routes,
        *auth_tokens.routes,
        *searches.routes,
        *tracker.routes,
        *alerts.routes,
        *premium.routes,
        *boards.routes,
        *billing.routes,
        *desktop.routes,  # answers only in desktop mode, to its launcher
        *observability.routes,
    ]


def build_api() -> Starlette:
    # api.errors answers every DomainError (its status, code and sentence) and ApiError.
    # ObservabilityMiddleware: a request id on every log line, and each request timed by
    # route template (the Reflex app mounted under this one included); then the trace's
    # server span when tracing is on.
    observability.register_sources()
    return Starlette(
        routes=all_routes(),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[Middleware(observability.ObservabilityMiddleware), *observability.tracing_middlewares()],
    )
