"""The Starlette app holding every HTTP route; each route is thin over a service."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from jobspy_web.api import (
    alerts,
    auth_tokens,
    auth_web,
    billing,
    boards,
    desktop,
    health,
    licenses,
    oauth,
    observability,
    openapi,
    premium,
    saved_search_sync,
    searches,
    tracker,
)
from jobspy_web.api.errors import EXCEPTION_HANDLERS
from jobspy_web.api.static_files import StaticFilesMiddleware


def all_routes() -> list[BaseRoute]:
    # Each area keeps its routes in its own module and lists them here. The License
    # Server's come first: they take the most requests, and Starlette tries routes in
    # order (~3 µs each).
    return [
        *licenses.routes,
        *health.routes,  # /health (liveness) and /ready (database, Redis, queue)
        *auth_web.routes,
        *oauth.routes,
        *auth_tokens.routes,
        *searches.routes,
        *alerts.routes,
        *tracker.routes,
        *saved_search_sync.routes,
        *premium.routes,
        *openapi.routes,
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
        middleware=[
            Middleware(observability.ObservabilityMiddleware),
            *observability.tracing_middlewares(),
            Middleware(StaticFilesMiddleware),  # the built UI: hashed assets immutable, no slash redirect
        ],
    )
