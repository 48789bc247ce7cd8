"""Every call of a logged route becomes one api_usage event (usage.recorder, off the path).

`logged(route)` wraps a Route: the time from the request's arrival to the last byte sent,
the status, the body sizes, the client's address, and the user and license of the bearer
token (require_jwt leaves its claims in the request's state). An error answered by
api.errors is logged with its status like any answer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobspy_web.api.auth_web import client_ip
from jobspy_web.usage import UsageEvent, get_recorder, stop_recorder

__all__ = ["CLAIMS_STATE", "UsageLogging", "logged", "usage_lifespan"]

CLAIMS_STATE = "access_claims"  # where require_jwt leaves the verified claims


class UsageLogging:
    def __init__(self, app: ASGIApp, *, endpoint: str) -> None:
        self.app, self.endpoint = app, endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status, sent = 500, 0

        async def counting_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self._record(scope, status, sent, started)

    def _record(self, scope: Scope, status: int, sent: int, started: float) -> None:
        request = Request(scope)
        claims: Any = scope.get("state", {}).get(CLAIMS_STATE)
        declared = request.headers.get("content-length", "0")
        get_recorder().record(
            UsageEvent(
                endpoint=self.endpoint,
                method=scope["method"],
                status_code=status,
                response_time_ms=(time.perf_counter() - started) * 1000,
                user_id=claims.user_id if claims is not None else None,
                license_id=claims.license_id if claims is not None else None,
                request_size_bytes=int(declared) if declared.isdigit() and len(declared) < 16 else 0,
                response_size_bytes=sent,
                client_ip=client_ip(request)[:45],
            )
        )


def logged(route: Route) -> Route:
    """`route` with its calls logged under its path template."""
    middleware = [Middleware(UsageLogging, endpoint=route.path)]
    return Route(route.path, route.endpoint, methods=route.methods, name=route.name, middleware=middleware)


@asynccontextmanager
async def usage_lifespan() -> AsyncIterator[None]:
    """The app's lifespan part: on shutdown, write the usage events still queued."""
    yield
    stop_recorder()
