"""`Authorization: Bearer <jwt>` for API routes: one check every protected route reuses."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from jobspy_web.accounts.jwt_tokens import AccessClaims, verify_access_token
from jobspy_web.api.errors import REALM, ApiError, bearer_challenge
from jobspy_web.infra import logging as app_logging

__all__ = ["REALM", "require_jwt"]


async def require_jwt(request: Request) -> AccessClaims:
    """The verified claims of the request's bearer token; a 401 otherwise.

    The 401 carries `WWW-Authenticate: Bearer ...` (RFC 6750) and, for a token we
    refused, the TokenErrorCode as the error code (EXPIRED, REVOKED, ...): a TokenError
    is answered by api.errors like every DomainError.
    """
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise ApiError(
            401,
            "MISSING_TOKEN",
            "Send an access token as 'Authorization: Bearer <token>'; get one from POST /auth/token.",
            headers={"WWW-Authenticate": bearer_challenge()},
        )
    # Off the event loop: a cache miss asks the database about revocation.
    claims = await run_in_threadpool(verify_access_token, token.strip())
    app_logging.bind_user(claims.user_id)  # the request's later log lines say whose it is
    return claims
