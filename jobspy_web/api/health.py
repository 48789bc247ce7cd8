"""GET /health (liveness) and GET /ready (readiness), for load balancers and orchestrators.

/health says only that this process serves requests: restarting it would not bring back a
database. /ready asks each service a request may need, at once and each within
CHECK_TIMEOUT_S: the database (SELECT 1), Redis (PING, when REDIS_URL is set) and the
queue (SAQ on Redis; in-process without). 200 when all answer; otherwise 503 with JSON
naming what is down, e.g. {"status": "degraded", "checks": {"database": "ok",
"redis": "down", "queue": "down"}}. Without Redis the app still answers (cache misses
and per-process rate limits: infra.redis_health), so a balancer may keep routing to it;
/ready tells the truth either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import redis.asyncio
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.db import write_session
from jobspy_web.settings import get_settings

__all__ = ["CHECK_TIMEOUT_S", "routes"]

CHECK_TIMEOUT_S = 2.0
_NO_STORE = {"Cache-Control": "no-store"}


async def health(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


def _database_answers() -> None:
    with write_session() as session:  # the primary: what writes need
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]


async def _database() -> None:
    await run_in_threadpool(_database_answers)  # a slow database must not stall the loop


async def _ping(url: str) -> None:
    client = redis.asyncio.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()  # type: ignore[misc]  # redis-py types ping() for both clients
    finally:
        await client.aclose()


async def _outcome(check: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except Exception:
        return "down"
    return "ok"


async def ready(_request: Request) -> JSONResponse:
    settings = get_settings()
    checks: dict[str, Callable[[], Awaitable[None]]] = {"database": _database}
    if settings.redis_url:
        checks["redis"] = lambda: _ping(settings.redis_url)
        # The queue lives in Redis (SAQ; the shared-state Redis when one is set apart).
        queue_url = getattr(settings, "state_redis_url", "") or settings.redis_url
        checks["queue"] = lambda: _ping(queue_url)
    outcomes = dict(zip(checks, await asyncio.gather(*(_outcome(check) for check in checks.values())), strict=True))
    if not settings.redis_url:
        outcomes["redis"] = outcomes["queue"] = "not configured (in-process)"
    down = [name for name, outcome in outcomes.items() if outcome == "down"]
    body = {"status": "degraded" if down else "ok", "checks": outcomes, "down": down}
    return JSONResponse(body, status_code=503 if down else 200, headers=_NO_STORE)


routes = [Route("/health", health, methods=["GET"]), Route("/ready", ready, methods=["GET"])]
