"""What every request goes through for operators, and the /metrics scrape.

`ObservabilityMiddleware` (pure ASGI, outermost in build_api, so it wraps the API and the
Reflex app mounted under it) gives each HTTP request and websocket a request id (the
client's `X-Request-ID` when it is a sane one, else a fresh one), binds it to every log
line meanwhile, echoes it in the response, and times each HTTP request into
jobspy_http_request_duration_seconds under its route *template* (`/api/searches/{id}`,
never the id itself: one series per route, not per search).

`GET /metrics` is the Prometheus text of infra.metrics. It is for the scraper only: with
METRICS_TOKEN set, it wants `Authorization: Bearer <METRICS_TOKEN>`; without, it answers
only clients on the loopback address (a sidecar or the host's own Prometheus).
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobspy_web.api import scrape_sources
from jobspy_web.api.errors import ApiError
from jobspy_web.infra import logging as app_logging
from jobspy_web.infra import metrics, tracing
from jobspy_web.settings import get_settings

__all__ = ["ObservabilityMiddleware", "register_sources", "route_template", "routes", "tracing_middlewares"]


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/licenses/validate`, `/api/searches/{search_id}`)."""
    route = scope.get("route")
    if isinstance(route, Route):
        return route.path
    if isinstance(route, Mount):
        return f"{route.path}/*" if route.path else "/*"
    return "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = app_logging.request_id_from(_header(scope, b"x-request-id"))
        if scope["type"] == "websocket":
            with app_logging.bind_request(request_id):
                await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with app_logging.bind_request(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                metrics.observe_request(route_template(scope), scope["method"], status, time.perf_counter() - started)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _allowed(request: Request) -> bool:
    token = get_settings().metrics_token.get_secret_value()
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def metrics_endpoint(request: Request) -> Response:
    if not _allowed(request):
        raise ApiError(403, "FORBIDDEN", "Metrics are for the monitoring system: send its METRICS_TOKEN as a Bearer token.")
    # The scrape-time sources query the database: off the event loop.
    body = await run_in_threadpool(metrics.render)
    return Response(body, media_type=metrics.CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def tracing_middlewares() -> list[Middleware]:
    """OpenTelemetry's ASGI middleware when tracing is on (infra.tracing), else none."""
    if not tracing.tracing_on():
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return [Middleware(OpenTelemetryMiddleware, excluded_urls=tracing.UNTRACED_URLS)]


def register_sources() -> None:
    """Have each scrape read the business figures, blocked boards, dependencies and queue."""
    for name, source in scrape_sources.SOURCES.items():
        metrics.register_scrape_source(name, source)


routes = [Route("/metrics", metrics_endpoint, methods=["GET"])]
