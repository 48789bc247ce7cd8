"""How the job boards have been doing for this server (Bearer JWT).

Any signed-in user gets the summary and the blocked-board notices (the search form warns
everyone); admins also get the last failure's message and the proxies' health. Proxies
are only ever shown as host:port, never with the user and password they may carry.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.accounts import jwt_tokens
from jobspy_web.api.auth_guard import require_jwt
from jobspy_web.api.errors import ApiError
from jobspy_web.db import read_session
from jobspy_web.models import Role
from jobspy_web.models.base import utcnow
from jobspy_web.search import board_health, proxy_pool
from jobspy_web.settings import get_settings


def _health(claims: jwt_tokens.AccessClaims) -> dict[str, Any] | None:
    now = utcnow()
    with read_session() as session:
        user = jwt_tokens.user_for_claims(session=session, claims=claims)
        if user is None:
            return None
        is_admin = user.role == Role.ADMIN
        boards = board_health.summary(session=session, now=now)
    body: dict[str, Any] = {
        "generated_at": now.isoformat(),
        "window_days": board_health.WINDOW.days,
        "max_searches": board_health.MAX_SEARCHES,
        "detail": "admin" if is_admin else "public",
        "boards": [board.as_json(with_messages=is_admin, now=now) for board in boards],
    }
    if is_admin:
        body["proxies"] = [proxy.as_json() for proxy in proxy_pool.status(get_settings().jobspy_proxies, now=now)]
    return body


async def health(request: Request) -> JSONResponse:
    claims = await require_jwt(request)
    body = await run_in_threadpool(_health, claims)
    if body is None:
        raise ApiError(401, "ACCOUNT_INACTIVE", "This account was deleted or deactivated.")
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


routes = [
    Route("/api/boards/health", health, methods=["GET"]),
]
